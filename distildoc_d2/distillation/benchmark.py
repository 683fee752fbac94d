"""Cost of a KD training iteration next to a student iteration plus the teacher's forward pass,
measured side by side on the same batch (interleaved rounds, medians)."""
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


def _train_step(model, optimizer, inputs, iteration):
    with EventStorage(iteration):
        losses = model(inputs)
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()


def benchmark_kd_iteration(cfg, inputs, rounds=5):
    """Median seconds of (a) a student training step, (b) the teacher's forward pass (backbone,
    as KD needs it; and full inference for reference) and (c) a KD training step, plus peak
    memory of (a) and (c). `cfg` is a DistillationRCNN config whose teacher is loaded."""
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

    def teacher_backbone():
        with torch.no_grad():
            teacher.backbone(kd_model.teacher_images(teacher_inputs).tensor)

    def teacher_inference():
        with torch.no_grad():
            teacher([{"image": x["image"]} for x in teacher_inputs])

    phases = {
        "student training step": lambda i: _train_step(student, optimizers["student"], inputs, i),
        "teacher forward (backbone)": lambda i: teacher_backbone(),
        "teacher inference (full)": lambda i: teacher_inference(),
        "KD training step": lambda i: _train_step(kd_model, optimizers["kd"], inputs, i),
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
    return {name: {"seconds": statistics.median(t), "peak_mib": peaks[name]} for name, t in times.items()}
