"""Cost of a deployed classifier: parameters, FLOPs and measured images per second."""
import time

import torch
from fvcore.nn import FlopCountAnalysis

from ..evaluation.model_size import count_parameters


def count_gflops(module, input_size):
    """GFLOPs (fvcore: one fused multiply-add = one flop) of one page of `input_size` (H, W)."""
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            analysis = FlopCountAnalysis(module, (torch.full((1, 3, *input_size), 1.0, device=device),))
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return analysis.total() / 1e9
    finally:
        module.train(was_training)


def model_info(deployed, input_size, teacher=None):
    """Parameters (millions) and GFLOPs of the deployed student, and the teacher's parameters."""
    info = {
        "params_m": count_parameters(deployed) / 1e6,
        "gflops": count_gflops(deployed, tuple(input_size)),
        "input_size": list(input_size),
    }
    if teacher is not None:
        info["teacher_params_m"] = count_parameters(teacher) / 1e6
    return info


def measure_throughput(module, input_size, batch_size=32, iterations=5, warmup=1):
    """Images per second of `module` in eval mode on random pages of `input_size` (H, W),
    timed over `iterations` batches after `warmup` untimed ones."""
    device = next(module.parameters()).device
    images = torch.rand((batch_size, 3, *input_size), device=device)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            for _ in range(warmup):
                module(images)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            for _ in range(iterations):
                module(images)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            elapsed = time.perf_counter() - start
    finally:
        module.train(was_training)
    return batch_size * iterations / elapsed
