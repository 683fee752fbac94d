"""Cross-entropy with the labels: the supervised baseline, no teacher."""
import torch.nn.functional as F

from .base import DistillationMethod, full_precision, register_method


@register_method("ce")
class CrossEntropy(DistillationMethod):
    """Supervised training: CE(y, z_s), optionally with label smoothing."""

    needs_teacher = False
    teacher_outputs = ()

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        self.label_smoothing = cfg.DISTILL_DIC.CE.LABEL_SMOOTHING

    def losses(self, student_out, teacher_out, labels, iteration=None):
        logits = full_precision(student_out["logits"])
        return {"loss_ce": F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)}
