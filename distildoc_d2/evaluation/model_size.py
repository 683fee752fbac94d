"""Parameter and FLOP counts of a Detectron2 model (fvcore), for logs and result tables."""
import contextlib

import torch
from detectron2.structures import Boxes
from detectron2.utils.analysis import FlopCountAnalysis


def count_parameters(module, trainable_only=False):
    """Number of parameters of `module` (only those with requires_grad when asked)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


@contextlib.contextmanager
def explicit_attention(model):
    """Within the block, timm attention layers use explicit matrix products, which fvcore counts
    (it counts nothing for fused scaled-dot-product attention)."""
    fused = [m for m in model.modules() if getattr(m, "fused_attn", False)]
    for module in fused:
        module.fused_attn = False
    try:
        yield
    finally:
        for module in fused:
            module.fused_attn = True


def count_gflops(model, height, width, module=None):
    """GFLOPs (fvcore counts one fused multiply-add as one flop) of one inference of a Detectron2
    model on a blank page, or of its `module` (e.g. `model.backbone`) on that page's tensor."""
    device = next(model.parameters()).device
    image = torch.full((3, height, width), 255.0, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), explicit_attention(model):
            if module is None:
                analysis = FlopCountAnalysis(model, [{"image": image, "height": height, "width": width}])
            else:
                analysis = FlopCountAnalysis(module, image[None])
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return analysis.total() / 1e9
    finally:
        model.train(was_training)


def describe_model(model, flops_size=()):
    """One line for the log: total and trainable parameters, and GFLOPs at `flops_size` (H, W)."""
    total = count_parameters(model) / 1e6
    trainable = count_parameters(model, trainable_only=True) / 1e6
    text = f"{total:.2f}M parameters ({trainable:.2f}M trainable)"
    if flops_size:
        text += f", {count_gflops(model, *flops_size):.1f} GFLOPs at {flops_size[0]}x{flops_size[1]}"
    return text


class _BoxStage(torch.nn.Module):
    """The ROI box (or mask) stage of StandardROIHeads on given boxes: pooler, head, predictor."""

    def __init__(self, pooler, head, predictor=None):
        super().__init__()
        self.pooler, self.head, self.predictor = pooler, head, predictor

    def forward(self, features, boxes):
        x = self.pooler(list(features), [Boxes(boxes)])
        if self.predictor is None:
            return self.head.layers(x)
        return self.predictor(self.head(x))


def count_gflops_fixed(model, height, width, proposals=None, detections=None):
    """GFLOPs of one inference of a two-stage Detectron2 model on a (height, width) page with a
    fixed number of `proposals` through the box head and `detections` through the mask head
    (defaults: the model's MODEL.RPN.POST_NMS_TOPK_TEST and TEST.DETECTIONS_PER_IMAGE maxima), so
    that the count does not depend on what the model detects: backbone + RPN head + box stage +
    mask stage. fvcore counts one fused multiply-add as one flop; NMS and box decoding are not
    counted."""
    proposals = proposals or model.proposal_generator.post_nms_topk[False]
    detections = detections or model.roi_heads.box_predictor.test_topk_per_image
    device = next(model.parameters()).device
    image = torch.full((3, height, width), 255.0, device=device)
    heads = model.roi_heads
    was_training = model.training
    model.eval()

    def flops(module, *inputs):
        analysis = FlopCountAnalysis(module, inputs)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return analysis.total()

    def boxes(count):
        side = torch.linspace(0, 1, count, device=device)[:, None]
        return torch.cat([side * width / 2, side * height / 2, side * width / 2 + width / 2,
                          side * height / 2 + height / 2], dim=1)

    try:
        with torch.no_grad(), explicit_attention(model):
            tensor = model.preprocess_image([{"image": image}]).tensor
            total = flops(model.backbone, tensor)
            features = model.backbone(tensor)
            rpn = model.proposal_generator
            total += flops(rpn.rpn_head, [features[f] for f in rpn.in_features])
            box_features = tuple(features[f] for f in heads.box_in_features)
            total += flops(_BoxStage(heads.box_pooler, heads.box_head, heads.box_predictor), box_features,
                           boxes(proposals))
            if getattr(heads, "mask_on", False):
                mask_features = tuple(features[f] for f in heads.mask_in_features)
                total += flops(_BoxStage(heads.mask_pooler, heads.mask_head), mask_features, boxes(detections))
            return total / 1e9
    finally:
        model.train(was_training)
