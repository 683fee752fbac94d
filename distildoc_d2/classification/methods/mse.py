"""Logit matching: mean squared error between student and teacher logits, no labels."""
import torch.nn.functional as F

from .base import DistillationMethod, full_precision, register_method


@register_method("mse")
class LogitMSE(DistillationMethod):
    """WEIGHT * mean over batch and classes of (z_s - z_t)^2 (DISTILL_DIC.MSE)."""

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        self.weight = cfg.DISTILL_DIC.MSE.WEIGHT

    def losses(self, student_out, teacher_out, labels, iteration=None):
        student, teacher = full_precision(student_out["logits"]), full_precision(teacher_out["logits"])
        return {"loss_mse": self.weight * F.mse_loss(student, teacher)}
