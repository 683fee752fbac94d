"""Deployable students: Detectron2 config + weights, TorchScript and ONNX programs and a metadata
JSON, each checked against the eager model (tools/export_model.py; the export itself is
`distildoc_d2.export.exporter.export_model`).

Importing this package registers `build_projected_backbone`, the backbone of exported SimKD
students: load those (and students with distildoc_d2's ViT, DiT or timm backbones) with
`load_deploy_config(path, stock=False)` or `load_deployed_model(...)` after `import distildoc_d2`.
"""
from .deploy_config import deployable_config, load_deploy_config, load_deployed_model
from .metadata import METADATA_FILE, load_metadata
from .projected import add_projected_backbone_config, build_projected_backbone
from .run import load_run

__all__ = [
    "METADATA_FILE",
    "add_projected_backbone_config",
    "build_projected_backbone",
    "deployable_config",
    "load_deploy_config",
    "load_deployed_model",
    "load_metadata",
    "load_run",
]
