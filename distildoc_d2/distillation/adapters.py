"""Projectors that map student feature maps to the teacher's channels, and spatial alignment."""
import math

import torch.nn as nn
import torch.nn.functional as F

from ..errors import ConfigError


def _group_norm(channels):
    return nn.GroupNorm(math.gcd(32, channels), channels)


def build_projector(kind, in_channels, out_channels):
    """A projector from `in_channels` to `out_channels`:
    - "none": identity (the channel counts must be equal);
    - "conv1x1": one 1x1 convolution;
    - "simkd": SimKD's bottleneck, 1x1 conv to out/2, 3x3 conv, 1x1 conv to out, with GroupNorm
      + ReLU after the first two (GN, not BN: detection batches are small). It ends on the
      plain 1x1 conv because FPN features are signed, unlike post-ReLU classifier features."""
    if kind == "none":
        if in_channels != out_channels:
            raise ConfigError(
                f"projector 'none' needs equal channels, but the student has {in_channels} and the teacher "
                f"{out_channels}; use 'conv1x1' or 'simkd'"
            )
        return nn.Identity()
    if kind == "conv1x1":
        return nn.Conv2d(in_channels, out_channels, kernel_size=1)
    if kind == "simkd":
        mid = max(out_channels // 2, 1)
        return nn.Sequential(
            nn.Conv2d(in_channels, mid, kernel_size=1, bias=False),
            _group_norm(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, kernel_size=3, padding=1, bias=False),
            _group_norm(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, kernel_size=1),
        )
    raise ConfigError(f"unknown projector '{kind}'; expected 'none', 'conv1x1' or 'simkd'")


def resize_like(feature, reference):
    """`feature` bilinearly resized to the spatial size of `reference` (unchanged if equal)."""
    if feature.shape[-2:] == reference.shape[-2:]:
        return feature
    return F.interpolate(feature, size=reference.shape[-2:], mode="bilinear", align_corners=False)
