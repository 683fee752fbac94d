"""FitNet hints (Romero et al. 2015): a regressor maps a middle layer of the student onto the
same depth of the teacher (MSE), trained together with the cross-entropy."""
import torch.nn.functional as F
from torch import nn

from .base import DistillationMethod, full_precision, probe_shapes, register_method


class HintRegressor(nn.Sequential):
    """1x1 conv from the student's to the teacher's channels, BN, ReLU."""

    def __init__(self, student_channels, teacher_channels):
        super().__init__(
            nn.Conv2d(student_channels, teacher_channels, 1, bias=False),
            nn.BatchNorm2d(teacher_channels),
            nn.ReLU(inplace=True),
        )


@register_method("fitnet")
class FitNet(DistillationMethod):
    """CE(y, z_s) + WEIGHT * MSE(P(h_s), h_t) on the hint layers (DISTILL_DIC.FITNET); P(h_s) is
    resized (bilinear) to the teacher's map when their strides differ."""

    student_outputs = ("logits", "hint")
    teacher_outputs = ("hint",)

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        node = cfg.DISTILL_DIC.FITNET
        self.student_hint_index = node.STUDENT_LAYER if node.STUDENT_LAYER >= 0 else student.default_hint_index()
        self.teacher_hint_index = node.TEACHER_LAYER if node.TEACHER_LAYER >= 0 else teacher.default_hint_index()
        size = tuple(cfg.DIC.INPUT_SIZE)
        student_channels = probe_shapes(student, size, ("hint",), self.student_hint_index)["hint"][0]
        teacher_channels = probe_shapes(teacher, size, ("hint",), self.teacher_hint_index)["hint"][0]
        self.regressor = HintRegressor(student_channels, teacher_channels).to(student.pixel_mean.device)
        self.weight = node.WEIGHT

    def losses(self, student_out, teacher_out, labels, iteration=None):
        target = full_precision(teacher_out["hint"])
        hint = full_precision(self.regressor(student_out["hint"]))
        if hint.shape[-2:] != target.shape[-2:]:
            hint = F.interpolate(hint, size=target.shape[-2:], mode="bilinear", align_corners=False)
        return {
            "loss_ce": F.cross_entropy(full_precision(student_out["logits"]), labels),
            "loss_hint": self.weight * F.mse_loss(hint, target),
        }
