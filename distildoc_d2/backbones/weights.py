"""Checkpoints of other code bases converted into a registered backbone's weights.

Read: timm and Hugging Face (transformers) ViT and BEiT/DiT checkpoints (including BEiT/DiT
pre-training files with a shared relative position table and separate q/v biases), torchvision
and timm ResNets, timm CNNs, and Detectron2 `.pkl`/`.pth` files (Caffe2 or Detectron2 names).
Position embeddings and relative position tables stored for another grid are resized to the
backbone's. Every tensor of the file is accounted for in a `ConversionReport`: loaded, skipped
(with the reason) or, for the backbone's own tensors, missing. A tensor whose shape differs from
the backbone's (a checkpoint of another architecture) is a CheckpointError.
"""
import argparse
import math
import os
import pickle
import re
from dataclasses import dataclass, field

import numpy as np
import torch
from detectron2.checkpoint.c2_model_loading import convert_c2_detectron_names
from detectron2.modeling.backbone.resnet import ResNet
from timm.layers import resample_abs_pos_embed

from ..errors import CheckpointError
from .dit import DiTBottomUp
from .position import CLASS_TOKEN_ROWS, resize_rel_pos_table
from .timm_cnn import TimmCNNBottomUp
from .vit import ViTBottomUp

WRAPPER_KEYS = ("model", "state_dict", "module", "model_state", "blobs")
BOTTOM_UP_PREFIX = "backbone.bottom_up."
MAX_LISTED = 8
KEY_BIAS = "it adds the same value to all of a query's logits, so attention ignores it"

# Hugging Face transformers names (ViTModel, BeitModel) -> timm names; q, k and v are merged later.
HF_TO_TIMM = [
    (r"^embeddings\.cls_token$", "cls_token"),
    (r"^embeddings\.mask_token$", "mask_token"),
    (r"^embeddings\.position_embeddings$", "pos_embed"),
    (r"^embeddings\.patch_embeddings\.projection\.", "patch_embed.proj."),
    (r"^encoder\.relative_position_bias\.", "rel_pos_bias."),
    (r"^encoder\.layer\.(\d+)\.layernorm_before\.", r"blocks.\1.norm1."),
    (r"^encoder\.layer\.(\d+)\.layernorm_after\.", r"blocks.\1.norm2."),
    (r"^encoder\.layer\.(\d+)\.attention\.attention\.relative_position_bias\.", r"blocks.\1.attn."),
    (r"^encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.", r"blocks.\1.attn.\2."),
    (r"^encoder\.layer\.(\d+)\.attention\.output\.dense\.", r"blocks.\1.attn.proj."),
    (r"^encoder\.layer\.(\d+)\.intermediate\.dense\.", r"blocks.\1.mlp.fc1."),
    (r"^encoder\.layer\.(\d+)\.output\.dense\.", r"blocks.\1.mlp.fc2."),
    (r"^encoder\.layer\.(\d+)\.lambda_(\d)$", r"blocks.\1.gamma_\2"),
    (r"^layernorm\.", "norm."),
]

# torchvision (and timm) ResNet names -> Detectron2 ResNet names.
TORCHVISION_TO_D2 = [
    (r"^conv1\.", "stem.conv1."),
    (r"^bn1\.", "stem.conv1.norm."),
    (r"^layer(\d)\.(\d+)\.conv(\d)\.", lambda m: f"res{int(m[1]) + 1}.{m[2]}.conv{m[3]}."),
    (r"^layer(\d)\.(\d+)\.bn(\d)\.", lambda m: f"res{int(m[1]) + 1}.{m[2]}.conv{m[3]}.norm."),
    (r"^layer(\d)\.(\d+)\.downsample\.0\.", lambda m: f"res{int(m[1]) + 1}.{m[2]}.shortcut."),
    (r"^layer(\d)\.(\d+)\.downsample\.1\.", lambda m: f"res{int(m[1]) + 1}.{m[2]}.shortcut.norm."),
]

SKIP_REASONS = [
    (r"(^|\.)num_batches_tracked$", "BatchNorm step counter"),
    (r"(^|\.)running_(mean|var)$", "BatchNorm statistics: the backbone's norm layers keep none (GN)"),
    (r"relative_position_index$", "recomputed for each page's patch grid"),
    (r"(^|\.)k_bias$", f"key bias: {KEY_BIAS}"),
    (r"^(head|fc|classifier|lm_head|pooler|fc_norm|norm|fc1000|conv_head|bn2)(\.|$)",
     "classification or pre-training head, not used by a detector"),
    (r"^mask_token$", "pre-training mask token"),
    (r"^pos_embed$", "absolute position embeddings: the backbone has none (MODEL.DIT.ABS_POS_EMB False)"),
]
UNKNOWN = "not in the backbone"


@dataclass
class ConversionReport:
    """What a conversion did with each tensor: keys are the backbone's (loaded, missing) or the file's (skipped)."""

    source: str
    backbone: str
    loaded: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def format(self, verbose=False):
        """The report as text: loaded tensors grouped by module (each key if `verbose`), skipped
        ones by reason, missing ones, and notes on what was converted."""
        show = (lambda keys: ", ".join(sorted(keys))) if verbose else _listed
        groups = {}
        for key in self.loaded:
            groups[_group(key)] = groups.get(_group(key), 0) + 1
        loaded = sorted(self.loaded) if verbose else [f"{name} ({count})" for name, count in groups.items()]
        lines = [f"{self.source} -> {self.backbone}", f"loaded: {len(self.loaded)} tensors: {', '.join(loaded)}"]
        by_reason = {}
        for key, reason in self.skipped.items():
            by_reason.setdefault(reason, []).append(key)
        lines.append(f"skipped: {len(self.skipped)} tensors of the file")
        lines += [f"  {reason}: {show(keys)}" for reason, keys in by_reason.items()]
        lines.append(f"missing (left at their initial values): {len(self.missing)} tensors")
        if self.missing:
            lines.append(f"  {show(self.missing)}")
        lines += [f"note: {note}" for note in dict.fromkeys(self.notes)]
        return "\n".join(lines)


def _group(key):
    """'vit.blocks.3.attn.qkv.weight' -> 'vit.blocks': at most two names, up to the first index."""
    names = []
    parts = key.split(".")
    for name in parts[:-1] if len(parts) > 2 else parts:
        if name.isdigit() or len(names) == 2:
            break
        names.append(name)
    return ".".join(names)


def _listed(keys):
    keys = sorted(keys)
    more = f" and {len(keys) - MAX_LISTED} more" if len(keys) > MAX_LISTED else ""
    return ", ".join(keys[:MAX_LISTED]) + more


def read_checkpoint(path):
    """The flat {name: tensor} dict of a weights file (.pth/.pt/.bin/.pkl/.safetensors), unwrapped
    from "model"/"state_dict"/... entries and a DistributedDataParallel "module." prefix."""
    if not path or not os.path.isfile(path):
        raise CheckpointError(f"weights file {path} does not exist")
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            data = load_file(path)
        elif path.endswith(".pkl"):
            with open(path, "rb") as f:
                data = pickle.load(f, encoding="latin1")
        else:
            with torch.serialization.safe_globals([argparse.Namespace]):
                data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch, pickle and safetensors raise many types for a bad file
        raise CheckpointError(f"weights file {path} cannot be read: {err}") from None
    while isinstance(data, dict):
        inner = next((data[k] for k in WRAPPER_KEYS if isinstance(data.get(k), dict)), None)
        if inner is None or any(torch.is_tensor(v) for v in data.values()):
            break
        data = inner
    if not isinstance(data, dict):
        raise CheckpointError(f"weights file {path} holds a {type(data).__name__}, not a dict of tensors")
    tensors = {}
    for key, value in data.items():
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(np.ascontiguousarray(value))
        if torch.is_tensor(value):
            tensors[key] = value
    if tensors and all(key.startswith("module.") for key in tensors):
        tensors = {key[len("module."):]: value for key, value in tensors.items()}
    if not tensors:
        raise CheckpointError(f"weights file {path} holds no tensors")
    return tensors


def _rename(state, rules):
    renamed = {}
    for key, value in state.items():
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        renamed[key] = value
    return renamed


def _backbone_part(state, anchors, skipped, notes):
    """The tensors under the prefix at which one of `anchors` (a key of the backbone's own naming)
    is found, with that prefix removed; the other tensors are recorded as skipped."""
    for anchor in anchors:
        found = [key[: -len(anchor)] for key in state if key == anchor or key.endswith("." + anchor)]
        prefixes = sorted(found, key=len)
        if prefixes:
            prefix = prefixes[0]
            if prefix:
                notes.append(f"the backbone's tensors were taken from under '{prefix}'")
            part = {}
            for key, value in state.items():
                if key.startswith(prefix):
                    part[key[len(prefix):]] = value
                else:
                    skipped[key] = f"outside '{prefix}'"
            return part
    return None


def _skip_reason(key, num_blocks=None):
    block = re.match(r"^blocks\.(\d+)\.", key)
    if block and num_blocks is not None and int(block[1]) >= num_blocks:
        return "block after the last of MODEL.VIT.OUT_BLOCKS: not part of the backbone"
    return next((reason for pattern, reason in SKIP_REASONS if re.search(pattern, key)), UNKNOWN)


def _square_grid(count, what):
    side = math.isqrt(count)
    if side * side != count:
        raise CheckpointError(f"{what} has {count} positions, not a square grid: give it for the backbone's grid")
    return side, side


def _merge_qkv(state):
    """Hugging Face's separate query/key/value projections merged into timm's qkv weight and biases."""
    merged = dict(state)
    for key in [k for k in state if k.endswith(".attn.query.weight")]:
        block = key[: -len("query.weight")]
        names = [f"{block}{name}.weight" for name in ("query", "key", "value")]
        if not all(name in merged for name in names):
            continue
        merged[f"{block}qkv.weight"] = torch.cat([merged.pop(name) for name in names])
        for name, short in (("query", "q"), ("key", "k"), ("value", "v")):
            if f"{block}{name}.bias" in merged:
                merged[f"{block}{short}_bias"] = merged.pop(f"{block}{name}.bias")
    return merged


def _transformer_part(state, skipped, notes):
    part = _backbone_part(state, ("patch_embed.proj.weight",), skipped, notes)
    if part is None:
        hf = _backbone_part(state, ("embeddings.patch_embeddings.projection.weight",), skipped, notes)
        if hf is None:
            return None
        notes.append("Hugging Face transformers names converted to timm names")
        part = _merge_qkv(_rename(hf, HF_TO_TIMM))
    return part


def _resized_pos_embed(value, grid, prefix_tokens, notes):
    if value.shape[1] == grid[0] * grid[1] + prefix_tokens:
        return value
    old = _square_grid(value.shape[1] - prefix_tokens, "the file's pos_embed")
    notes.append(f"position embeddings resized from a {old[0]}x{old[1]} to a {grid[0]}x{grid[1]} grid")
    return resample_abs_pos_embed(value, list(grid), list(old), num_prefix_tokens=prefix_tokens)


def _vit_tensors(state, bottom_up, skipped, notes):
    part = _transformer_part(state, skipped, notes)
    if part is None:
        return None
    vit = bottom_up.vit
    own = vit.state_dict()
    prefix_tokens = 0 if vit.no_embed_class else vit.num_prefix_tokens
    out = {}
    for key, value in part.items():
        bias = re.match(r"^(blocks\.\d+\.attn\.)(q|k|v)_bias$", key)
        block = bias[1] if bias else ""
        if bias and f"{block}qkv.bias" in own and f"{block}q_bias" in part and f"{block}v_bias" in part:
            if bias[2] == "q":
                k_bias = part.get(f"{block}k_bias", torch.zeros_like(value))
                out[f"vit.{block}qkv.bias"] = torch.cat([value, k_bias, part[f"{block}v_bias"]])
                notes.append("separate q/k/v biases joined into qkv.bias (a zero key bias where the file has none)")
            continue
        if key == "pos_embed" and "pos_embed" in own:
            value = _resized_pos_embed(value, vit.patch_embed.grid_size, prefix_tokens, notes)
        if key in own:
            out[f"vit.{key}"] = value
        else:
            skipped[key] = _skip_reason(key, len(vit.blocks))
    return out


def _rel_pos_table(value, grid, notes, what):
    rows = value.shape[0] - CLASS_TOKEN_ROWS
    side = math.isqrt(rows)
    if (2 * grid[0] - 1) * (2 * grid[1] - 1) == rows:
        return value
    if side * side != rows or side % 2 == 0:
        raise CheckpointError(f"{what} has {value.shape[0]} rows, which fits no square patch grid")
    old = ((side + 1) // 2,) * 2
    notes.append(f"relative position tables resized from a {old[0]}x{old[1]} to a {grid[0]}x{grid[1]} grid")
    return resize_rel_pos_table(value, old, grid)


def _dit_tensors(state, bottom_up, skipped, notes):
    part = _transformer_part(state, skipped, notes)
    if part is None:
        return None
    beit = bottom_up.beit
    own = beit.state_dict()
    grid = bottom_up.pretrain_grid
    shared = part.get("rel_pos_bias.relative_position_bias_table")
    out = {}
    for key, value in part.items():
        table = re.match(r"^blocks\.(\d+)\.attn\.relative_position_bias_table$", key)
        qkv_bias = re.match(r"^(blocks\.\d+\.attn\.)qkv\.bias$", key)
        if key == "rel_pos_bias.relative_position_bias_table":
            continue
        if table and int(table[1]) < len(bottom_up.rel_pos):
            value = value if shared is None else value + shared
            out[f"rel_pos.{table[1]}.table"] = _rel_pos_table(value, grid, notes, key)
        elif qkv_bias and f"{qkv_bias[1]}q_bias" in own:
            q_bias, _, v_bias = value.chunk(3)
            out[f"beit.{qkv_bias[1]}q_bias"], out[f"beit.{qkv_bias[1]}v_bias"] = q_bias, v_bias
            notes.append(f"qkv.bias split into q_bias and v_bias; its key part is dropped ({KEY_BIAS})")
        elif key == "pos_embed" and "pos_embed" in own:
            out["beit.pos_embed"] = _resized_pos_embed(value, grid, 1, notes)
        elif key in own:
            out[f"beit.{key}"] = value
        else:
            skipped[key] = _skip_reason(key, len(beit.blocks))
    if shared is not None:
        shared = _rel_pos_table(shared, grid, notes, "rel_pos_bias.relative_position_bias_table")
        for index in range(len(bottom_up.rel_pos)):
            out.setdefault(f"rel_pos.{index}.table", shared)
        notes.append("the shared relative position table was added to (or copied into) each block's table")
    return out


def _resnet_tensors(state, bottom_up, skipped, notes):
    own = bottom_up.state_dict()
    part = None
    if "conv1_w" in state or "res_conv1_bn_s" in state:
        part, _ = convert_c2_detectron_names(dict(state))
        notes.append("Caffe2 Detectron names converted to Detectron2 names")
        for key in list(own):
            stats = re.match(r"^(.*\.norm\.)running_(mean|var)$", key)
            if stats and f"{stats[1]}weight" in part and key not in part:
                part[key] = (torch.zeros_like if stats[2] == "mean" else torch.ones_like)(own[key])
                notes.append("BatchNorm running statistics set to 0 and 1: the file folds them into scale and bias")
    if part is None:
        tv = _backbone_part(state, ("layer1.0.conv1.weight",), skipped, notes)
        if tv is None:
            return None
        notes.append("torchvision ResNet names converted to Detectron2 names")
        part = _rename(tv, TORCHVISION_TO_D2)
    out = {}
    for key, value in part.items():
        if key in own:
            out[key] = value
        else:
            skipped[key] = _skip_reason(key)
    return out


def _unflattened(key):
    """timm's features_only wrappers name `stages.0` `stages_0`; the classifier's checkpoint does not."""
    return re.sub(r"^([A-Za-z]\w*?)_(\d+)\.", r"\1.\2.", key)


def _timm_cnn_tensors(state, bottom_up, skipped, notes):
    own = [key for key in bottom_up.net.state_dict() if not key.endswith("num_batches_tracked")]
    part = _backbone_part(state, (_unflattened(own[0]), own[0]), skipped, notes)
    if part is None:
        return None
    out = {}
    for key in own:
        found = next((name for name in (key, _unflattened(key)) if name in part), None)
        if found is not None:
            out[f"net.{key}"] = part.pop(found)
    for key in part:
        skipped[key] = _skip_reason(key)
    return out


def _own_layout_tensors(state, bottom_up, trunk_prefixes, skipped, notes):
    """A file that already has this backbone's names (a Detectron2 checkpoint of this project)."""
    own = bottom_up.state_dict()
    anchor = next(key for key in own if key.startswith(trunk_prefixes))
    part = _backbone_part(state, (anchor,), skipped, notes)
    if part is None:
        return None
    out = {key: value for key, value in part.items() if key in own}
    skipped.update({key: _skip_reason(key) for key in part if key not in own})
    return out


FAMILIES = (
    (ViTBottomUp, _vit_tensors, ("vit.",)),
    (DiTBottomUp, _dit_tensors, ("beit.", "rel_pos.")),
    (TimmCNNBottomUp, _timm_cnn_tensors, ("net.",)),
    (ResNet, _resnet_tensors, ("",)),
)

DESCRIPTIONS = {
    "build_vit_fpn_backbone": lambda cfg: f"ViT {cfg.MODEL.VIT.NAME}",
    "build_dit_fpn_backbone": lambda cfg: f"DiT {cfg.MODEL.DIT.NAME}",
    "build_timm_cnn_fpn_backbone": lambda cfg: f"timm CNN {cfg.MODEL.TIMM.NAME}",
}


def describe_backbone(cfg):
    """A short name of the configured backbone for messages, e.g. 'ViT vit_tiny_patch16_224'."""
    describe = DESCRIPTIONS.get(cfg.MODEL.BACKBONE.NAME, lambda c: f"ResNet-{c.MODEL.RESNETS.DEPTH}")
    return describe(cfg)


def convert_checkpoint(path, bottom_up, backbone="the backbone", partial=False):
    """Weights of file `path` for `bottom_up` (keys of bottom_up.state_dict()) and the report.

    CheckpointError when the file is missing or unreadable, matches nothing, or has a tensor of
    another shape than the backbone's; unless `partial`, also when it lacks some of the backbone's
    tensors or holds tensors that have no place in it (signs of another architecture)."""
    state = read_checkpoint(path)
    family = next((f for f in FAMILIES if isinstance(bottom_up, f[0])), None)
    if family is None:
        raise CheckpointError(f"converting weights into a {type(bottom_up).__name__} backbone is not supported")
    _, convert, trunk_prefixes = family
    report = ConversionReport(source=path, backbone=backbone)
    tensors = _own_layout_tensors(state, bottom_up, trunk_prefixes, report.skipped, report.notes)
    if tensors is None:
        tensors = convert(state, bottom_up, report.skipped, report.notes)
    if not tensors:
        raise CheckpointError(
            f"weights file {path}: none of its {len(state)} tensors fits {backbone} (its keys: {_listed(state)}); "
            "is it a checkpoint of another architecture?"
        )
    own = bottom_up.state_dict()
    wrong = [
        f"{key}: file {tuple(value.shape)}, backbone {tuple(own[key].shape)}"
        for key, value in tensors.items()
        if value.shape != own[key].shape
    ]
    if wrong:
        more = f"\n  ... and {len(wrong) - MAX_LISTED} more" if len(wrong) > MAX_LISTED else ""
        raise CheckpointError(
            f"weights file {path} does not match {backbone}: {len(wrong)} tensors differ in shape "
            "(a checkpoint of another architecture, e.g. ViT-B weights for a ViT-T config?):\n  "
            + "\n  ".join(wrong[:MAX_LISTED]) + more
        )
    report.loaded = sorted(tensors)
    report.missing = sorted(
        key for key in own
        if key.startswith(trunk_prefixes) and key not in tensors and not key.endswith("num_batches_tracked")
    )
    unplaced = [key for key, reason in report.skipped.items() if reason == UNKNOWN]
    if not partial and (report.missing or unplaced):
        problems = []
        if report.missing:
            problems.append(f"lacks {len(report.missing)} tensors of the backbone: {_listed(report.missing)}")
        if unplaced:
            problems.append(f"holds {len(unplaced)} tensors the backbone has no place for: {_listed(unplaced)}")
        raise CheckpointError(
            f"weights file {path} does not match {backbone}: it " + "; it ".join(problems)
            + " (a checkpoint of another architecture or depth? accept it with --partial)"
        )
    fresh = sorted({key.split(".")[0] for key in own if not key.startswith(trunk_prefixes) and key not in tensors})
    report.notes.append(f"left to their random initialisation: {', '.join(fresh + ['the FPN', 'the heads'])}")
    return {key: value.contiguous() for key, value in tensors.items()}, report


def save_backbone_weights(tensors, path):
    """Write bottom-up `tensors` as a Detectron2-loadable .pth (keys prefixed 'backbone.bottom_up.')."""
    model = {BOTTOM_UP_PREFIX + key: value for key, value in tensors.items()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data = {"model": model, "__author__": "distildoc_d2 tools/convert_weights.py", "matching_heuristics": False}
    torch.save(data, path)
