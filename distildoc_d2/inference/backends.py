"""The three ways to run an exported model, with one interface: a backend maps a list of model
inputs ((3, H, W) float32 tensors) to raw detections per input, tuples of CPU tensors (boxes,
classes, scores[, ROI masks]) as `distildoc_d2.export.program.detect` returns them.

- eager: the Detectron2 model (config + weights). Inputs of equal size run as one batch.
- torchscript: the traced program, on the device it was traced on (metadata
  `torchscript_device`, "cpu" or "cuda:N": traced code holds that device); one input at a time.
- onnx: ONNX Runtime (CPU, or CUDA on the GPU asked for when onnxruntime-gpu is installed; a
  session that would fall back to CPU is an error); one input at a time.
"""
import warnings
from collections import defaultdict

import onnxruntime
import torch

from ..errors import ConfigError
from ..export.deploy_config import load_deployed_model
from ..export.metadata import export_file
from ..export.program import check_exportable, detect_batch

BACKENDS = ("eager", "torchscript", "onnx")


def onnx_runs_on(device):
    """Whether the installed ONNX Runtime can run on `device` (cuda needs onnxruntime-gpu)."""
    return torch.device(device).type == "cpu" or "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def device_name(device):
    """"cpu", or "cuda:N" with the index made explicit (plain "cuda" is the current GPU)."""
    device = torch.device(device)
    if device.type != "cuda":
        return device.type
    index = device.index
    if index is None:
        index = torch.cuda.current_device() if torch.cuda.is_available() else 0
    return f"cuda:{index}"


def _to_cpu(outputs):
    return tuple(t.detach().cpu() for t in outputs)


class EagerBackend:
    """A Detectron2 GeneralizedRCNN (or a DistillationRCNN, whose inference is its student's)."""

    name = "eager"

    def __init__(self, model, device="cpu"):
        check_exportable(model)
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()

    def __call__(self, images):
        groups = defaultdict(list)
        for index, image in enumerate(images):
            groups[tuple(image.shape)].append(index)
        results = [None] * len(images)
        with torch.no_grad():
            for indices in groups.values():
                outputs = detect_batch(self.model, [images[i].to(self.device) for i in indices])
                for index, output in zip(indices, outputs):
                    results[index] = _to_cpu(output)
        return results


class TorchScriptBackend:
    """A program saved by torch.jit.save, loaded onto `device`."""

    name = "torchscript"

    def __init__(self, path, device="cpu"):
        self.device = torch.device(device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.load` is deprecated", category=FutureWarning)
            self.program = torch.jit.load(path, map_location=self.device).eval()

    def __call__(self, images):
        with torch.no_grad():
            return [_to_cpu(self.program(image.to(self.device))) for image in images]


class OnnxBackend:
    """An ONNX Runtime session; `threads` intra-op threads (0: ONNX Runtime's default)."""

    name = "onnx"

    def __init__(self, path, device="cpu", threads=0):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self.device = device_name(device)
        providers = ["CPUExecutionProvider"]
        if self.device != "cpu":
            if not onnx_runs_on(device):
                raise ConfigError("the onnx backend on cuda needs onnxruntime-gpu (CUDAExecutionProvider)")
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": torch.device(self.device).index}))
        self.session = onnxruntime.InferenceSession(path, options, providers=providers)
        if self.device != "cpu" and self.session.get_providers()[0] != "CUDAExecutionProvider":
            raise ConfigError(f"ONNX Runtime could not start its CUDA provider on {self.device} for {path} and would "
                              f"run on CPU (session providers: {', '.join(self.session.get_providers())}); check that "
                              "onnxruntime-gpu matches the installed CUDA and cuDNN, or use --device cpu")

    def __call__(self, images):
        return [tuple(torch.from_numpy(out) for out in self.session.run(None, {"image": image.numpy()}))
                for image in images]


def load_backend(folder, metadata, name, device="cpu"):
    """The backend `name` of an export folder, on `device`."""
    if name == "eager":
        stock = not metadata["requires_distildoc_d2"]
        _, model = load_deployed_model(export_file(folder, metadata, "detectron2", 0),
                                       export_file(folder, metadata, "detectron2", 1), stock, device)
        return EagerBackend(model, device)
    if name == "torchscript":
        traced_on = device_name(metadata.get("torchscript_device", "cpu"))
        if device_name(device) != traced_on:
            raise ConfigError(f"the TorchScript program in {folder} was traced on {traced_on} and runs only there, "
                              f"not on {device_name(device)}; export it again with tools/export_model.py "
                              f"--device {device_name(device)}")
        return TorchScriptBackend(export_file(folder, metadata, "torchscript"), device)
    if name == "onnx":
        return OnnxBackend(export_file(folder, metadata, "onnx"), device, threads=torch.get_num_threads())
    raise ConfigError(f"unknown backend '{name}'; choose one of {', '.join(BACKENDS)}")
