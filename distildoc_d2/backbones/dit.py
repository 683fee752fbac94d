"""DiT-Base + FPN: timm's Beit (the BEiT architecture DiT is pre-trained with) run on any page size.

timm's Beit sizes its relative position tables for one fixed grid; here each block's table lives
in a `RelativePositionBias` that is resized to the page's patch grid at run time and handed to the
block as its attention bias. Optional absolute position embeddings are interpolated likewise.
"""
import torch
from detectron2.modeling import BACKBONE_REGISTRY
from timm.layers import resample_abs_pos_embed
from timm.models.beit import Beit
from torch import nn

from ..errors import ConfigError
from .feature_pyramid import PATCH_SIZE, PatchTransformerBackbone, check_out_blocks
from .fpn import add_fpn
from .position import RelativePositionBias
from .timm_models import check_patch_size, create_timm_model


class DiTBottomUp(PatchTransformerBackbone):
    """timm Beit (`self.beit`, timm's key names, no position tables of its own) plus one
    `RelativePositionBias` per block (`self.rel_pos`); the chosen blocks give res2..res5."""

    def __init__(self, cfg, in_channels=3):
        name = cfg.MODEL.DIT.NAME
        beit = create_timm_model(
            name,
            "MODEL.DIT.NAME",
            img_size=cfg.MODEL.VIT.PRETRAIN_IMG_SIZE,
            in_chans=in_channels,
            num_classes=0,
            global_pool="",
            use_abs_pos_emb=cfg.MODEL.DIT.ABS_POS_EMB,
            use_rel_pos_bias=False,
            use_shared_rel_pos_bias=False,
            drop_path_rate=cfg.MODEL.VIT.DROP_PATH_RATE,
        )
        if not isinstance(beit, Beit):
            raise ConfigError(f"MODEL.DIT.NAME: '{name}' is a timm {type(beit).__name__}, not a Beit")
        check_patch_size(beit, "MODEL.DIT.NAME", PATCH_SIZE)
        super().__init__(cfg, beit.embed_dim)
        self.arch = name
        self.out_blocks = check_out_blocks(cfg, len(beit.blocks))
        beit.prune_intermediate_layers(list(self.out_blocks), prune_norm=True, prune_head=True)
        beit.patch_embed.strict_img_size = False
        self.beit = beit
        self.pretrain_grid = tuple(beit.patch_embed.grid_size)
        heads = beit.blocks[0].attn.num_heads
        self.rel_pos = nn.ModuleList(RelativePositionBias(self.pretrain_grid, heads) for _ in beit.blocks)

    def block_maps(self, x):
        beit = self.beit
        batch = x.shape[0]
        grid = (x.shape[-2] // PATCH_SIZE, x.shape[-1] // PATCH_SIZE)
        tokens = beit.patch_embed(x)
        tokens = torch.cat([beit.cls_token.expand(batch, -1, -1), tokens], dim=1)
        if beit.pos_embed is not None:
            tokens = tokens + resample_abs_pos_embed(beit.pos_embed, grid, self.pretrain_grid, num_prefix_tokens=1)
        tokens = beit.pos_drop(tokens)
        maps = []
        for index, (block, rel_pos) in enumerate(zip(beit.blocks, self.rel_pos)):
            tokens = block(tokens, shared_rel_pos_bias=rel_pos(grid))
            if index in self.out_blocks:
                patches = tokens[:, 1:].transpose(1, 2)
                maps.append(patches.reshape(batch, -1, *grid))
        return maps


@BACKBONE_REGISTRY.register()
def build_dit_fpn_backbone(cfg, input_shape):
    """DiT/BEiT (MODEL.DIT.*; blocks and pyramid from MODEL.VIT.*) rescaled to strides 4..32, then an FPN to p2..p6."""
    return add_fpn(cfg, DiTBottomUp(cfg, input_shape.channels))
