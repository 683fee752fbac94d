"""SimKD (Chen et al. 2022): a projector maps the student's features onto the teacher's
penultimate feature (MSE), and the student classifies with the teacher's frozen classifier."""
import copy

import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError
from .base import DistillationMethod, full_precision, probe_shapes, register_method


def _conv_bn_relu(in_channels, out_channels, kernel_size):
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class ConvProjector(nn.Sequential):
    """On a B x C_s x h x w map: 1x1 conv to C_t/2, 3x3 conv, 1x1 conv to C_t (each with BN and
    ReLU), then global average pooling to B x C_t."""

    def __init__(self, student_channels, teacher_channels):
        middle = max(1, teacher_channels // 2)
        super().__init__(
            *_conv_bn_relu(student_channels, middle, 1),
            *_conv_bn_relu(middle, middle, 3),
            *_conv_bn_relu(middle, teacher_channels, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(1),
        )


class MLPProjector(nn.Sequential):
    """On the pooled (CLS) feature: Linear, GELU, Linear to the teacher's feature width."""

    def __init__(self, student_features, teacher_features, hidden):
        super().__init__(nn.Linear(student_features, hidden), nn.GELU(), nn.Linear(hidden, teacher_features))


@register_method("simkd")
class SimKD(DistillationMethod):
    """WEIGHT * MSE(P(f_s), f_t) with f_t the teacher's pooled penultimate feature; predictions
    are teacher_classifier(P(f_s)). PROJECTOR "cnn" reads the student's last feature map,
    "mlp" its pooled / CLS feature (DISTILL_DIC.SIMKD)."""

    student_has_head = False
    teacher_outputs = ("pre_logits",)

    def __init__(self, cfg, student, teacher):
        super().__init__(cfg, student, teacher)
        node = cfg.DISTILL_DIC.SIMKD
        kind = node.PROJECTOR.lower()
        if kind not in ("cnn", "mlp"):
            raise ConfigError(f"DISTILL_DIC.SIMKD.PROJECTOR must be 'cnn' or 'mlp', got '{node.PROJECTOR}'")
        size = tuple(cfg.DIC.INPUT_SIZE)
        student_key = "feature_map" if kind == "cnn" else "pre_logits"
        self.student_outputs = self.prediction_outputs = (student_key,)
        student_shape = probe_shapes(student, size, (student_key,))[student_key]
        teacher_width = probe_shapes(teacher, size, ("pre_logits",))["pre_logits"][0]
        if kind == "cnn":
            self.projector = ConvProjector(student_shape[0], teacher_width)
        else:
            self.projector = MLPProjector(student_shape[0], teacher_width, node.MLP_HIDDEN or teacher_width)
        self.projector.to(student.pixel_mean.device)
        self.teacher_head = copy.deepcopy(teacher.classifier()).requires_grad_(False)
        self.weight = node.WEIGHT
        self._student_key = student_key

    def losses(self, student_out, teacher_out, labels, iteration=None):
        projected = full_precision(self.projector(student_out[self._student_key]))
        return {"loss_simkd": self.weight * F.mse_loss(projected, full_precision(teacher_out["pre_logits"]))}

    def prediction_head(self):
        return nn.Sequential(self.projector, self.teacher_head)
