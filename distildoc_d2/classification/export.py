"""Export a trained student as one self-contained file that needs only torch to run.

The file is a `torch.export` program (.pt2) of the deployed student: input normalisation, the
backbone and, for SimKD, the projector and the teacher's classifier; no teacher, timm or
distildoc_d2 is needed to load it. Its `meta.json` extra file holds the class names and the
preprocessing. Loading it:

    import json, numpy as np, torch
    from PIL import Image

    extra = {"meta.json": ""}
    model = torch.export.load("student.pt2", extra_files=extra).module()
    meta = json.loads(extra["meta.json"])
    height, width = meta["input_size"]
    page = Image.open("page.png").convert("RGB").resize((width, height), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(page).copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
    with torch.no_grad():
        probs = model(x).softmax(dim=1)[0]
    print(meta["class_names"][int(probs.argmax())], float(probs.max()))

(`meta["resize_mode"]` "pad" means: fit the page inside (height, width) keeping its aspect
ratio, centred on white, as distildoc_d2.classification.images.resize_page does.)
"""
import json
import os

import torch

from ..checkpoint import load_weights_strictly
from ..errors import DistilDocError
from .catalog import classification_metadata
from .distiller import DeployedClassifier, build_dic_model

META_FILE = "meta.json"


def export_metadata(cfg, class_names):
    """What a user of the exported file needs besides the program: classes and preprocessing."""
    return {
        "class_names": list(class_names),
        "input_size": list(cfg.DIC.INPUT_SIZE),
        "resize_mode": cfg.DIC.RESIZE_MODE,
        "input": "RGB pages as float (B, 3, H, W) in [0, 1]; normalisation is inside the model",
        "output": "class logits (B, num_classes)",
        "arch": cfg.MODEL.CLASSIFIER.ARCH,
        "method": cfg.DISTILL_DIC.METHOD,
    }


def _class_names(cfg):
    names = list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST)
    if names:
        return classification_metadata(names[0])["class_names"]
    return [str(i) for i in range(cfg.MODEL.CLASSIFIER.NUM_CLASSES)]


def export_student(cfg, weights, output_path, device="cpu"):
    """Build the run's student (no teacher weights needed), load `weights` strictly, export it
    with a dynamic batch size to `output_path` and check that the reloaded program gives the
    same logits. Returns the metadata written beside the program."""
    export_cfg = cfg.clone()
    export_cfg.defrost()
    export_cfg.MODEL.DEVICE = device
    model = build_dic_model(export_cfg, with_teacher=False)
    load_weights_strictly(model, weights)
    deployed = DeployedClassifier(model).eval()
    height, width = cfg.DIC.INPUT_SIZE
    example = torch.rand((2, 3, height, width), device=device)
    batch = torch.export.Dim("batch", min=1, max=4096)
    program = torch.export.export(deployed, (example,), dynamic_shapes={"images": {0: batch}})
    meta = export_metadata(cfg, _class_names(cfg))
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    torch.export.save(program, output_path, extra_files={META_FILE: json.dumps(meta)})
    reloaded = torch.export.load(output_path).module()
    check = torch.rand((3, 3, height, width), device=device)
    with torch.no_grad():
        expected, got = deployed(check), reloaded(check)
    if not torch.allclose(expected, got, rtol=1e-4, atol=1e-4):
        raise DistilDocError(f"the exported program {output_path} does not reproduce the model's logits")
    return meta
