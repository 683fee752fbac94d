"""Parameter and FLOP counts of a Detectron2 model (fvcore), for logs and result tables."""
import contextlib

import torch
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
