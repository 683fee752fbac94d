"""Registered backbones: p2..p6 for any page size, a Mask R-CNN training step on each family,
position information resized to any patch grid, and checkpoint conversion that round-trips
exactly or fails with a clear error."""
import math
import os

import pytest
import safetensors.torch
import timm
import torch
import torchvision
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling import build_backbone, build_model
from detectron2.structures import Boxes, Instances, PolygonMasks
from detectron2.utils.events import EventStorage
from timm.models.beit import Attention as BeitAttention
from torch import nn

from distildoc_d2 import load_config
from distildoc_d2.backbones.position import RelativePositionBias, resize_rel_pos_table
from distildoc_d2.backbones.weights import convert_checkpoint, save_backbone_weights
from distildoc_d2.errors import CheckpointError, ConfigError

from conftest import REPO, TINY_MODEL, run_tool

DEMO = os.path.join(REPO, "configs", "demo")
VIT_T = os.path.join(DEMO, "supervised_ViT-T_FPN.yaml")
DIT_B = os.path.join(DEMO, "teacher_DiT-B_FPN.yaml")
R18 = os.path.join(DEMO, "supervised_R18_FPN.yaml")
MOBILENET = os.path.join(DEMO, "supervised_MobileNetV3_FPN.yaml")
R50 = os.path.join(DEMO, "teacher_R50_FPN.yaml")
TIMM_CNN = ["MODEL.BACKBONE.NAME", "build_timm_cnn_fpn_backbone"]
RESNET = ["MODEL.BACKBONE.NAME", "build_distildoc_resnet_fpn_backbone"]
BLOCKS = [3, 5, 7, 11]
SIZES = [(96, 160), (128, 64), (160, 224)]

BACKBONES = {
    "ViT-T": (VIT_T, []),
    "ViT-S simple pyramid": (VIT_T, ["MODEL.VIT.NAME", "vit_small_patch16_224", "MODEL.VIT.PYRAMID", "simple"]),
    "ViT-B": (VIT_T, ["MODEL.VIT.NAME", "vit_base_patch16_224", "MODEL.FPN.OUT_CHANNELS", "128"]),
    "DiT-B": (DIT_B, []),
    "R18": (R18, []),
    "R34": (R18, ["MODEL.RESNETS.DEPTH", "34"]),
    "R50": (R50, RESNET),
    "R101": (R50, [*RESNET, "MODEL.RESNETS.DEPTH", "101"]),
    "MobileNetV3": (MOBILENET, []),
    "EfficientNet-B0 FrozenBN": (MOBILENET, ["MODEL.TIMM.NAME", "efficientnet_b0", "MODEL.TIMM.NORM", "FrozenBN"]),
    "ConvNeXt-T": (MOBILENET, ["MODEL.TIMM.NAME", "convnext_tiny", "MODEL.FPN.OUT_CHANNELS", "64"]),
}


def _cfg(path, *overrides):
    return load_config(path, ["MODEL.DEVICE", "cpu", *overrides])


def _backbone(path, *overrides):
    torch.manual_seed(0)
    return build_backbone(_cfg(path, *overrides)).eval()


@pytest.fixture(scope="module")
def dit_backbone():
    """DiT-B with relative position tables for a 4x4 grid (64x64 pixels), to keep the tests fast."""
    return _backbone(DIT_B, "MODEL.VIT.PRETRAIN_IMG_SIZE", "64")


@pytest.mark.parametrize("name", list(BACKBONES))
def test_backbone_gives_p2_to_p6_for_non_square_pages(name, dit_backbone):
    path, overrides = BACKBONES[name]
    cfg = _cfg(path, *overrides)
    backbone = dit_backbone if name == "DiT-B" else _backbone(path, *overrides)
    channels = cfg.MODEL.FPN.OUT_CHANNELS
    assert backbone.size_divisibility == 32
    shapes = backbone.output_shape()
    assert {k: (s.channels, s.stride) for k, s in shapes.items()} == {
        f"p{level}": (channels, 2**level) for level in range(2, 7)
    }
    with torch.no_grad():
        for height, width in SIZES:
            out = backbone(torch.randn(1, 3, height, width))
            for level in range(2, 7):
                stride = 2**level
                assert out[f"p{level}"].shape == (1, channels, math.ceil(height / stride), math.ceil(width / stride))
                assert torch.isfinite(out[f"p{level}"]).all()


def _page(height, width, seed):
    boxes = [[4.0, 6.0, width * 0.8, height * 0.4], [8.0, height * 0.5, width * 0.6, height - 4.0]]
    instances = Instances((height, width))
    instances.gt_boxes = Boxes(torch.tensor(boxes))
    instances.gt_classes = torch.tensor([9, 8])
    instances.gt_masks = PolygonMasks([[[x0, y0, x1, y0, x1, y1, x0, y1]] for x0, y0, x1, y1 in boxes])
    image = torch.rand(3, height, width, generator=torch.Generator().manual_seed(seed)) * 255
    return {"image": image, "instances": instances}


@pytest.mark.parametrize("path,first_weight", [
    (VIT_T, "vit.patch_embed.proj.weight"),
    (R18, "stem.conv1.weight"),
    (MOBILENET, "net.conv_stem.weight"),
])
def test_mask_rcnn_training_step(path, first_weight):
    torch.manual_seed(0)
    model = build_model(load_config(path, TINY_MODEL))
    model.train()
    with EventStorage():
        losses = model([_page(70, 100, 0), _page(96, 60, 1)])  # padded to multiples of 32
    assert {"loss_cls", "loss_box_reg", "loss_mask", "loss_rpn_cls", "loss_rpn_loc"} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    grad = dict(model.backbone.bottom_up.named_parameters())[first_weight].grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_relative_position_bias_matches_timm_at_the_pretraining_grid():
    torch.manual_seed(0)
    attention = BeitAttention(dim=48, num_heads=3, qkv_bias=True, window_size=(14, 14))
    nn.init.normal_(attention.relative_position_bias_table)
    bias = RelativePositionBias((14, 14), num_heads=3)
    with torch.no_grad():
        bias.table.copy_(attention.relative_position_bias_table)
    assert torch.equal(bias((14, 14)), attention._get_rel_pos_bias())
    assert resize_rel_pos_table(bias.table, (14, 14), (14, 14)) is bias.table


def test_relative_position_bias_on_a_non_square_grid_depends_only_on_the_offset():
    torch.manual_seed(0)
    bias = RelativePositionBias((14, 14), num_heads=2)
    nn.init.normal_(bias.table)
    grid = (5, 9)
    values = bias(grid)[0]
    assert values.shape == (2, 46, 46)
    by_offset = {}
    for i in range(45):
        for j in range(45):
            offset = (i // 9 - j // 9, i % 9 - j % 9)
            expected = by_offset.setdefault(offset, values[:, i + 1, j + 1])
            assert torch.equal(values[:, i + 1, j + 1], expected)
    assert torch.equal(values[:, 0, 1:], bias.table[-3, :, None].expand(2, 45))  # class token to patch
    values.sum().backward()
    assert bias.table.grad.abs().sum() > 0


def test_vit_position_embeddings_are_unchanged_at_the_native_grid_and_resized_elsewhere(tmp_path):
    backbone = _backbone(VIT_T)
    vit = backbone.bottom_up.vit
    assert timm.layers.resample_abs_pos_embed(vit.pos_embed, [14, 14], [14, 14]) is vit.pos_embed
    source = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=256)
    torch.save(source.state_dict(), tmp_path / "vit256.pth")
    tensors, report = convert_checkpoint(str(tmp_path / "vit256.pth"), backbone.bottom_up)
    assert tensors["vit.pos_embed"].shape == vit.pos_embed.shape
    assert any("resized from a 16x16 to a 14x14 grid" in note for note in report.notes)


def _holder(backbone):
    holder = nn.Module()
    holder.backbone = backbone
    return holder


def _load_through_detectron2(backbone, tensors, path):
    save_backbone_weights(tensors, path)
    DetectionCheckpointer(_holder(backbone)).load(str(path))


def test_timm_vit_checkpoint_round_trip(tmp_path):
    torch.manual_seed(1)
    source = timm.create_model("vit_tiny_patch16_224", pretrained=False).eval()
    torch.save({"model": source.state_dict()}, tmp_path / "vit.pth")
    backbone = _backbone(VIT_T)
    tensors, report = convert_checkpoint(str(tmp_path / "vit.pth"), backbone.bottom_up)
    assert not report.missing and "head.weight" in report.skipped
    _load_through_detectron2(backbone, tensors, tmp_path / "vit_d2.pth")
    image = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = source.forward_intermediates(image, indices=BLOCKS, intermediates_only=True)
        got = backbone.bottom_up.block_maps(image)
    for a, b in zip(expected, got):
        assert torch.equal(a, b)


def _hugging_face_vit(state):
    """timm ViT tensors under the names of Hugging Face transformers' ViTForImageClassification."""
    named = {
        "vit.embeddings.cls_token": state["cls_token"],
        "vit.embeddings.position_embeddings": state["pos_embed"],
        "vit.embeddings.patch_embeddings.projection.weight": state["patch_embed.proj.weight"],
        "vit.embeddings.patch_embeddings.projection.bias": state["patch_embed.proj.bias"],
        "vit.layernorm.weight": state["norm.weight"],
        "vit.layernorm.bias": state["norm.bias"],
        "classifier.weight": state["head.weight"],
        "classifier.bias": state["head.bias"],
    }
    for i in range(12):
        timm_block, layer = f"blocks.{i}.", f"vit.encoder.layer.{i}."
        for kind in ("weight", "bias"):
            for name, part in zip(("query", "key", "value"), state[f"{timm_block}attn.qkv.{kind}"].chunk(3)):
                named[f"{layer}attention.attention.{name}.{kind}"] = part
            named[f"{layer}attention.output.dense.{kind}"] = state[f"{timm_block}attn.proj.{kind}"]
            named[f"{layer}layernorm_before.{kind}"] = state[f"{timm_block}norm1.{kind}"]
            named[f"{layer}layernorm_after.{kind}"] = state[f"{timm_block}norm2.{kind}"]
            named[f"{layer}intermediate.dense.{kind}"] = state[f"{timm_block}mlp.fc1.{kind}"]
            named[f"{layer}output.dense.{kind}"] = state[f"{timm_block}mlp.fc2.{kind}"]
    return named


def test_hugging_face_vit_checkpoint_round_trip(tmp_path):
    torch.manual_seed(6)
    source = timm.create_model("vit_tiny_patch16_224", pretrained=False).eval()
    with torch.no_grad():
        for block in source.blocks:
            block.attn.qkv.bias.normal_()
    safetensors.torch.save_file({k: v.contiguous() for k, v in _hugging_face_vit(source.state_dict()).items()},
                                tmp_path / "model.safetensors")
    backbone = _backbone(VIT_T)
    tensors, report = convert_checkpoint(str(tmp_path / "model.safetensors"), backbone.bottom_up)
    assert not report.missing and "classifier.weight" in report.skipped
    backbone.bottom_up.load_state_dict(tensors, strict=False)
    image = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = source.forward_intermediates(image, indices=BLOCKS, intermediates_only=True)
        got = backbone.bottom_up.block_maps(image)
    for a, b in zip(expected, got):
        assert torch.equal(a, b)


def _beit_source():
    """A BEiT pre-training-style model (shared relative position table, q/v biases, layer scale)."""
    torch.manual_seed(2)
    source = timm.create_model("beit_base_patch16_224", pretrained=False, num_classes=0, img_size=64,
                               use_rel_pos_bias=False, use_shared_rel_pos_bias=True).eval()
    with torch.no_grad():
        for name, parameter in source.named_parameters():
            if "relative_position_bias_table" in name or name.endswith(("q_bias", "v_bias")):
                parameter.normal_()
    return source


def test_beit_dit_checkpoint_round_trip(tmp_path, dit_backbone):
    source = _beit_source()
    state = source.state_dict()
    torch.save({"model": state, "epoch": 3}, tmp_path / "dit.pth")
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = source.forward_intermediates(image, indices=BLOCKS, intermediates_only=True)
    tensors, report = convert_checkpoint(str(tmp_path / "dit.pth"), dit_backbone.bottom_up)
    assert not report.missing and len([k for k in tensors if k.startswith("rel_pos.")]) == 12
    _load_through_detectron2(dit_backbone, tensors, tmp_path / "dit_d2.pth")
    with torch.no_grad():
        got = dit_backbone.bottom_up.block_maps(image)
    for a, b in zip(expected, got):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)

    # the same weights as per-block tables and one qkv bias (with a key part attention ignores)
    split = {k: v for k, v in state.items() if not k.startswith("rel_pos_bias.")}
    for i in range(12):
        block = f"blocks.{i}.attn."
        split[f"{block}relative_position_bias_table"] = state["rel_pos_bias.relative_position_bias_table"]
        q_bias, v_bias = split.pop(f"{block}q_bias"), split.pop(f"{block}v_bias")
        split[f"{block}qkv.bias"] = torch.cat([q_bias, torch.randn_like(q_bias), v_bias])
    torch.save(split, tmp_path / "dit_split.pth")
    tensors, _ = convert_checkpoint(str(tmp_path / "dit_split.pth"), dit_backbone.bottom_up)
    dit_backbone.bottom_up.load_state_dict(tensors, strict=False)
    with torch.no_grad():
        got = dit_backbone.bottom_up.block_maps(image)
    for a, b in zip(expected, got):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_torchvision_resnet_checkpoint_round_trip(tmp_path):
    torch.manual_seed(3)
    source = torchvision.models.resnet18().eval()
    with torch.no_grad():
        for module in source.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.normal_()
                module.running_var.uniform_(0.5, 2.0)
                module.weight.normal_()
    torch.save(source.state_dict(), tmp_path / "resnet.pth")
    backbone = _backbone(R18, "MODEL.RESNETS.NORM", "FrozenBN")
    tensors, report = convert_checkpoint(str(tmp_path / "resnet.pth"), backbone.bottom_up)
    assert not report.missing and "fc.weight" in report.skipped
    _load_through_detectron2(backbone, tensors, tmp_path / "resnet_d2.pth")
    image = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        x = source.maxpool(source.relu(source.bn1(source.conv1(image))))
        got = backbone.bottom_up(image)
        for stage, layer in enumerate([source.layer1, source.layer2, source.layer3, source.layer4]):
            x = layer(x)
            torch.testing.assert_close(got[f"res{stage + 2}"], x, rtol=1e-4, atol=1e-4)


def test_timm_cnn_checkpoint_round_trip(tmp_path):
    torch.manual_seed(4)
    source = timm.create_model("mobilenetv3_large_100", pretrained=False).eval()
    torch.save(source.state_dict(), tmp_path / "mobilenet.pth")
    backbone = _backbone(MOBILENET, "MODEL.TIMM.NORM", "BN")
    tensors, report = convert_checkpoint(str(tmp_path / "mobilenet.pth"), backbone.bottom_up)
    assert not report.missing and "classifier.weight" in report.skipped
    backbone.bottom_up.load_state_dict(tensors, strict=False)
    image = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = source.forward_intermediates(image, intermediates_only=True)[1:]
        got = list(backbone.bottom_up(image).values())
    for a, b in zip(expected, got):
        assert torch.equal(a, b)


def test_wrong_architecture_and_missing_file_are_clear_errors(tmp_path):
    torch.save(timm.create_model("vit_small_patch16_224", pretrained=False).state_dict(), tmp_path / "vit_s.pth")
    backbone = _backbone(VIT_T)
    shapes = r"qkv.weight: file \(1152, 384\), backbone \(576, 192\)"
    with pytest.raises(CheckpointError, match=rf"(?s)vit_s.pth does not match ViT vit_tiny_patch16_224: 148 tensors .*{shapes}"):
        convert_checkpoint(str(tmp_path / "vit_s.pth"), backbone.bottom_up, "ViT vit_tiny_patch16_224")
    with pytest.raises(CheckpointError, match="nope.pth does not exist"):
        convert_checkpoint(str(tmp_path / "nope.pth"), backbone.bottom_up)
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "r18.pth")
    with pytest.raises(CheckpointError, match="none of its .* tensors fits"):
        convert_checkpoint(str(tmp_path / "r18.pth"), backbone.bottom_up)
    r34 = _backbone(R18, "MODEL.RESNETS.DEPTH", "34")
    with pytest.raises(CheckpointError, match=r"lacks 48 tensors of the backbone: res2.2.conv1.*--partial"):
        convert_checkpoint(str(tmp_path / "r18.pth"), r34.bottom_up)
    _, report = convert_checkpoint(str(tmp_path / "r18.pth"), r34.bottom_up, partial=True)
    assert "res5.2.conv2.weight" in report.missing


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="DEPTH 18 has basic blocks: set MODEL.RESNETS.RES2_OUT_CHANNELS 64"):
        _backbone(R18, "MODEL.RESNETS.RES2_OUT_CHANNELS", "256")
    with pytest.raises(ConfigError, match="MODEL.TIMM.NAME: 'mobilenetv3_large_10' is not a timm model; did you mean"):
        _backbone(MOBILENET, "MODEL.TIMM.NAME", "mobilenetv3_large_10")
    with pytest.raises(ConfigError, match="MODEL.VIT.OUT_BLOCKS must be four increasing"):
        _backbone(VIT_T, "MODEL.VIT.OUT_BLOCKS", "(3, 5, 7, 12)")
    with pytest.raises(ConfigError, match="MODEL.VIT.NAME: timm cannot build 'beit_base_patch16_224'"):
        _backbone(VIT_T, "MODEL.VIT.NAME", "beit_base_patch16_224")


def test_convert_weights_tool_end_to_end(tmp_path):
    torch.manual_seed(5)
    source = timm.create_model("vit_tiny_patch16_224", pretrained=False)
    torch.save({"state_dict": source.state_dict()}, tmp_path / "vit.pth")
    output = tmp_path / "out" / "vit_d2.pth"
    result = run_tool("convert_weights.py", "--config-file", VIT_T, "--input", tmp_path / "vit.pth",
                      "--output", output, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loaded: 148 tensors" in result.stdout and "missing (left at their initial values): 0" in result.stdout
    written = torch.load(output, weights_only=True)["model"]
    assert torch.equal(written["backbone.bottom_up.vit.blocks.0.attn.qkv.weight"], source.blocks[0].attn.qkv.weight)

    torch.save(torchvision.models.resnet50().state_dict(), tmp_path / "r50.pth")
    result = run_tool("convert_weights.py", "--config-file", R18, "--input", tmp_path / "r50.pth",
                      "--output", tmp_path / "r18_d2.pth", timeout=300)
    assert result.returncode == 2
    assert "\nerror: weights file" in "\n" + result.stderr and "r50.pth does not match ResNet-18" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r18_d2.pth").exists()
