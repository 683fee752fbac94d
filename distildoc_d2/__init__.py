"""distildoc_d2: knowledge distillation for document AI as a Detectron2 plugin.

Importing the package registers its data sets (and, as they are added, its backbones and
meta-architectures) with Detectron2's catalogs and registries.
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

register_builtin_datasets()

__all__ = ["add_distildoc_config", "load_config", "validate_layout_config", "register_builtin_datasets"]
