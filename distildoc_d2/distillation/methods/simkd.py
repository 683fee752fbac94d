"""SimKD for detection: the student's features, projected into the teacher's feature space,
feed the teacher's frozen RPN and ROI heads (copied into the student by DistillationRCNN);
the loss makes the projected features imitate the teacher's."""
import torch.nn as nn

from ..losses import masked_mse
from . import register_distill_method


@register_distill_method("simkd")
class SimKD(nn.Module):
    """sum over levels of MSE(projected student_l, teacher_l). The projectors live in the
    student's backbone (a ProjectedBackbone) because inference needs them too."""

    needs_roi = False

    def __init__(self, cfg, student_shapes, teacher_shapes):
        super().__init__()
        self.levels = list(cfg.MODEL.DISTILL.LEVELS)

    def forward(self, batch):
        total = sum(masked_mse(batch.student_features[l], batch.teacher_features[l]) for l in self.levels)
        return {"loss_kd_simkd": total}
