"""A student backbone followed by per-level projectors into the teacher's feature space (SimKD)."""
import torch.nn as nn
from detectron2.modeling import Backbone, ShapeSpec

from .adapters import build_projector


class ProjectedBackbone(Backbone):
    """Runs `body` (any Detectron2 backbone) and maps each output level to the teacher's
    channels, so that the teacher's RPN and ROI heads can consume the student's features."""

    def __init__(self, body, teacher_shapes, projector):
        super().__init__()
        self.body = body
        shapes = body.output_shape()
        self.projectors = nn.ModuleDict(
            {name: build_projector(projector, shapes[name].channels, teacher_shapes[name].channels) for name in shapes}
        )
        self._out_shapes = {
            name: ShapeSpec(channels=teacher_shapes[name].channels, stride=shapes[name].stride) for name in shapes
        }

    def forward(self, x):
        return {name: self.projectors[name](feature) for name, feature in self.body(x).items()}

    def output_shape(self):
        return dict(self._out_shapes)

    @property
    def size_divisibility(self):
        return self.body.size_divisibility

    @property
    def padding_constraints(self):
        return self.body.padding_constraints
