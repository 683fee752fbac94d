"""The registry of DIC training objectives and the interface each one implements."""
import torch
from fvcore.common.registry import Registry
from torch import nn

DIC_METHOD_REGISTRY = Registry("DIC_METHOD")
DIC_METHOD_REGISTRY.__doc__ = """Training objectives of a document image classifier (DISTILL_DIC.METHOD).

An entry is a DistillationMethod subclass, built as `cls(cfg, student, teacher)`; teacher is None
for methods with `needs_teacher = False`. Add one with `@register_method("name")`.
"""


def register_method(name):
    """Class decorator: register a DistillationMethod subclass as DISTILL_DIC.METHOD `name`."""

    def deco(cls):
        DIC_METHOD_REGISTRY._do_register(name, cls)
        return cls

    return deco


class DistillationMethod(nn.Module):
    """A student's training objective. It declares which outputs of the student and of the
    teacher it reads (names of ImageClassifier.extract), may own trainable modules (projectors),
    and says how the trained student predicts."""

    # Whether a teacher must be given.
    needs_teacher = True
    # Whether the student keeps its own classifier head (SimKD uses the teacher's instead).
    student_has_head = True
    # Outputs of the student the losses read, and the one `predict` reads.
    student_outputs = ("logits",)
    prediction_outputs = ("logits",)
    # Outputs of the teacher the losses read; "logits" and "pre_logits" can be cached.
    teacher_outputs = ("logits",)
    # Feature levels of the "hint" output, when one is read.
    student_hint_index = None
    teacher_hint_index = None

    def __init__(self, cfg, student, teacher):
        super().__init__()

    def losses(self, student_out, teacher_out, labels, iteration=None):
        """A dict of named loss tensors whose sum is minimised."""
        raise NotImplementedError

    def prediction_head(self):
        """The module that turns the student's prediction output into class logits, or None
        when that output is the logits already."""
        return None

    def predict(self, student_out):
        """Class logits of the trained student from its `prediction_outputs`."""
        head = self.prediction_head()
        output = student_out[self.prediction_outputs[0]]
        return output if head is None else head(output)


def full_precision(tensor):
    """The tensor in float32 at least (half-precision AMP outputs are upcast for the losses)."""
    return tensor if tensor.dtype == torch.float64 else tensor.float()


def probe_shapes(classifier, input_size, outputs, hint_index=None):
    """Shapes (without the batch dimension) of `outputs` of `classifier` on pages of `input_size`."""
    device = classifier.pixel_mean.device
    was_training = classifier.training
    classifier.eval()
    try:
        with torch.no_grad():
            result = classifier.extract(torch.zeros((2, 3, *input_size), device=device), outputs, hint_index)
    finally:
        classifier.train(was_training)
    return {name: tuple(value.shape[1:]) for name, value in result.items()}


def freeze_unreached(classifier, input_size, outputs, hint_index=None):
    """Stop training the parameters of `classifier` that its `outputs` never reach (a head's norm
    layer when a method reads the feature map): they would get no gradient, which DDP rejects at
    the second iteration. Returns their names."""
    named = [(name, p) for name, p in classifier.named_parameters() if p.requires_grad]
    device = classifier.pixel_mean.device
    was_training = classifier.training
    classifier.eval()
    try:
        result = classifier.extract(torch.zeros((1, 3, *input_size), device=device), outputs, hint_index)
        total = sum(value.float().sum() for value in result.values())
        grads = torch.autograd.grad(total, [p for _, p in named], allow_unused=True)
    finally:
        classifier.train(was_training)
    unreached = [(name, p) for (name, p), grad in zip(named, grads) if grad is None]
    for _, p in unreached:
        p.requires_grad_(False)
    return [name for name, _ in unreached]
