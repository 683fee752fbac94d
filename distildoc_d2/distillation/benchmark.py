"""Cost of a KD training iteration next to a student iteration plus the teacher's forward pass,
measured side by side on the same batch (interleaved rounds, medians), with mixed precision
when SOLVER.AMP.ENABLED (as the trainer runs it: float16 and a gradient scaler on CUDA)."""
import contextlib
import copy
import statistics
import time

import torch
from detectron2.modeling import build_model
from detectron2.utils.events import EventStorage

from ..engine.optimizer import build_solver_optimizer


class PeakMemory:
    """Peak memory of a phase: CUDA allocator peak on GPU, peak resident set size (VmHWM,
    reset through /proc/self/clear_refs) on CPU. Values in MiB."""

    def __init__(self, device):
        self.cuda = str(device).startswith("cuda")

    def reset(self):
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        else:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")

    def peak(self):
        if self.cuda:
            return torch.cuda.max_memory_allocated() / 2**20
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def model_mib(model):
    """Memory held by a model's parameters and buffers, in MiB."""
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


class Precision:
    """The numeric mode of the timed steps: float32, or with `amp` autocast (float16 and a
    gradient scaler on CUDA, bfloat16 on CPU)."""

    def __init__(self, device, amp):
        self.device_type = torch.device(device).type
        self.amp = amp
        self.dtype = torch.float16 if self.device_type == "cuda" else torch.bfloat16
        self.scaler = torch.amp.GradScaler(self.device_type, enabled=amp and self.device_type == "cuda")

    def autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def describe(self):
        return f"AMP {str(self.dtype).replace('torch.', '')}" if self.amp else "float32"


def _train_step(model, optimizer, inputs, iteration, precision):
    with EventStorage(iteration), precision.autocast():
        losses = model(inputs)
    optimizer.zero_grad()
    precision.scaler.scale(sum(losses.values())).backward()
    precision.scaler.step(optimizer)
    precision.scaler.update()


def benchmark_kd_iteration(cfg, inputs, rounds=5):
    """{"phases": median seconds and peak memory of (a) a student training step, (b) the teacher's
    forward pass (backbone, as KD needs it; and full inference for reference) and (c) a KD
    training step, each under AMP when SOLVER.AMP.ENABLED; "models": MiB of parameters and
    buffers of the student, the teacher and the KD model (student + KD modules); "precision"}.
    `cfg` is a DistillationRCNN config whose teacher weights exist."""
    kd_model = build_model(cfg)
    kd_model.load_teacher()
    teacher = kd_model.teacher
    student_cfg = cfg.clone()
    student_cfg.defrost()
    student_cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
    student = build_model(student_cfg)
    student.load_state_dict({k: v for k, v in kd_model.state_dict().items() if not k.startswith("distillers.")})
    kd_model.train()
    student.train()
    optimizers = {"student": build_solver_optimizer(student_cfg, student), "kd": build_solver_optimizer(cfg, kd_model)}
    teacher_inputs = copy.deepcopy(inputs)
    memory = PeakMemory(cfg.MODEL.DEVICE)
    device = cfg.MODEL.DEVICE
    precisions = {name: Precision(device, cfg.SOLVER.AMP.ENABLED) for name in ("student", "teacher", "kd")}

    def teacher_backbone():
        with torch.no_grad(), precisions["teacher"].autocast():
            teacher.backbone(kd_model.teacher_images(teacher_inputs).tensor)

    def teacher_inference():
        with torch.no_grad(), precisions["teacher"].autocast():
            teacher([{"image": x["image"]} for x in teacher_inputs])

    phases = {
        "student training step": lambda i: _train_step(student, optimizers["student"], inputs, i,
                                                       precisions["student"]),
        "teacher forward (backbone)": lambda i: teacher_backbone(),
        "teacher inference (full)": lambda i: teacher_inference(),
        "KD training step": lambda i: _train_step(kd_model, optimizers["kd"], inputs, i, precisions["kd"]),
    }
    times = {name: [] for name in phases}
    peaks = {name: 0.0 for name in phases}
    for i in range(rounds + 1):
        for name, phase in phases.items():
            memory.reset()
            _sync(device)
            start = time.perf_counter()
            phase(i)
            _sync(device)
            if i > 0:  # the first round warms up
                times[name].append(time.perf_counter() - start)
                peaks[name] = max(peaks[name], memory.peak())
    return {
        "phases": {name: {"seconds": statistics.median(t), "peak_mib": peaks[name]} for name, t in times.items()},
        "models": {"student": model_mib(student), "teacher": model_mib(teacher), "KD model": model_mib(kd_model)},
        "precision": precisions["kd"].describe(),
    }
