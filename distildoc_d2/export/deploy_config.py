"""The deployable student of a run: its config as plain Detectron2 reads it, and its state dict
without the KD-only modules.

A DistillationRCNN student is a GeneralizedRCNN plus modules used only by KD losses
(`distillers.*`); its deployable form drops them. For feature_mse, reviewkd and roi_kd the result
is a stock Mask R-CNN: the config written for it holds only keys that `detectron2.config.get_cfg()`
knows. A SimKD student keeps its projectors (backbone `build_projected_backbone`, heads built from
the teacher's config), and students with backbones registered by distildoc_d2 (ViT, DiT, timm)
keep distildoc_d2's config keys: both need `import distildoc_d2` to be built.
"""
import os

import torch
from detectron2.config import CfgNode, get_cfg
from detectron2.modeling import (
    BACKBONE_REGISTRY,
    META_ARCH_REGISTRY,
    PROPOSAL_GENERATOR_REGISTRY,
    ROI_BOX_HEAD_REGISTRY,
    ROI_HEADS_REGISTRY,
    ROI_MASK_HEAD_REGISTRY,
    build_backbone,
    build_model,
)

from ..checkpoint import load_weights_strictly
from ..config import add_distildoc_config, load_config
from ..distillation.teacher import teacher_config
from ..errors import ConfigError
from .projected import BUILDER_NAME, add_projected_backbone_config

KD_ONLY_PREFIX = "distillers."
# Builders registered by distildoc_d2 that build exactly what a stock Detectron2 builder builds.
STOCK_EQUIVALENTS = {"build_distildoc_resnet_fpn_backbone": "build_resnet_fpn_backbone"}
# MODEL.* entries a SimKD student takes from its teacher's config (DistillationRCNN copies the
# teacher's RPN and ROI heads into the student).
TEACHER_HEAD_KEYS = ("PROPOSAL_GENERATOR", "ANCHOR_GENERATOR", "RPN", "ROI_HEADS", "ROI_BOX_HEAD",
                     "ROI_BOX_CASCADE_HEAD", "ROI_MASK_HEAD", "ROI_KEYPOINT_HEAD", "MASK_ON", "KEYPOINT_ON")


def student_state_dict(model):
    """The state dict of the deployable student: `model`'s without the KD-only modules."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith(KD_ONLY_PREFIX)}


def _is_stock(registry, name):
    try:
        builder = registry.get(name)
    except KeyError:
        return False
    return builder.__module__.startswith("detectron2.")


def is_stock_config(cfg):
    """Whether every registered part the config names is one of stock Detectron2's."""
    model = cfg.MODEL
    parts = [
        (META_ARCH_REGISTRY, model.META_ARCHITECTURE),
        (BACKBONE_REGISTRY, model.BACKBONE.NAME),
        (PROPOSAL_GENERATOR_REGISTRY, model.PROPOSAL_GENERATOR.NAME),
        (ROI_HEADS_REGISTRY, model.ROI_HEADS.NAME),
        (ROI_BOX_HEAD_REGISTRY, model.ROI_BOX_HEAD.NAME),
    ]
    if model.MASK_ON:
        parts.append((ROI_MASK_HEAD_REGISTRY, model.ROI_MASK_HEAD.NAME))
    return all(_is_stock(registry, name) for registry, name in parts)


def stock_only(cfg):
    """A copy of `cfg` with exactly the keys of `detectron2.config.get_cfg()`."""
    stock = get_cfg()

    def copy_known(dst, src):
        for key, value in dst.items():
            if isinstance(value, CfgNode):
                copy_known(value, src[key])
            else:
                dst[key] = src[key]

    copy_known(stock, cfg)
    return stock


def _simkd_student(deploy, cfg):
    """Turn `deploy` into the config of a SimKD student: projected backbone, teacher's heads."""
    teacher = teacher_config(cfg)
    shapes = build_backbone(teacher).output_shape()
    channels = {spec.channels for spec in shapes.values()}
    if len(channels) != 1:
        raise ConfigError(f"SimKD export needs a teacher whose feature levels share one channel count, "
                          f"got {sorted(channels)}")
    add_projected_backbone_config(deploy)
    node = deploy.MODEL.PROJECTED_BACKBONE
    node.BODY = deploy.MODEL.BACKBONE.NAME
    node.OUT_CHANNELS = channels.pop()
    node.PROJECTOR = cfg.MODEL.DISTILL.SIMKD.PROJECTOR
    deploy.MODEL.BACKBONE.NAME = BUILDER_NAME
    for key in TEACHER_HEAD_KEYS:
        value = teacher.MODEL[key]
        deploy.MODEL[key] = value.clone() if isinstance(value, CfgNode) else value


def deployable_config(cfg):
    """(config, stock) of the deployable student of the run `cfg`: a GeneralizedRCNN on CPU with
    no data sets and no weights file set; `stock` tells whether plain Detectron2 builds it (the
    config then holds only stock keys)."""
    deploy = cfg.clone()
    deploy.defrost()
    name = deploy.MODEL.BACKBONE.NAME
    deploy.MODEL.BACKBONE.NAME = STOCK_EQUIVALENTS.get(name, name)
    if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
        deploy.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
        if "simkd" in cfg.MODEL.DISTILL.METHODS:
            _simkd_student(deploy, cfg)
        defaults = get_cfg()
        add_distildoc_config(defaults)
        deploy.MODEL.DISTILL = defaults.MODEL.DISTILL
    deploy.MODEL.WEIGHTS = ""
    deploy.MODEL.DEVICE = "cpu"
    deploy.DATASETS.TRAIN = ()
    deploy.DATASETS.TEST = ()
    if is_stock_config(deploy):
        return stock_only(deploy), True
    return deploy, False


def load_deploy_config(path, stock):
    """Read a config written by the export: with plain `get_cfg()` when `stock`, else with
    distildoc_d2's keys (and MODEL.PROJECTED_BACKBONE)."""
    if not os.path.isfile(path):
        raise ConfigError(f"exported config {path} does not exist")
    if not stock:
        return load_config(path, extra_setup=(add_projected_backbone_config,))
    cfg = get_cfg()
    try:
        cfg.merge_from_file(path)
    except (KeyError, ValueError, TypeError, AssertionError) as err:
        raise ConfigError(f"exported config {path}: {err}") from None
    return cfg


def load_deployed_model(config_file, weights, stock, device="cpu"):
    """The exported student (GeneralizedRCNN) built from its config, weights loaded strictly, eval mode."""
    cfg = load_deploy_config(config_file, stock)
    cfg.MODEL.DEVICE = str(device)
    model = build_model(cfg)
    load_weights_strictly(model, weights, what="exported weights file")
    return cfg, model.eval()


def save_weights(state_dict, path):
    """Write a Detectron2 checkpoint ({"model": state dict}) that DetectionCheckpointer loads."""
    torch.save({"model": {k: v.detach().cpu() for k, v in state_dict.items()}}, path)
