"""distildoc_d2: knowledge distillation for document AI as a Detectron2 plugin.

Importing the package registers its data sets, backbones (including the projected backbone of
exported SimKD students), the DistillationRCNN meta-architecture, the KD methods and the DIC
models with Detectron2's catalogs and registries.
"""
import warnings

# Detectron2 decorates a few helpers with torch.jit.script, which torch >= 2.10 reports as
# deprecated at import time; the message says nothing actionable to a user of this package.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)

from .config import add_distildoc_config, load_config, validate_layout_config
from .data import register_builtin_datasets
from . import backbones  # noqa: F401  (registers backbones)
from . import distillation  # noqa: F401  (registers DistillationRCNN and the KD methods)
from . import classification  # noqa: F401  (registers DIC models, losses, data sets)
from . import export  # noqa: F401  (registers build_projected_backbone for exported SimKD students)

register_builtin_datasets()

__all__ = ["add_distildoc_config", "load_config", "validate_layout_config", "register_builtin_datasets"]
