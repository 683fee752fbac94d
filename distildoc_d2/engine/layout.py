"""Set-up, training and evaluation of layout models, as run by tools/train_net.py."""
import logging
import os

from detectron2.engine import default_argument_parser, default_setup
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger

from ..checkpoint import load_weights_strictly
from ..config import load_config, validate_layout_config
from ..distillation import DistillationRCNN
from ..distillation.teacher import teacher_config
from ..errors import ConfigError
from .trainer import LayoutTrainer


def layout_config(args):
    """The checked config of a run: YAML file + overrides, data sets and classes validated."""
    cfg = load_config(args.config_file, args.opts)
    validate_layout_config(cfg)
    if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
        teacher_config(cfg)
        weights = cfg.MODEL.DISTILL.TEACHER_WEIGHTS
        if not args.eval_only and not os.path.isfile(weights):
            raise ConfigError(f"MODEL.DISTILL.TEACHER_WEIGHTS: teacher weights file '{weights}' does not exist")
    cfg.freeze()
    return cfg


def train_layout(args):
    """Train (or, with --eval-only, evaluate) the model the config describes; runs per process."""
    cfg = layout_config(args)
    default_setup(cfg, args)
    setup_logger(cfg.OUTPUT_DIR, distributed_rank=comm.get_rank(), name="distildoc_d2")
    if args.eval_only:
        model = LayoutTrainer.build_model(cfg)
        load_weights_strictly(model, cfg.MODEL.WEIGHTS)
        return LayoutTrainer.test(cfg, model)
    trainer = LayoutTrainer(cfg)
    if getattr(args, "eval_teacher", False):
        evaluate_teacher(cfg, trainer.model)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


def evaluate_teacher(cfg, model):
    """Evaluate a distillation run's teacher on DATASETS.TEST (results in OUTPUT_DIR/teacher_eval),
    so the user sees that the intended teacher was loaded before the student trains."""
    model = model.module if hasattr(model, "module") else model
    if not isinstance(model, DistillationRCNN):
        raise ConfigError("--eval-teacher needs a distillation config (MODEL.META_ARCHITECTURE: DistillationRCNN)")
    tcfg = cfg.clone()
    tcfg.defrost()
    tcfg.OUTPUT_DIR = os.path.join(cfg.OUTPUT_DIR, "teacher_eval")
    logging.getLogger("distildoc_d2").info(f"Evaluating the teacher {cfg.MODEL.DISTILL.TEACHER_WEIGHTS}")
    return LayoutTrainer.test(tcfg, model.teacher)


def layout_argument_parser():
    """Detectron2's default argument parser plus --eval-teacher."""
    parser = default_argument_parser()
    parser.add_argument("--eval-teacher", action="store_true",
                        help="evaluate the distillation teacher once before training")
    return parser
