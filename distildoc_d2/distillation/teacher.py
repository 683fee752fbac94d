"""Building, freezing and loading the teacher of a distillation run."""
import os

from detectron2.modeling import build_model

from ..checkpoint import load_weights_strictly
from ..errors import ConfigError


def teacher_config(cfg):
    """The teacher's own config (MODEL.DISTILL.TEACHER_CONFIG), on the student's device,
    checked to predict the student's classes."""
    from ..config import load_config  # here, not at the top: distildoc_d2.config imports this package

    path = cfg.MODEL.DISTILL.TEACHER_CONFIG
    if not path:
        raise ConfigError("MODEL.DISTILL.TEACHER_CONFIG is empty: name the teacher's config file")
    if not os.path.isfile(path):
        raise ConfigError(f"MODEL.DISTILL.TEACHER_CONFIG: teacher config file {path} does not exist")
    tcfg = load_config(path, ["MODEL.DEVICE", cfg.MODEL.DEVICE])
    if tcfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
        raise ConfigError(f"teacher config {path} is itself a distillation config; name a plain detector config")
    if tcfg.MODEL.ROI_HEADS.NUM_CLASSES != cfg.MODEL.ROI_HEADS.NUM_CLASSES:
        raise ConfigError(
            f"the teacher ({path}) predicts {tcfg.MODEL.ROI_HEADS.NUM_CLASSES} classes but the student "
            f"{cfg.MODEL.ROI_HEADS.NUM_CLASSES} (MODEL.ROI_HEADS.NUM_CLASSES)"
        )
    tcfg.freeze()
    return tcfg


def freeze(model):
    """Eval mode and no gradients for every parameter of `model`; returns it."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def build_frozen_teacher(tcfg):
    """The teacher's architecture, frozen, without weights (see `load_teacher_weights`)."""
    return freeze(build_model(tcfg))


def load_teacher_weights(teacher, path):
    """Load MODEL.DISTILL.TEACHER_WEIGHTS strictly into the teacher."""
    if not path:
        raise ConfigError("MODEL.DISTILL.TEACHER_WEIGHTS is empty: a distillation run needs the teacher's weights")
    load_weights_strictly(teacher, path, what="teacher weights file")
    freeze(teacher)
