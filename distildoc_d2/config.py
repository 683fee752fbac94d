"""Config keys added by distildoc_d2, each with its default, and config validation."""
import difflib
import os

import torch
from detectron2.config import CfgNode as CN
from detectron2.config import get_cfg
from detectron2.data import DatasetCatalog, MetadataCatalog

from .distillation.config import add_distill_config
from .backbones.config import add_backbone_config
from .data.specs import is_dataset_spec, register_dataset_specs
from .data.training_mix import SAMPLERS
from .errors import ConfigError


def add_distildoc_config(cfg):
    """Add the keys that distildoc_d2's layout models and tools read (documented defaults)."""
    # Which COCO metrics the evaluator computes; a model without a mask head uses ("bbox",).
    cfg.TEST.EVAL_TASKS = ("bbox", "segm")
    # The model-size report at the start of training counts FLOPs (fvcore) on one blank image
    # of this (height, width); an empty tuple skips the FLOP count.
    cfg.MODEL.FLOPS_INPUT_SIZE = (800, 608)
    # Write losses, ETA and learning rate to the log, metrics.json and TensorBoard every N iterations.
    cfg.SOLVER.LOG_PERIOD = 20
    # "SGD" (Detectron2's default, with SOLVER.MOMENTUM and NESTEROV) or "AdamW" (SOLVER.BETAS;
    # converges faster from random initialisation and suits ViT backbones). Both use BASE_LR,
    # WEIGHT_DECAY(_NORM, _BIAS) and CLIP_GRADIENTS.
    cfg.SOLVER.OPTIMIZER = "SGD"
    cfg.SOLVER.BETAS = (0.9, 0.999)
    # How often each DATASETS.TRAIN set is drawn, one weight per set (e.g. (1.0, 1.0): half the
    # pages from a small labelled set, half from a large pseudo-labelled one, whatever their
    # sizes); empty: every page equally often, as Detectron2 does.
    cfg.DATASETS.TRAIN_RATIOS = ()
    # Resolution at which PDFs named by a `pages:` data set are rendered (once, into a cache).
    cfg.DATASETS.PDF_DPI = 144
    add_backbone_config(cfg)
    add_distill_config(cfg)


def _all_keys(node, prefix=""):
    for key, value in node.items():
        full = f"{prefix}{key}"
        if isinstance(value, CN):
            yield from _all_keys(value, full + ".")
        else:
            yield full


def _explain(cfg, err, source):
    """A ConfigError for a failed merge; an unknown key gets the closest known keys as a hint."""
    message = str(err.args[0]) if err.args else str(err)
    hint = ""
    if "Non-existent" in message:
        bad = message.rsplit(":", 1)[-1].strip()
        close = difflib.get_close_matches(bad, list(_all_keys(cfg)), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ConfigError(f"{source}: {message}{hint}")


def load_config(config_file, overrides=(), extra_setup=()):
    """Build a frozen-ready config from a YAML file and `KEY VALUE` overrides, with clear errors."""
    cfg = get_cfg()
    add_distildoc_config(cfg)
    for add in extra_setup:
        add(cfg)
    if config_file:
        if not os.path.isfile(config_file):
            raise ConfigError(f"config file {config_file} does not exist")
        try:
            cfg.merge_from_file(config_file)
        except (KeyError, ValueError, TypeError, AssertionError) as err:
            raise _explain(cfg, err, f"config file {config_file}") from None
    if len(overrides) % 2:
        raise ConfigError(f"command-line overrides must come as KEY VALUE pairs, got {list(overrides)}")
    try:
        cfg.merge_from_list(list(overrides))
    except (KeyError, ValueError, TypeError, AssertionError) as err:
        raise _explain(cfg, err, "command-line override") from None
    return cfg


def validate_layout_config(cfg, check_files=True, training=True):
    """Register the `coco:` / `pages:` data sets the config names, then check data set names,
    annotation files (unless `check_files` is False; the training sets' only when `training`:
    an evaluation needs its test files alone), class counts and names, sampling ratios and
    device before any work starts."""
    if check_files:
        register_dataset_specs(cfg)
    registered = list(DatasetCatalog.keys())
    num_classes = cfg.MODEL.ROI_HEADS.NUM_CLASSES
    for field in ("TRAIN", "TEST"):
        for name in getattr(cfg.DATASETS, field):
            if not check_files and is_dataset_spec(name):
                continue  # a coco:/pages: set is registered (and checked) when its files are
            if name not in registered:
                close = difflib.get_close_matches(name, registered, n=3)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise ConfigError(f"DATASETS.{field}: data set '{name}' is not registered.{hint}")
            meta = MetadataCatalog.get(name)
            json_file = meta.get("json_file", None)
            if check_files and json_file and not os.path.isfile(json_file) and (training or field == "TEST"):
                raise ConfigError(
                    f"DATASETS.{field}: annotation file {json_file} of data set '{name}' does not exist "
                    "(the data root is $DISTILDOC_DATASETS, default ./datasets; see datasets/README.md)"
                )
            classes = meta.get("thing_classes", None)
            if classes is not None and len(classes) != num_classes:
                raise ConfigError(
                    f"MODEL.ROI_HEADS.NUM_CLASSES is {num_classes} but data set '{name}' has "
                    f"{len(classes)} classes ({', '.join(classes)})"
                )
    _check_same_classes(cfg)
    _check_training_mix(cfg)
    device = cfg.MODEL.DEVICE
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"MODEL.DEVICE is '{device}' but no CUDA device is available; use MODEL.DEVICE cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ConfigError(f"MODEL.DEVICE must be 'cpu' or 'cuda[:N]', got '{device}'")


def _check_same_classes(cfg):
    """Every data set of a run must list the same classes in the same order."""
    first = None
    for name in list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST):
        classes = MetadataCatalog.get(name).get("thing_classes", None)
        if classes is None:
            continue
        if first is None:
            first = (name, list(classes))
        elif list(classes) != first[1]:
            raise ConfigError(f"data sets '{first[0]}' and '{name}' have different classes: {first[1]} vs "
                              f"{list(classes)}; a run trains and evaluates one class list")


def _check_training_mix(cfg):
    """TRAIN_RATIOS: one positive weight per training set; a sampler this project builds;
    unlabelled pages need a live teacher."""
    if cfg.DATALOADER.SAMPLER_TRAIN not in SAMPLERS:
        raise ConfigError(f"DATALOADER.SAMPLER_TRAIN is '{cfg.DATALOADER.SAMPLER_TRAIN}'; expected one of "
                          f"{list(SAMPLERS)} (weigh data sets with DATASETS.TRAIN_RATIOS)")
    ratios, train = list(cfg.DATASETS.TRAIN_RATIOS), list(cfg.DATASETS.TRAIN)
    if ratios and (len(ratios) != len(train) or any(r <= 0 for r in ratios)):
        raise ConfigError(f"DATASETS.TRAIN_RATIOS is {tuple(ratios)}; expected one positive weight per "
                          f"DATASETS.TRAIN set ({len(train)}: {train}), or () for none")
    distilling = cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN"
    for name in train:
        if MetadataCatalog.get(name).get("unlabelled", False) and not distilling:
            raise ConfigError(f"DATASETS.TRAIN: '{name}' holds unlabelled pages, which only a DistillationRCNN "
                              "learns from (through its live teacher); pseudo-label them first "
                              "(tools/pseudo_label.py) to train a plain model on them")
