"""Document image classification (DIC) and its knowledge distillation.

Importing this package registers the built-in classification sets (under $DISTILDOC_DATASETS),
the timm model builder and the training objectives ce, kd, nkd, mse, dkd, simkd and fitnet.
"""
from .catalog import (
    classification_dataset_names,
    classification_metadata,
    get_classification_dataset,
    register_balanced_subset,
    register_builtin_classification_datasets,
    register_classification_dataset,
    register_folder_dataset,
    register_image_folder,
    register_label_file_dataset,
)
from .config import add_classification_config
from .distiller import DeployedClassifier, DICModel, build_dic_model, build_teacher
from .methods import DIC_METHOD_REGISTRY, DistillationMethod, register_method
from .models import DIC_MODEL_REGISTRY, ImageClassifier, build_classifier, register_model_builder

register_builtin_classification_datasets()

__all__ = [
    "DIC_METHOD_REGISTRY",
    "DIC_MODEL_REGISTRY",
    "DICModel",
    "DeployedClassifier",
    "DistillationMethod",
    "ImageClassifier",
    "add_classification_config",
    "build_classifier",
    "build_dic_model",
    "build_teacher",
    "classification_dataset_names",
    "classification_metadata",
    "get_classification_dataset",
    "register_balanced_subset",
    "register_builtin_classification_datasets",
    "register_classification_dataset",
    "register_folder_dataset",
    "register_image_folder",
    "register_label_file_dataset",
    "register_method",
    "register_model_builder",
]
