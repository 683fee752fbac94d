"""KD methods for layout detectors, one module each, found by name in DISTILL_METHOD_REGISTRY.

A method is an nn.Module registered with `@register_distill_method("name")` and built as `Method(cfg, student_shapes, teacher_shapes)` (the
ShapeSpec dicts of the recorded student and teacher FPN features). Its learnable parts
(projectors, fusion) train with the student and are saved in the student's checkpoint.
`forward(batch)` takes a DistillBatch and returns a dict of unweighted losses named `loss_kd_*`.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch

from ...errors import ConfigError

# name in MODEL.DISTILL.METHODS -> method class
DISTILL_METHOD_REGISTRY = {}


def register_distill_method(name):
    """Class decorator: make a KD method available as `name` in MODEL.DISTILL.METHODS."""

    def register(cls):
        if name in DISTILL_METHOD_REGISTRY:
            raise ValueError(f"a KD method named '{name}' is already registered")
        DISTILL_METHOD_REGISTRY[name] = cls
        return cls

    return register


@dataclass
class DistillBatch:
    """What one training step gives the KD methods. Teacher features are already resized to the
    student's map sizes; ROI predictions are (class logits, box deltas) on the same proposals."""

    student_features: Dict[str, torch.Tensor]
    teacher_features: Dict[str, torch.Tensor]
    gt_boxes: List[torch.Tensor] = field(default_factory=list)
    student_roi: Optional[tuple] = None
    teacher_roi: Optional[tuple] = None


def build_distill_methods(cfg, student_shapes, teacher_shapes):
    """The methods named in MODEL.DISTILL.METHODS, checked against the registry and the levels."""
    names = list(cfg.MODEL.DISTILL.METHODS)
    if len(names) != len(cfg.MODEL.DISTILL.LOSS_WEIGHTS):
        raise ConfigError(
            f"MODEL.DISTILL.METHODS has {len(names)} entries but MODEL.DISTILL.LOSS_WEIGHTS has "
            f"{len(cfg.MODEL.DISTILL.LOSS_WEIGHTS)}; give one weight per method"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"MODEL.DISTILL.METHODS lists a method twice: {names}")
    for level in cfg.MODEL.DISTILL.LEVELS:
        for who, shapes in (("student", student_shapes), ("teacher", teacher_shapes)):
            if level not in shapes:
                raise ConfigError(f"MODEL.DISTILL.LEVELS has '{level}', which the {who} lacks (it has {sorted(shapes)})")
    available = sorted(DISTILL_METHOD_REGISTRY)
    methods = {}
    for name in names:
        if name not in available:
            raise ConfigError(f"MODEL.DISTILL.METHODS: unknown method '{name}'; available: {', '.join(available)}")
        methods[name] = DISTILL_METHOD_REGISTRY[name](cfg, student_shapes, teacher_shapes)
    return methods
