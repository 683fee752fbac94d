"""The computation every backend runs, and its TorchScript and ONNX programs.

`detect_batch` is the deployed model's whole forward pass on resized pages: normalisation and
padding (inside the model), backbone, RPN, box head and, with a mask head, ROI masks. Resizing
before and box/mask pasting after it are done in Python by distildoc_d2.inference, identically
for every backend.

With a mask head, one placeholder detection (score -1, box (0, 0, 1, 1)) is appended to each
image's detections before the mask head runs, and removed by the post-processing: a traced mask
head that sees zero boxes can fail in ONNX Runtime (torch's GroupNorm export reshapes the empty
tensor with an inferred dimension), so the programs never give it zero boxes. The mask head
treats each box independently, so the placeholder changes no other detection.

For ONNX, every GroupNorm is written out with means taken one axis at a time: ONNX Runtime
sums a whole group (InstanceNormalization, or one ReduceMean) in a single float32 pass, which
over a page-sized group with a large mean (Detectron2 does not scale pixels: PIXEL_STD 1) gives
errors of about 1e-3 in the features (torch: 1e-6) and changes detections of deep models.

Programs are traced once with detectron2's TracingAdapter on one sample page. Detectron2 keeps
image and feature sizes symbolic while tracing, so one trace serves pages of any height and width
(the export checks this on sample pages of several shapes). The input is one image: batch size 1.
ONNX uses the TorchScript-based exporter (`dynamo=False`); the dynamo exporter needs onnxscript.
"""
import contextlib
import copy
import warnings

import torch
from torch import nn
from detectron2.export import TracingAdapter
from detectron2.modeling import GeneralizedRCNN
from detectron2.structures import Boxes, Instances

from ..errors import ConfigError

OUTPUT_NAMES = ("boxes", "classes", "scores", "masks")
PLACEHOLDER_SCORE = -1.0
ONNX_OPSET = 17


def check_exportable(model):
    """ConfigError unless `model` is a two-stage R-CNN whose ROI heads run boxes, then masks."""
    if not isinstance(model, GeneralizedRCNN) or model.proposal_generator is None:
        raise ConfigError(f"export supports GeneralizedRCNN models with an RPN, not {type(model).__name__}")
    heads = model.roi_heads
    if not (hasattr(heads, "_forward_box") and hasattr(heads, "forward_with_given_boxes")):
        raise ConfigError(f"export supports StandardROIHeads and its subclasses, not {type(heads).__name__}")
    if getattr(heads, "keypoint_on", False):
        raise ConfigError("export does not support keypoint heads")


def _with_placeholder(instances):
    boxes = instances.pred_boxes.tensor
    padded = Instances(instances.image_size)
    padded.pred_boxes = Boxes(torch.cat([boxes, boxes.new_tensor([[0.0, 0.0, 1.0, 1.0]])]))
    padded.scores = torch.cat([instances.scores, instances.scores.new_tensor([PLACEHOLDER_SCORE])])
    padded.pred_classes = torch.cat([instances.pred_classes, instances.pred_classes.new_zeros(1)])
    return padded


class AxisWiseGroupNorm(nn.Module):
    """nn.GroupNorm computed with means over one axis at a time (same result in exact arithmetic;
    short float32 sums in ONNX Runtime), for export to ONNX. A timm GroupNormAct keeps its dropout
    and activation, which it applies after the norm."""

    def __init__(self, norm):
        super().__init__()
        self.num_groups, self.eps = norm.num_groups, norm.eps
        self.weight, self.bias = norm.weight, norm.bias
        self.drop = getattr(norm, "drop", nn.Identity())
        self.act = getattr(norm, "act", nn.Identity())

    def _mean(self, x):
        for dim in range(x.dim() - 1, 1, -1):
            x = x.mean(dim=dim, keepdim=True)
        return x

    def forward(self, x):
        channels, spatial = x.shape[1], x.shape[2:]
        grouped = x.reshape(x.shape[0], self.num_groups, channels // self.num_groups, *spatial)
        centered = grouped - self._mean(grouped)
        normed = (centered / torch.sqrt(self._mean(centered * centered) + self.eps)).reshape(x.shape)
        if self.weight is not None:
            shape = (1, channels) + (1,) * len(spatial)
            normed = normed * self.weight.reshape(shape) + self.bias.reshape(shape)
        return self.act(self.drop(normed))


def with_axis_wise_group_norms(model):
    """A copy of `model` whose nn.GroupNorm layers are AxisWiseGroupNorm."""
    model = copy.deepcopy(model)
    for module in list(model.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.GroupNorm):
                setattr(module, name, AxisWiseGroupNorm(child))
    return model


def detect_batch(model, images):
    """Raw detections of `model` for a list of CHW float images (resized, in the model's channel
    order, 0-255; equal sizes give the same results as one at a time): per image a tuple
    (boxes (N, 4) in the image's pixels, classes (N,), scores (N,)[, ROI mask probabilities
    (N, 1, M, M)]). With a mask head the last row is the placeholder (score -1)."""
    batch = model.preprocess_image([{"image": image} for image in images])
    features = model.backbone(batch.tensor)
    proposals, _ = model.proposal_generator(batch, features, None)
    heads = model.roi_heads
    instances = heads._forward_box(features, proposals)
    if not heads.mask_on:
        return [(i.pred_boxes.tensor, i.pred_classes, i.scores) for i in instances]
    instances = heads.forward_with_given_boxes(features, [_with_placeholder(i) for i in instances])
    return [(i.pred_boxes.tensor, i.pred_classes, i.scores, i.pred_masks) for i in instances]


def detect(model, image):
    """`detect_batch` for one image: the function the programs are traced from."""
    return detect_batch(model, [image])[0]


def _adapter(model, image):
    check_exportable(model)
    return TracingAdapter(model.eval(), image, inference_func=detect).eval()


@contextlib.contextmanager
def _quiet_tracing():
    """Silence the TracerWarnings detectron2's code triggers and the ONNX exporter's notice on
    advanced indexing with negative indices (detectron2 indexes with masks and non-negative
    indices; the export checks the programs numerically on pages of other shapes instead), and
    torch's deprecation notices for TorchScript."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index operator", category=UserWarning)
        yield


def export_torchscript(model, image, path):
    """Trace `detect(model, image)` with torch.jit.trace and save the program to `path`."""
    with _quiet_tracing(), torch.no_grad():
        program = torch.jit.trace(_adapter(model, image), (image,), check_trace=False)
        torch.jit.save(program, path)


def export_onnx(model, image, path):
    """Export `detect(model, image)` to ONNX (opset 17; GroupNorm axis-wise) with symbolic height,
    width and detection count."""
    names = list(OUTPUT_NAMES if model.roi_heads.mask_on else OUTPUT_NAMES[:3])
    dynamic = {"image": {1: "height", 2: "width"}}
    dynamic.update({name: {0: "detections"} for name in names})
    with _quiet_tracing(), torch.no_grad():
        torch.onnx.export(_adapter(with_axis_wise_group_norms(model), image), (image,), path, dynamo=False,
                          opset_version=ONNX_OPSET, input_names=["image"], output_names=names, dynamic_axes=dynamic)
