"""Document data: taxonomies, data set registration, loading and the synthetic generator."""
from .catalog import datasets_root, register_builtin_datasets, register_layout_dataset
from .categories import DOCLAYNET_CLASSES, PRIMA_CLASSES, PUBLAYNET_CLASSES, RVL_CDIP_CLASSES

__all__ = [
    "datasets_root",
    "register_builtin_datasets",
    "register_layout_dataset",
    "DOCLAYNET_CLASSES",
    "PRIMA_CLASSES",
    "PUBLAYNET_CLASSES",
    "RVL_CDIP_CLASSES",
]
