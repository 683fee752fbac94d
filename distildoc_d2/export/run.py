"""A training run as the export sees it: its config (a run folder's config.yaml or a config
file), its trained weights, its model and its class names."""
import os

from detectron2.data import MetadataCatalog
from detectron2.modeling import build_model

from ..checkpoint import load_weights_strictly
from ..config import load_config
from ..data.specs import COCO_PREFIX, json_category_names, parse_coco_spec
from ..errors import CheckpointError, ConfigError
from .deploy_config import KD_ONLY_PREFIX, deployable_config

RUN_CONFIG = "config.yaml"
FINAL_WEIGHTS = "model_final.pth"
LAST_CHECKPOINT = "last_checkpoint"


def _checkpoint_in(folder):
    final = os.path.join(folder, FINAL_WEIGHTS)
    if os.path.isfile(final):
        return final
    tag = os.path.join(folder, LAST_CHECKPOINT)
    if os.path.isfile(tag):
        with open(tag) as f:
            return os.path.join(folder, f.read().strip())
    return ""


def run_config(path, overrides=()):
    """The config of a run folder (its config.yaml) or of a config file, with `overrides`."""
    if os.path.isdir(path):
        config_file = os.path.join(path, RUN_CONFIG)
        if not os.path.isfile(config_file):
            raise ConfigError(f"{path} is not a run folder: it has no {RUN_CONFIG}")
        return load_config(config_file, overrides)
    return load_config(path, overrides)


def load_run(path, weights="", overrides=()):
    """(config, weights file) of a run folder (its config.yaml, and model_final.pth or the file named
    by last_checkpoint) or of a config file (weights: MODEL.WEIGHTS, else OUTPUT_DIR's checkpoint).
    An explicit `weights` wins; the file's existence is checked when the model is loaded."""
    cfg = run_config(path, overrides)
    if os.path.isdir(path):
        found = weights or _checkpoint_in(path)
    else:
        found = weights or cfg.MODEL.WEIGHTS or _checkpoint_in(cfg.OUTPUT_DIR)
    if not found:
        raise CheckpointError(f"no trained weights found for {path}: pass a weights file "
                              f"(a run folder holds {FINAL_WEIGHTS} or {LAST_CHECKPOINT})")
    return cfg, found


def load_run_model(cfg, weights, device="cpu"):
    """The run's model on `device` in eval mode, with `weights` loaded strictly; `weights=None`
    keeps the random initialisation. A distillation run gives its student alone, as deployed: no
    teacher is built and its files are not read (a SimKD student still reads TEACHER_CONFIG for
    the shapes of its heads), and the checkpoint's KD-only modules are skipped."""
    ignore = ()
    if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
        cfg, _ = deployable_config(cfg)
        ignore = (KD_ONLY_PREFIX,)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = str(device)
    model = build_model(cfg)
    if weights is not None:
        load_weights_strictly(model, weights, ignore=ignore)
    return model.eval()


def class_names(cfg):
    """Class names of the run's data sets (test sets first; a `coco:` set's json when it is not
    registered), or class_0.. when none is known."""
    num_classes = cfg.MODEL.ROI_HEADS.NUM_CLASSES
    for name in list(cfg.DATASETS.TEST) + list(cfg.DATASETS.TRAIN):
        names = MetadataCatalog.get(name).get("thing_classes", None)
        if names is None and name.startswith(COCO_PREFIX) and os.path.isfile(parse_coco_spec(name)[0]):
            names = json_category_names(parse_coco_spec(name)[0])
        if names and len(names) == num_classes:
            return list(names)
    return [f"class_{i}" for i in range(num_classes)]
