"""A registered backbone builder for SimKD students, so that an exported SimKD student is a plain
GeneralizedRCNN whose backbone is a ProjectedBackbone (student body + projectors into the
teacher's channels) and whose heads have the teacher's shapes.

Its config keys (MODEL.PROJECTED_BACKBONE.*) are added by `add_projected_backbone_config`;
`load_deploy_config` in deploy_config.py adds them when it reads an exported config.
"""
from detectron2.config import CfgNode as CN
from detectron2.modeling import BACKBONE_REGISTRY, ShapeSpec, build_backbone

from ..distillation.projected_backbone import ProjectedBackbone
from ..errors import ConfigError

BUILDER_NAME = "build_projected_backbone"


def add_projected_backbone_config(cfg):
    """Declare MODEL.PROJECTED_BACKBONE.* (only read when MODEL.BACKBONE.NAME is build_projected_backbone)."""
    node = cfg.MODEL.PROJECTED_BACKBONE = CN()
    # Builder (a BACKBONE_REGISTRY name) of the student backbone that the projectors follow.
    node.BODY = "build_resnet_fpn_backbone"
    # Channels of every projected level: those of the teacher whose heads consume them.
    node.OUT_CHANNELS = 256
    # Projector type, as MODEL.DISTILL.SIMKD.PROJECTOR: "conv1x1" or "simkd".
    node.PROJECTOR = "simkd"


@BACKBONE_REGISTRY.register()
def build_projected_backbone(cfg, input_shape):
    """The student body (MODEL.PROJECTED_BACKBONE.BODY) followed by per-level projectors to
    MODEL.PROJECTED_BACKBONE.OUT_CHANNELS channels."""
    node = cfg.MODEL.PROJECTED_BACKBONE
    if node.BODY == BUILDER_NAME:
        raise ConfigError(f"MODEL.PROJECTED_BACKBONE.BODY cannot be {BUILDER_NAME} itself")
    body_cfg = cfg.clone()
    body_cfg.defrost()
    body_cfg.MODEL.BACKBONE.NAME = node.BODY
    body = build_backbone(body_cfg, input_shape)
    shapes = {name: ShapeSpec(channels=node.OUT_CHANNELS, stride=spec.stride)
              for name, spec in body.output_shape().items()}
    return ProjectedBackbone(body, shapes, node.PROJECTOR)
