"""Set-up, training and evaluation of a DIC run, as tools/train_dic.py runs it:

    python -m distildoc_d2.classification.run --config-file CFG [--eval-only] [--resume] [KEY VALUE ...]
"""
import sys

import torch
from detectron2.engine import default_argument_parser, default_setup
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger

from ..checkpoint import load_weights_strictly
from ..config import load_config
from ..engine.launch import run_tool
from ..errors import ConfigError
from .catalog import classification_metadata, get_classification_dataset
from .config import add_classification_config
from .distiller import check_teacher_config, load_teacher_config, method_class, resolve_teacher_config_path
from .images import RESIZE_MODES
from .teacher_cache import check_cacheable
from .trainer import DICTrainer


def _check_datasets(cfg, field, read):
    classes = []
    for name in getattr(cfg.DATASETS, field):
        try:
            class_names = classification_metadata(name)["class_names"]
        except ConfigError as err:
            raise ConfigError(f"DATASETS.{field}: {err}") from None
        if len(class_names) != cfg.MODEL.CLASSIFIER.NUM_CLASSES:
            raise ConfigError(
                f"MODEL.CLASSIFIER.NUM_CLASSES is {cfg.MODEL.CLASSIFIER.NUM_CLASSES} but data set '{name}' has "
                f"{len(class_names)} classes ({', '.join(class_names)})"
            )
        classes.append((name, class_names))
        if read:
            get_classification_dataset(name)
    return classes


def validate_classification_config(cfg, training=True, read_data=True):
    """Check the method, the input, the device, the data sets (names, class lists and, with
    `read_data`, their label files) and the teacher before any work starts."""
    cls = method_class(cfg.DISTILL_DIC.METHOD)
    size = tuple(cfg.DIC.INPUT_SIZE)
    if len(size) != 2 or min(size) < 1:
        raise ConfigError(f"DIC.INPUT_SIZE must be (height, width) of positive sizes, got {size}")
    if cfg.DIC.RESIZE_MODE not in RESIZE_MODES:
        raise ConfigError(f"DIC.RESIZE_MODE must be one of {', '.join(RESIZE_MODES)}, got '{cfg.DIC.RESIZE_MODE}'")
    if cfg.DIC.ECE_BINS < 1:
        raise ConfigError(f"DIC.ECE_BINS must be at least 1, got {cfg.DIC.ECE_BINS}")
    device = cfg.MODEL.DEVICE
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"MODEL.DEVICE is '{device}' but no CUDA device is available; use MODEL.DEVICE cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ConfigError(f"MODEL.DEVICE must be 'cpu' or 'cuda[:N]', got '{device}'")
    if training and not cfg.DATASETS.TRAIN:
        raise ConfigError("DATASETS.TRAIN is empty")
    found = _check_datasets(cfg, "TRAIN", read_data and training) + _check_datasets(cfg, "TEST", read_data)
    reference = found[0] if found else None
    for name, class_names in found[1:]:
        if class_names != reference[1]:
            raise ConfigError(
                f"data sets '{reference[0]}' and '{name}' have different class lists; register the evaluation set "
                "with a name mapping into the training classes (see distildoc_d2.classification.catalog)"
            )
    if cls.needs_teacher:
        check_teacher_config(cfg, load_teacher_config(cfg))
        if training and cfg.DISTILL_DIC.TEACHER.CACHE:
            check_cacheable(cfg, cls.teacher_outputs)


def dic_config(args):
    """The checked config of a run: YAML file + overrides, teacher path made absolute."""
    cfg = load_config(args.config_file, args.opts, extra_setup=(add_classification_config,))
    cfg.DISTILL_DIC.TEACHER.CONFIG_FILE = resolve_teacher_config_path(cfg.DISTILL_DIC.TEACHER.CONFIG_FILE,
                                                                       args.config_file)
    validate_classification_config(cfg, training=not args.eval_only)
    processes = args.num_gpus * args.num_machines
    if not args.eval_only and cfg.SOLVER.IMS_PER_BATCH % processes:
        raise ConfigError(
            f"SOLVER.IMS_PER_BATCH {cfg.SOLVER.IMS_PER_BATCH} is not divisible by the {processes} processes"
        )
    cfg.freeze()
    return cfg


def train_dic(args):
    """Train (or, with --eval-only, evaluate MODEL.WEIGHTS) as the config says; runs per process."""
    cfg = dic_config(args)
    default_setup(cfg, args)
    setup_logger(cfg.OUTPUT_DIR, distributed_rank=comm.get_rank(), name="distildoc_d2")
    if args.eval_only:
        model = DICTrainer.build_model(cfg)
        load_weights_strictly(model, cfg.MODEL.WEIGHTS)
        return DICTrainer.test(cfg, model)
    trainer = DICTrainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


def main(argv=None):
    """Parse the command line and run; returns the exit code (2 for bad input)."""
    args = default_argument_parser().parse_args(argv)
    return run_tool(train_dic, args, check=dic_config)


if __name__ == "__main__":
    sys.exit(main())
