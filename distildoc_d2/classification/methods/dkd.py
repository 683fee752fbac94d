"""Decoupled KD (Zhao et al. 2022): the KD loss split into a target-class term (TCKD) and a
non-target-class term (NCKD), weighted separately."""
import torch
import torch.nn.functional as F

from .base import DistillationMethod, full_precision, register_method


def _binary_log_probs(logits, mask):
    """log [p_target, 1 - p_target] of softmax(logits), computed from log-sum-exps."""
    total = torch.logsumexp(logits, dim=1)
    target = logits.masked_fill(~mask, float("-inf")).logsumexp(dim=1)
    others = logits.masked_fill(mask, float("-inf")).logsumexp(dim=1)
    return torch.stack([target - total, others - total], dim=1)


def dkd_loss(student_logits, teacher_logits, labels, temperature, alpha, beta):
    """{"loss_tckd": alpha * T^2 * KL(b_t || b_s), "loss_nckd": beta * T^2 * KL(q_t || q_s)}, where
    b = [p_y, 1 - p_y] of softmax(z / T) and q = softmax(z / T) over the non-target classes;
    both KLs are averaged over the batch."""
    s, t = full_precision(student_logits) / temperature, full_precision(teacher_logits) / temperature
    mask = F.one_hot(labels, s.shape[1]).bool()
    log_bs, log_bt = _binary_log_probs(s, mask), _binary_log_probs(t, mask)
    tckd = (log_bt.exp() * (log_bt - log_bs)).sum(dim=1).mean()
    log_qs = F.log_softmax(s.masked_fill(mask, float("-inf")), dim=1).masked_fill(mask, 0.0)
    log_qt = F.log_softmax(t.masked_fill(mask, float("-inf")), dim=1).masked_fill(mask, 0.0)
    nckd = (log_qt.exp().masked_fill(mask, 0.0) * (log_qt - log_qs)).sum(dim=1).mean()
    scale = temperature**2
    return {"loss_tckd": alpha * scale * tckd, "loss_nckd": beta * scale * nckd}


@register_method("dkd")
class DecoupledKD(DistillationMethod):
    """CE_WEIGHT * CE + w(iter) * (alpha * TCKD + beta * NCKD), with w ramping from 0 to 1 over
    DKD.WARMUP_ITERS iterations (DISTILL_DIC.DKD)."""

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        node = cfg.DISTILL_DIC.DKD
        self.temperature, self.alpha, self.beta = node.TEMPERATURE, node.ALPHA, node.BETA
        self.ce_weight, self.warmup_iters = node.CE_WEIGHT, node.WARMUP_ITERS

    def losses(self, student_out, teacher_out, labels, iteration=None):
        logits = student_out["logits"]
        result = dkd_loss(logits, teacher_out["logits"], labels, self.temperature, self.alpha, self.beta)
        if self.warmup_iters > 0 and iteration is not None:
            ramp = min(1.0, (iteration + 1) / self.warmup_iters)
            result = {name: ramp * value for name, value in result.items()}
        result["loss_ce"] = self.ce_weight * F.cross_entropy(full_precision(logits), labels)
        return result
