"""DIC training objectives, one module each, registered in DIC_METHOD_REGISTRY by name:
ce, kd, nkd, mse, dkd, simkd, fitnet."""
from . import ce, dkd, fitnet, kd, mse, nkd, simkd  # noqa: F401  (registers the methods)
from .base import DIC_METHOD_REGISTRY, DistillationMethod, probe_shapes, register_method
from .dkd import dkd_loss
from .kd import kd_loss
from .nkd import nkd_loss

__all__ = [
    "DIC_METHOD_REGISTRY",
    "DistillationMethod",
    "dkd_loss",
    "kd_loss",
    "nkd_loss",
    "probe_shapes",
    "register_method",
]
