"""Vanilla knowledge distillation (Hinton et al. 2015) on the logits."""
import torch.nn.functional as F

from .base import DistillationMethod, full_precision, register_method


def kd_loss(student_logits, teacher_logits, labels, temperature, alpha):
    """{"loss_ce": alpha * CE(y, z_s), "loss_kd": (1 - alpha) * T^2 * KL(p_t^T || p_s^T)} with the
    KL divergence summed over classes and averaged over the batch."""
    s, t = full_precision(student_logits), full_precision(teacher_logits)
    kl = F.kl_div(F.log_softmax(s / temperature, dim=1), F.log_softmax(t / temperature, dim=1),
                  reduction="batchmean", log_target=True)
    return {
        "loss_ce": alpha * F.cross_entropy(s, labels),
        "loss_kd": (1.0 - alpha) * temperature**2 * kl,
    }


@register_method("kd")
class VanillaKD(DistillationMethod):
    """CE with the labels plus KL to the teacher's softened distribution (DISTILL_DIC.KD)."""

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        self.temperature = cfg.DISTILL_DIC.KD.TEMPERATURE
        self.alpha = cfg.DISTILL_DIC.KD.ALPHA

    def losses(self, student_out, teacher_out, labels, iteration=None):
        return kd_loss(student_out["logits"], teacher_out["logits"], labels, self.temperature, self.alpha)
