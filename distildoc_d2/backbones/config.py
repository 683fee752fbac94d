"""Config keys of the backbones registered by distildoc_d2, each with its default.

Every bottom-up network below returns maps named res2..res5 at strides 4, 8, 16 and 32 (the
names of Detectron2's ResNet), so MODEL.FPN.IN_FEATURES of the shared base config applies to all
of them; MODEL.FPN.OUT_CHANNELS sets the FPN width (256 for teachers, 128 for narrow students).

MODEL.BACKBONE.NAME chooses the builder:
  build_distildoc_resnet_fpn_backbone  Detectron2's ResNet-18/34/50/101/152 (MODEL.RESNETS.*);
      DEPTH 18 and 34 need MODEL.RESNETS.RES2_OUT_CHANNELS 64, any other value is a ConfigError
  build_vit_fpn_backbone                timm VisionTransformer (MODEL.VIT.*)
  build_dit_fpn_backbone                timm Beit, the DiT architecture (MODEL.DIT.* and MODEL.VIT.*)
  build_timm_cnn_fpn_backbone           any timm CNN with features_only=True (MODEL.TIMM.*)
All are built with random weights; tools/convert_weights.py turns a local checkpoint into MODEL.WEIGHTS.
"""
from detectron2.config import CfgNode as CN


def add_backbone_config(cfg):
    """Add the MODEL.VIT, MODEL.DIT and MODEL.TIMM keys (documented defaults)."""
    cfg.MODEL.VIT = CN()
    # timm VisionTransformer with 16x16 patches, random weights (vit_tiny/small/base_patch16_224, ...).
    cfg.MODEL.VIT.NAME = "vit_base_patch16_224"
    # (ViT, DiT) Image side the position embeddings/tables are stored for; resized to each page's grid.
    cfg.MODEL.VIT.PRETRAIN_IMG_SIZE = 224
    # (ViT, DiT) 0-based blocks giving the stride 4, 8, 16, 32 maps; "simple" PYRAMID uses the last.
    cfg.MODEL.VIT.OUT_BLOCKS = (3, 5, 7, 11)
    # (ViT, DiT) "multi_block": one block per scale (the paper); "simple": ViTDet's simple pyramid.
    cfg.MODEL.VIT.PYRAMID = "multi_block"
    # (ViT, DiT) Norm between the two transposed convolutions of the stride-4 branch (GN, LN, BN...).
    cfg.MODEL.VIT.RESCALE_NORM = "GN"
    # (ViT, DiT) Stochastic depth rate of the last block (linearly increasing from 0 over the blocks).
    cfg.MODEL.VIT.DROP_PATH_RATE = 0.0

    cfg.MODEL.DIT = CN()
    # timm Beit architecture (DiT-B is BEiT-base), built with per-block relative position tables.
    cfg.MODEL.DIT.NAME = "beit_base_patch16_224"
    # Also use absolute position embeddings (DiT's self-supervised checkpoints have none).
    cfg.MODEL.DIT.ABS_POS_EMB = False

    cfg.MODEL.TIMM = CN()
    # timm CNN with features_only maps at strides 4-32 (mobilenetv3_large_100, convnext_tiny...), random weights.
    cfg.MODEL.TIMM.NAME = "mobilenetv3_large_100"
    # BatchNorm layers become "GN" (GroupNorm, for random init), stay "BN", or "FrozenBN" (ImageNet weights).
    cfg.MODEL.TIMM.NORM = "GN"
