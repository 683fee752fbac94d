"""Response-based KD on the ROI box head: the teacher's box head runs on the student's sampled
proposals; class logits are distilled with KL at a temperature, box deltas optionally."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..losses import kl_logit_loss
from . import register_distill_method


def deltas_of_class(deltas, classes):
    """The 4 box deltas predicted for `classes` (class-specific (R, 4K) or agnostic (R, 4))."""
    if deltas.shape[1] == 4:
        return deltas
    return deltas.view(deltas.shape[0], -1, 4)[torch.arange(len(classes), device=deltas.device), classes]


@register_distill_method("roi_kd")
class RoiKD(nn.Module):
    """T^2 * KL(softmax(t/T) || softmax(s/T)) over the sampled proposals, plus BOX_WEIGHT times
    smooth-L1 (beta 1) between student and teacher deltas of the teacher's predicted class on
    the proposals the teacher calls foreground."""

    needs_roi = True

    def __init__(self, cfg, student_shapes, teacher_shapes):
        super().__init__()
        self.temperature = cfg.MODEL.DISTILL.ROI_KD.TEMPERATURE
        self.box_weight = cfg.MODEL.DISTILL.ROI_KD.BOX_WEIGHT

    def forward(self, batch):
        if batch.student_roi is None:  # a batch of unlabelled pages has no sampled proposals
            zero = sum(f.sum() for f in batch.student_features.values()) * 0.0
            return {"loss_kd_roi_cls": zero, **({"loss_kd_roi_box": zero} if self.box_weight > 0 else {})}
        (s_logits, s_deltas), (t_logits, t_deltas) = batch.student_roi, batch.teacher_roi
        losses = {"loss_kd_roi_cls": kl_logit_loss(s_logits, t_logits, self.temperature)}
        if self.box_weight > 0:
            background = t_logits.shape[1] - 1
            t_classes = t_logits.argmax(dim=1)
            fg = t_classes != background
            if fg.any():
                s_box = deltas_of_class(s_deltas[fg], t_classes[fg])
                t_box = deltas_of_class(t_deltas[fg], t_classes[fg])
                box = F.smooth_l1_loss(s_box, t_box, beta=1.0)
            else:
                box = s_deltas.sum() * 0.0
            losses["loss_kd_roi_box"] = self.box_weight * box
        return losses
