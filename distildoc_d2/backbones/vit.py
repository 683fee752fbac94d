"""ViT-Tiny/Small/Base + FPN: timm's VisionTransformer with position embeddings interpolated to
each page's patch grid (timm's `dynamic_img_size`), so pages keep their aspect ratio."""
from detectron2.modeling import BACKBONE_REGISTRY
from timm.models.vision_transformer import VisionTransformer

from ..errors import ConfigError
from .feature_pyramid import PATCH_SIZE, PatchTransformerBackbone, check_out_blocks
from .fpn import add_fpn
from .timm_models import check_patch_size, create_timm_model


class ViTBottomUp(PatchTransformerBackbone):
    """timm VisionTransformer (`self.vit`, timm's key names) whose chosen blocks give res2..res5."""

    def __init__(self, cfg, in_channels=3):
        name = cfg.MODEL.VIT.NAME
        vit = create_timm_model(
            name,
            "MODEL.VIT.NAME",
            img_size=cfg.MODEL.VIT.PRETRAIN_IMG_SIZE,
            in_chans=in_channels,
            num_classes=0,
            global_pool="",
            dynamic_img_size=True,
            drop_path_rate=cfg.MODEL.VIT.DROP_PATH_RATE,
        )
        if not isinstance(vit, VisionTransformer):
            raise ConfigError(f"MODEL.VIT.NAME: '{name}' is a timm {type(vit).__name__}, not a VisionTransformer")
        check_patch_size(vit, "MODEL.VIT.NAME", PATCH_SIZE)
        super().__init__(cfg, vit.embed_dim)
        self.arch = name
        self.out_blocks = list(check_out_blocks(cfg, len(vit.blocks)))
        vit.prune_intermediate_layers(self.out_blocks, prune_norm=True, prune_head=True)
        self.vit = vit

    def block_maps(self, x):
        return self.vit.forward_intermediates(x, indices=self.out_blocks, intermediates_only=True)


@BACKBONE_REGISTRY.register()
def build_vit_fpn_backbone(cfg, input_shape):
    """ViT (MODEL.VIT.*) rescaled to strides 4..32, then an FPN to p2..p6."""
    return add_fpn(cfg, ViTBottomUp(cfg, input_shape.channels))
