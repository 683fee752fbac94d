"""Knowledge distillation for layout detectors: DistillationRCNN and its KD methods."""
from .config import add_distill_config
from .meta_arch import DistillationRCNN
from .methods import DISTILL_METHOD_REGISTRY, DistillBatch, register_distill_method
from .methods import feature_mse, reviewkd, roi_kd, simkd  # noqa: F401  (registers the methods)

__all__ = ["add_distill_config", "DistillationRCNN", "DISTILL_METHOD_REGISTRY", "DistillBatch", "register_distill_method"]
