"""ResNet-18/34/50/101/152 + FPN: Detectron2's own ResNet, with its config checked up front."""
from detectron2.modeling import BACKBONE_REGISTRY
from detectron2.modeling.backbone.resnet import build_resnet_backbone

from ..errors import ConfigError
from .fpn import add_fpn

DEPTHS = (18, 34, 50, 101, 152)
BASIC_BLOCK_DEPTHS = (18, 34)


def check_resnet_config(cfg):
    """ConfigError for MODEL.RESNETS settings Detectron2's ResNet would reject with an assertion
    (R18/R34: basic blocks need RES2_OUT_CHANNELS 64, no groups, no dilation) or that need compiled ops."""
    res = cfg.MODEL.RESNETS
    if res.DEPTH not in DEPTHS:
        raise ConfigError(f"MODEL.RESNETS.DEPTH must be one of {', '.join(map(str, DEPTHS))}, got {res.DEPTH}")
    if any(res.DEFORM_ON_PER_STAGE):
        raise ConfigError("MODEL.RESNETS.DEFORM_ON_PER_STAGE: deformable convolutions need detectron2._C, "
                          "which this installation does not have")
    if res.DEPTH in BASIC_BLOCK_DEPTHS:
        wrong = {
            "RES2_OUT_CHANNELS": (res.RES2_OUT_CHANNELS, 64),
            "NUM_GROUPS": (res.NUM_GROUPS, 1),
            "RES5_DILATION": (res.RES5_DILATION, 1),
        }
        for key, (value, needed) in wrong.items():
            if value != needed:
                raise ConfigError(
                    f"MODEL.RESNETS.DEPTH {res.DEPTH} has basic blocks: set MODEL.RESNETS.{key} {needed} "
                    f"(got {value}); configs/*/supervised_R18_FPN.yaml shows how"
                )


@BACKBONE_REGISTRY.register()
def build_distildoc_resnet_fpn_backbone(cfg, input_shape):
    """Detectron2's ResNet (MODEL.RESNETS.*, any depth, checked) and an FPN to p2..p6."""
    check_resnet_config(cfg)
    return add_fpn(cfg, build_resnet_backbone(cfg, input_shape))
