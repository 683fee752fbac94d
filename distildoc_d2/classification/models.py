"""Document image classifiers: a registry of model builders (timm by default) and the wrapper
that normalises pages and exposes the outputs distillation reads (logits, pooled features,
last feature map, a middle-layer hint)."""
import difflib
import os

import timm
import torch
from fvcore.common.registry import Registry
from timm.layers import resample_abs_pos_embed
from torch import nn

from ..errors import CheckpointError, ConfigError

DIC_MODEL_REGISTRY = Registry("DIC_MODEL")
DIC_MODEL_REGISTRY.__doc__ = """Builders of document image classifiers.

A builder is called as `builder(model_cfg, input_size, num_classes)` with `model_cfg` =
cfg.MODEL.CLASSIFIER, `input_size` = (height, width) and `num_classes` (0: no classifier head)
and returns an ImageClassifier. Register your own with `@register_model_builder("name")` and
select it with MODEL.CLASSIFIER.BUILDER.
"""


def register_model_builder(name):
    """Function decorator: register a classifier builder as MODEL.CLASSIFIER.BUILDER `name`."""

    def deco(builder):
        DIC_MODEL_REGISTRY._do_register(name, builder)
        return builder

    return deco


class ImageClassifier(nn.Module):
    """A timm-style network (forward_features / forward_head / get_classifier, and
    forward_intermediates for hints) whose input is RGB pages in [0, 1], normalised here."""

    def __init__(self, net, pixel_mean, pixel_std):
        super().__init__()
        self.net = net
        self.register_buffer("pixel_mean", torch.tensor(pixel_mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("pixel_std", torch.tensor(pixel_std).view(1, -1, 1, 1), persistent=False)

    def forward(self, images):
        """Class logits of a batch of pages (B, 3, H, W) in [0, 1]."""
        return self.net(self.normalize(images))

    def normalize(self, images):
        """Subtract the mean and divide by the standard deviation, per channel."""
        return (images - self.pixel_mean) / self.pixel_std

    def classifier(self):
        """The final classification layer (applied to `pre_logits`)."""
        return self.net.get_classifier()

    def extract(self, images, outputs, hint_index=None):
        """A dict with the requested `outputs` among "logits", "pre_logits" (pooled penultimate
        feature), "feature_map" (last features as B x C x h x w) and "hint" (output of feature
        level `hint_index` as B x C x h x w)."""
        x = self.normalize(images)
        result = {}
        if set(outputs) == {"hint"}:
            hints = self.net.forward_intermediates(x, indices=[hint_index], output_fmt="NCHW", stop_early=True,
                                                   intermediates_only=True)
            return {"hint": hints[0]}
        if "hint" in outputs:
            final, hints = self.net.forward_intermediates(x, indices=[hint_index], output_fmt="NCHW")
            result["hint"] = hints[0]
        else:
            final = self.net.forward_features(x)
        if "feature_map" in outputs:
            result["feature_map"] = self._as_map(final, x.shape[-2:])
        if "pre_logits" in outputs:
            result["pre_logits"] = self.net.forward_head(final, pre_logits=True)
        if "logits" in outputs:
            result["logits"] = self.net.forward_head(final)
        return result

    def _as_map(self, features, size):
        if features.ndim == 4:
            return features.permute(0, 3, 1, 2) if getattr(self.net, "output_fmt", "NCHW") == "NHWC" else features
        tokens = features[:, getattr(self.net, "num_prefix_tokens", 0):]
        embed = self.net.patch_embed
        grid = embed.dynamic_feat_size(tuple(size)) if getattr(embed, "dynamic_img_size", False) else embed.grid_size
        return tokens.reshape(tokens.shape[0], grid[0], grid[1], tokens.shape[-1]).permute(0, 3, 1, 2)

    def default_hint_index(self):
        """The middle feature level: the stride-16 stage of a CNN, block depth/2 - 1 of a ViT."""
        info = getattr(self.net, "feature_info", None)
        if not info or not hasattr(self.net, "forward_intermediates"):
            raise ConfigError(
                f"{type(self.net).__name__} exposes no intermediate features; FitNet needs a timm model with "
                "forward_intermediates"
            )
        reductions = [level["reduction"] for level in info]
        if len(set(reductions)) == 1:
            return max(0, len(info) // 2 - 1)
        stride16 = [i for i, r in enumerate(reductions) if r == 16]
        return stride16[-1] if stride16 else len(info) // 2


def _check_arch(name):
    if not timm.is_model(name):
        close = difflib.get_close_matches(name, timm.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"MODEL.CLASSIFIER.ARCH: timm has no model '{name}'{hint}")


@register_model_builder("timm")
def build_timm_classifier(model_cfg, input_size, num_classes):
    """Any timm model by name, randomly initialised (never downloaded); transformers get
    `img_size` = the input size, so their position embeddings fit non-square pages."""
    _check_arch(model_cfg.ARCH)
    kwargs = dict(model_cfg.KWARGS)
    kwargs.setdefault("drop_rate", model_cfg.DROP_RATE)
    if model_cfg.DROP_PATH_RATE > 0:
        kwargs.setdefault("drop_path_rate", model_cfg.DROP_PATH_RATE)
    try:
        net = timm.create_model(model_cfg.ARCH, pretrained=False, num_classes=num_classes,
                                img_size=tuple(input_size), **kwargs)
    except TypeError as err:
        if "img_size" not in str(err):
            raise ConfigError(f"MODEL.CLASSIFIER: timm cannot build {model_cfg.ARCH} with {kwargs}: {err}") from None
        try:
            net = timm.create_model(model_cfg.ARCH, pretrained=False, num_classes=num_classes, **kwargs)
        except TypeError as err2:
            raise ConfigError(f"MODEL.CLASSIFIER: timm cannot build {model_cfg.ARCH} with {kwargs}: {err2}") from None
    classifier = ImageClassifier(net, model_cfg.PIXEL_MEAN, model_cfg.PIXEL_STD)
    if model_cfg.BACKBONE_WEIGHTS:
        load_backbone_weights(classifier, model_cfg.BACKBONE_WEIGHTS)
    return classifier


def build_classifier(model_cfg, input_size, num_classes=None):
    """The classifier that `model_cfg` (cfg.MODEL.CLASSIFIER) describes, with `num_classes`
    outputs (default NUM_CLASSES; 0 = no head)."""
    if model_cfg.BUILDER not in DIC_MODEL_REGISTRY:
        names = ", ".join(name for name, _ in DIC_MODEL_REGISTRY)
        raise ConfigError(f"MODEL.CLASSIFIER.BUILDER: '{model_cfg.BUILDER}' is not registered (known: {names})")
    count = model_cfg.NUM_CLASSES if num_classes is None else num_classes
    return DIC_MODEL_REGISTRY.get(model_cfg.BUILDER)(model_cfg, tuple(input_size), count)


def _read_state_dict(path):
    if not os.path.isfile(path):
        raise CheckpointError(f"backbone weights file {path} does not exist")
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            state = load_file(path)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch, pickle and safetensors raise many types for a corrupt file
        raise CheckpointError(f"backbone weights file {path} cannot be read: {err}") from None
    for key in ("model", "state_dict", "model_state"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def load_backbone_weights(classifier, path):
    """Load timm-format weights into the backbone of `classifier`: the file's classifier is
    dropped (ours keeps its initialisation), a ViT position embedding is resampled to our grid,
    and every other key must match exactly (CheckpointError otherwise)."""
    net = classifier.net
    state = _read_state_dict(path)
    head = net.pretrained_cfg.get("classifier") or ""
    heads = (head,) if isinstance(head, str) else tuple(head)
    is_head = lambda key: any(h and (key == h or key.startswith(h + ".")) for h in heads)  # noqa: E731
    state = {k: v for k, v in state.items() if not is_head(k)}
    pos_embed = getattr(net, "pos_embed", None)
    if isinstance(pos_embed, torch.Tensor) and "pos_embed" in state and state["pos_embed"].shape != pos_embed.shape:
        prefix = 0 if getattr(net, "no_embed_class", False) else getattr(net, "num_prefix_tokens", 1)
        state["pos_embed"] = resample_abs_pos_embed(state["pos_embed"], list(net.patch_embed.grid_size),
                                                    num_prefix_tokens=prefix)
    own = net.state_dict()
    wrong = [f"{k}: file {tuple(v.shape)}, model {tuple(own[k].shape)}"
             for k, v in state.items() if k in own and v.shape != own[k].shape]
    missing = [k for k in own if k not in state and not is_head(k)]
    unexpected = [k for k in state if k not in own]
    if wrong or missing or unexpected:
        problems = wrong + ([f"missing from the file: {', '.join(missing)}"] if missing else [])
        problems += [f"not in the model: {', '.join(unexpected)}"] if unexpected else []
        raise CheckpointError(f"backbone weights file {path} does not match {net.default_cfg.get('architecture')}:\n  "
                              + "\n  ".join(problems))
    net.load_state_dict(state, strict=False)
