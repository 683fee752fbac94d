"""Any timm CNN with `features_only=True` + FPN (MobileNetV3, EfficientNet, ConvNeXt, ResNet...)."""
import math

from detectron2.modeling import BACKBONE_REGISTRY, Backbone
from timm.layers import BatchNormAct2d, GroupNormAct, freeze_batch_norm_2d
from torch import nn

from ..errors import ConfigError
from .feature_pyramid import OUT_FEATURES, OUT_STRIDES
from .fpn import add_fpn
from .timm_models import create_timm_model

NORMS = ("GN", "BN", "FrozenBN")
MAX_GROUPS = 32


def _group_norm_like(bn):
    """A GroupNorm (keeping a BatchNormAct2d's activation) with as many groups, up to 32, as divide the channels."""
    channels = bn.num_features
    groups = math.gcd(channels, MAX_GROUPS)
    if isinstance(bn, BatchNormAct2d):
        gn = GroupNormAct(channels, num_groups=groups, eps=bn.eps, apply_act=False)
        gn.drop, gn.act = bn.drop, bn.act
        return gn
    return nn.GroupNorm(groups, channels, eps=bn.eps)


def batchnorm_to_groupnorm(module):
    """Replace every BatchNorm2d (and timm BatchNormAct2d) inside `module` by a GroupNorm, in place."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, _group_norm_like(child))
        else:
            batchnorm_to_groupnorm(child)
    return module


class TimmCNNBottomUp(Backbone):
    """A timm features_only CNN (`self.net`, timm's key names) whose stride 4..32 maps are res2..res5."""

    def __init__(self, cfg, in_channels=3):
        super().__init__()
        name, norm = cfg.MODEL.TIMM.NAME, cfg.MODEL.TIMM.NORM
        if norm not in NORMS:
            raise ConfigError(f"MODEL.TIMM.NORM must be one of {', '.join(NORMS)}, got '{norm}'")
        net = create_timm_model(name, "MODEL.TIMM.NAME", features_only=True, in_chans=in_channels)
        reductions, channels = net.feature_info.reduction(), net.feature_info.channels()
        self.indices = []
        for stride in OUT_STRIDES:
            found = [i for i, reduction in enumerate(reductions) if reduction == stride]
            if not found:
                raise ConfigError(
                    f"MODEL.TIMM.NAME: '{name}' has no feature map at stride {stride} (it has strides {reductions})"
                )
            self.indices.append(found[-1])
        if norm == "GN":
            batchnorm_to_groupnorm(net)
        elif norm == "FrozenBN":
            net = freeze_batch_norm_2d(net)
        self.net = net
        self.arch = name
        self._out_features = list(OUT_FEATURES)
        self._out_feature_channels = {f: channels[i] for f, i in zip(OUT_FEATURES, self.indices)}
        self._out_feature_strides = dict(zip(OUT_FEATURES, OUT_STRIDES))

    @property
    def size_divisibility(self):
        return OUT_STRIDES[-1]

    def forward(self, x):
        maps = self.net(x)
        return {name: maps[i] for name, i in zip(OUT_FEATURES, self.indices)}


@BACKBONE_REGISTRY.register()
def build_timm_cnn_fpn_backbone(cfg, input_shape):
    """The timm CNN MODEL.TIMM.NAME (norms per MODEL.TIMM.NORM), then an FPN to p2..p6."""
    return add_fpn(cfg, TimmCNNBottomUp(cfg, input_shape.channels))
