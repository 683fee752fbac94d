"""Normalized KD (Yang et al. 2023): the target class and the renormalised non-target classes
are distilled separately."""
import torch.nn.functional as F

from .base import DistillationMethod, full_precision, register_method


def nkd_loss(student_logits, teacher_logits, labels, temperature, gamma):
    """{"loss_nkd_target": -mean_b(t_y * log s_y) at T = 1,
    "loss_nkd_nontarget": -gamma * T^2 * mean_b sum_{k != y} t~_k log s~_k}, where t~ and s~ are
    softmax(z / T) over the non-target classes only (renormalised without the target)."""
    s, t = full_precision(student_logits), full_precision(teacher_logits)
    index = labels.view(-1, 1)
    target_teacher = F.softmax(t, dim=1).gather(1, index)
    target_student = F.log_softmax(s, dim=1).gather(1, index)
    mask = F.one_hot(labels, s.shape[1]).bool()
    log_student = F.log_softmax((s / temperature).masked_fill(mask, float("-inf")), dim=1).masked_fill(mask, 0.0)
    teacher = F.softmax((t / temperature).masked_fill(mask, float("-inf")), dim=1)
    return {
        "loss_nkd_target": -(target_teacher * target_student).mean(),
        "loss_nkd_nontarget": -gamma * temperature**2 * (teacher * log_student).sum(dim=1).mean(),
    }


@register_method("nkd")
class NormalizedKD(DistillationMethod):
    """NKD's two terms (DISTILL_DIC.NKD), plus CE with the labels when NKD.CE_WEIGHT > 0."""

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        self.temperature = cfg.DISTILL_DIC.NKD.TEMPERATURE
        self.gamma = cfg.DISTILL_DIC.NKD.GAMMA
        self.ce_weight = cfg.DISTILL_DIC.NKD.CE_WEIGHT

    def losses(self, student_out, teacher_out, labels, iteration=None):
        logits = student_out["logits"]
        result = nkd_loss(logits, teacher_out["logits"], labels, self.temperature, self.gamma)
        if self.ce_weight > 0:
            result["loss_ce"] = self.ce_weight * F.cross_entropy(full_precision(logits), labels)
        return result
