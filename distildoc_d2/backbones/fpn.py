"""The neck every registered backbone shares: Detectron2's FPN with a max-pooled p6."""
from detectron2.modeling.backbone.fpn import FPN, LastLevelMaxPool

from ..errors import ConfigError


def add_fpn(cfg, bottom_up):
    """Wrap `bottom_up` (maps res2..res5) in an FPN giving p2..p6 with MODEL.FPN.OUT_CHANNELS channels."""
    available = list(bottom_up.output_shape())
    missing = [name for name in cfg.MODEL.FPN.IN_FEATURES if name not in available]
    if missing:
        raise ConfigError(
            f"MODEL.FPN.IN_FEATURES names {', '.join(missing)}, but the backbone gives only {', '.join(available)}"
        )
    fpn = FPN(
        bottom_up=bottom_up,
        in_features=list(cfg.MODEL.FPN.IN_FEATURES),
        out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
        norm=cfg.MODEL.FPN.NORM,
        top_block=LastLevelMaxPool(),
        fuse_type=cfg.MODEL.FPN.FUSE_TYPE,
    )
    needed = bottom_up.size_divisibility
    if needed and fpn.size_divisibility % needed:
        raise ConfigError(
            f"the backbone needs inputs padded to a multiple of {needed} but the FPN on "
            f"MODEL.FPN.IN_FEATURES {list(cfg.MODEL.FPN.IN_FEATURES)} pads them to a multiple of "
            f"{fpn.size_divisibility}: include the stride-{needed} map"
        )
    return fpn
