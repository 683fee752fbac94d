"""FPN feature imitation: MSE between projected student and teacher maps, per level."""
import torch.nn as nn

from ..adapters import build_projector
from ..losses import box_mask, masked_mse, standardize_channels
from . import register_distill_method


@register_distill_method("feature_mse")
class FeatureMSE(nn.Module):
    """sum over levels of MSE(P_l(student_l), teacher_l), optionally with both maps standardised
    per channel first (MODEL.DISTILL.FEATURE_MSE.NORMALIZE) and positions outside the
    ground-truth boxes weighted by MODEL.DISTILL.FEATURE_MSE.BACKGROUND_WEIGHT."""

    needs_roi = False

    def __init__(self, cfg, student_shapes, teacher_shapes):
        super().__init__()
        self.levels = list(cfg.MODEL.DISTILL.LEVELS)
        self.background_weight = cfg.MODEL.DISTILL.FEATURE_MSE.BACKGROUND_WEIGHT
        self.normalize = cfg.MODEL.DISTILL.FEATURE_MSE.NORMALIZE
        kind = cfg.MODEL.DISTILL.FEATURE_MSE.PROJECTOR
        self.projectors = nn.ModuleDict(
            {lvl: build_projector(kind, student_shapes[lvl].channels, teacher_shapes[lvl].channels) for lvl in self.levels}
        )
        self.strides = {lvl: student_shapes[lvl].stride for lvl in self.levels}

    def forward(self, batch):
        total = 0.0
        for level in self.levels:
            student = self.projectors[level](batch.student_features[level])
            teacher = batch.teacher_features[level]
            if self.normalize:
                student, teacher = standardize_channels(student), standardize_channels(teacher)
            weight = None
            if self.background_weight != 1.0:
                fg = box_mask(batch.gt_boxes, student.shape[-2:], self.strides[level], student.device)
                weight = fg + self.background_weight * (1.0 - fg)
            total = total + masked_mse(student, teacher, weight)
        return {"loss_kd_feature_mse": total}
