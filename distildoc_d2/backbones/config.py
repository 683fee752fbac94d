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
"""
from detectron2.config import CfgNode as CN


def add_backbone_config(cfg):
    """Add the MODEL.VIT, MODEL.DIT and MODEL.TIMM keys (documented defaults)."""
    cfg.MODEL.VIT = CN()
    # timm VisionTransformer architecture with patch 16, built with random weights
    # (vit_tiny_patch16_224, vit_small_patch16_224, vit_base_patch16_224, ...).
    cfg.MODEL.VIT.NAME = "vit_base_patch16_224"
    # Side of the square image the position embeddings (and DiT's relative position tables) are
    # stored for; at run time they are interpolated to each page's patch grid. (ViT and DiT)
    cfg.MODEL.VIT.PRETRAIN_IMG_SIZE = 224
    # 0-based blocks whose outputs become the stride 4, 8, 16, 32 maps (four increasing indices;
    # the paper's 3, 5, 7, 11 for 12-block models). The "simple" pyramid uses the last one. (ViT and DiT)
    cfg.MODEL.VIT.OUT_BLOCKS = (3, 5, 7, 11)
    # "multi_block": one block per scale (the paper); "simple": ViTDet's simple feature pyramid
    # built from the last of OUT_BLOCKS. (ViT and DiT)
    cfg.MODEL.VIT.PYRAMID = "multi_block"
    # Norm between the two transposed convolutions of the stride-4 branch ("GN", "LN", "BN", ...). (ViT and DiT)
    cfg.MODEL.VIT.RESCALE_NORM = "GN"
    # Stochastic depth rate of the transformer blocks (linearly increasing with depth). (ViT and DiT)
    cfg.MODEL.VIT.DROP_PATH_RATE = 0.0

    cfg.MODEL.DIT = CN()
    # timm Beit architecture (DiT-B is BEiT-base: beit_base_patch16_224), per-block relative position tables.
    cfg.MODEL.DIT.NAME = "beit_base_patch16_224"
    # Add absolute position embeddings too (DiT's self-supervised checkpoints have none).
    cfg.MODEL.DIT.ABS_POS_EMB = False

    cfg.MODEL.TIMM = CN()
    # timm CNN whose features_only model gives maps at strides 4, 8, 16 and 32
    # (mobilenetv3_large_100, efficientnet_b0, convnext_tiny, resnet18, ...), built with random weights.
    cfg.MODEL.TIMM.NAME = "mobilenetv3_large_100"
    # What becomes of the CNN's BatchNorm layers: "GN" (GroupNorm, for training from random
    # weights with small batches), "BN" (kept) or "FrozenBN" (frozen, for ImageNet weights).
    cfg.MODEL.TIMM.NORM = "GN"
