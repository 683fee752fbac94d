"""Stride-16 maps of a patch transformer rescaled to the strides 4, 8, 16 and 32 an FPN takes.

Two designs: the paper's (the outputs of four blocks, one per scale: two 2x2 transposed
convolutions with norm and GELU between, one transposed convolution, identity, 2x2 max-pool)
and ViTDet's simple feature pyramid (the same four branches on the last block's map, with the
upsampling branches halving the channels).
"""
from abc import abstractmethod

from detectron2.layers import get_norm
from detectron2.modeling import Backbone
from torch import nn

from ..errors import ConfigError

OUT_FEATURES = ("res2", "res3", "res4", "res5")
OUT_STRIDES = (4, 8, 16, 32)
PATCH_SIZE = 16
PYRAMIDS = ("multi_block", "simple")


def _upsample4(in_channels, mid_channels, out_channels, norm):
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, mid_channels, kernel_size=2, stride=2),
        get_norm(norm, mid_channels) or nn.Identity(),
        nn.GELU(),
        nn.ConvTranspose2d(mid_channels, out_channels, kernel_size=2, stride=2),
    )


class Rescale(nn.Module):
    """Maps at stride 16 -> dict res2..res5 at strides 4..32 (`channels` lists their widths).

    `simple=False`: the i-th of four input maps gives the i-th scale (the paper);
    `simple=True`: the last input map gives every scale (ViTDet)."""

    def __init__(self, dim, norm, simple):
        super().__init__()
        self.simple = simple
        half, quarter = (dim // 2, dim // 4) if simple else (dim, dim)
        self.scales = nn.ModuleList([
            _upsample4(dim, half, quarter, norm),
            nn.ConvTranspose2d(dim, half, kernel_size=2, stride=2),
            nn.Identity(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        ])
        self.channels = (quarter, half, dim, dim)

    def forward(self, maps):
        if self.simple:
            maps = [maps[-1]] * len(self.scales)
        return {name: scale(x) for name, scale, x in zip(OUT_FEATURES, self.scales, maps)}


def check_out_blocks(cfg, depth):
    """The 0-based block indices to take (MODEL.VIT.OUT_BLOCKS), validated for a `depth`-block model."""
    blocks = tuple(int(b) for b in cfg.MODEL.VIT.OUT_BLOCKS)
    pyramid = cfg.MODEL.VIT.PYRAMID
    if pyramid not in PYRAMIDS:
        raise ConfigError(f"MODEL.VIT.PYRAMID must be one of {', '.join(PYRAMIDS)}, got '{pyramid}'")
    wanted = 4 if pyramid == "multi_block" else None
    increasing = all(a < b for a, b in zip(blocks, blocks[1:]))
    if not blocks or (wanted and len(blocks) != wanted) or not increasing or blocks[0] < 0 or blocks[-1] >= depth:
        count = "four" if wanted else "one or more"
        raise ConfigError(
            f"MODEL.VIT.OUT_BLOCKS must be {count} increasing block indices in 0..{depth - 1} "
            f"(PYRAMID '{pyramid}'), got {blocks}"
        )
    return blocks if wanted else blocks[-1:]


class PatchTransformerBackbone(Backbone):
    """Base of the ViT and DiT bottom-ups: subclasses give `block_maps(x)` (stride-16 maps of the
    chosen blocks); this class rescales them to res2..res5. Inputs must be padded to a multiple of 32
    (patch 16, and the stride-32 max-pool needs an even patch grid)."""

    def __init__(self, cfg, dim):
        super().__init__()
        self.rescale = Rescale(dim, cfg.MODEL.VIT.RESCALE_NORM, simple=cfg.MODEL.VIT.PYRAMID == "simple")
        self._out_features = list(OUT_FEATURES)
        self._out_feature_channels = dict(zip(OUT_FEATURES, self.rescale.channels))
        self._out_feature_strides = dict(zip(OUT_FEATURES, OUT_STRIDES))

    @property
    def size_divisibility(self):
        return OUT_STRIDES[-1]

    @abstractmethod
    def block_maps(self, x):
        """Stride-16 maps (N, C, H/16, W/16) of the chosen blocks, prefix tokens dropped."""

    def forward(self, x):
        return self.rescale(self.block_maps(x))
