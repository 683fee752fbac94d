"""ReviewKD (Chen et al., CVPR 2021) on FPN levels: attention-based fusion of the student's
levels from coarse to fine, then the hierarchical context loss against the teacher's."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..losses import hierarchical_context_loss
from . import register_distill_method


class AttentionFusion(nn.Module):
    """One ABF block: reduce a student level to `mid` channels, blend it with the fused coarser
    level through two sigmoid attention maps, and map the result to the teacher's channels."""

    def __init__(self, in_channels, mid_channels, out_channels, fuse):
        super().__init__()
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False), nn.GroupNorm(math.gcd(32, mid_channels), mid_channels)
        )
        self.expand = nn.Sequential(
            nn.Conv2d(mid_channels, out_channels, 3, padding=1, bias=False),
            nn.GroupNorm(math.gcd(32, out_channels), out_channels),
        )
        self.attention = nn.Conv2d(2 * mid_channels, 2, 1) if fuse else None

    def forward(self, x, coarser=None):
        x = self.reduce(x)
        if self.attention is not None and coarser is not None:
            coarser = F.interpolate(coarser, size=x.shape[-2:], mode="nearest")
            weights = torch.sigmoid(self.attention(torch.cat([x, coarser], dim=1)))
            x = x * weights[:, 0:1] + coarser * weights[:, 1:2]
        return self.expand(x), x


@register_distill_method("reviewkd")
class ReviewKD(nn.Module):
    """sum over levels of HCL(ABF_l(student_l, fused coarser levels), teacher_l)."""

    needs_roi = False

    def __init__(self, cfg, student_shapes, teacher_shapes):
        super().__init__()
        # coarse to fine: the largest stride first
        self.levels = sorted(cfg.MODEL.DISTILL.LEVELS, key=lambda l: -student_shapes[l].stride)
        mid = cfg.MODEL.DISTILL.REVIEWKD.MID_CHANNELS
        self.pool_sizes = tuple(cfg.MODEL.DISTILL.REVIEWKD.POOL_SIZES)
        self.fusions = nn.ModuleDict(
            {
                lvl: AttentionFusion(student_shapes[lvl].channels, mid, teacher_shapes[lvl].channels, fuse=i > 0)
                for i, lvl in enumerate(self.levels)
            }
        )

    def forward(self, batch):
        total, coarser = 0.0, None
        for level in self.levels:
            out, coarser = self.fusions[level](batch.student_features[level], coarser)
            total = total + hierarchical_context_loss(out, batch.teacher_features[level], self.pool_sizes)
        return {"loss_kd_reviewkd": total}
