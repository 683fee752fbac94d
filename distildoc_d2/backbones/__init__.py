"""Student and teacher backbones registered in Detectron2's BACKBONE_REGISTRY (see config.py)."""
from .config import add_backbone_config
from .dit import build_dit_fpn_backbone
from .resnet import build_distildoc_resnet_fpn_backbone
from .timm_cnn import build_timm_cnn_fpn_backbone
from .vit import build_vit_fpn_backbone

__all__ = [
    "add_backbone_config",
    "build_distildoc_resnet_fpn_backbone",
    "build_vit_fpn_backbone",
    "build_dit_fpn_backbone",
    "build_timm_cnn_fpn_backbone",
]
