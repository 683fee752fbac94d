"""Set-up, training and evaluation of layout models, as run by tools/train_net.py."""
import logging
import os

import torch
from detectron2.engine import default_argument_parser, default_setup
from detectron2.modeling import GeneralizedRCNN
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger
from torch import nn

from ..config import load_config, validate_layout_config
from ..distillation import DistillationRCNN
from ..distillation.teacher import teacher_config
from ..errors import ConfigError
from ..export.run import load_run_model
from .trainer import LayoutTrainer


def layout_config(args):
    """The checked config of a run: YAML file + overrides, data sets and classes validated."""
    cfg = load_config(args.config_file, args.opts)
    validate_layout_config(cfg, training=not args.eval_only)
    if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
        # evaluation builds the student alone: of the teacher's files only a SimKD student's
        # heads read one, its config
        if not args.eval_only or "simkd" in cfg.MODEL.DISTILL.METHODS:
            teacher_config(cfg)
        weights = cfg.MODEL.DISTILL.TEACHER_WEIGHTS
        if not args.eval_only and not os.path.isfile(weights):
            raise ConfigError(f"MODEL.DISTILL.TEACHER_WEIGHTS: teacher weights file '{weights}' does not exist")
    if not args.eval_only and cfg.MODEL.WEIGHTS and not os.path.isfile(cfg.MODEL.WEIGHTS) and not (
            args.resume and os.path.isfile(os.path.join(cfg.OUTPUT_DIR, "last_checkpoint"))):
        raise ConfigError(f"MODEL.WEIGHTS: initial weights file '{cfg.MODEL.WEIGHTS}' does not exist "
                          "(weights come from local files only)")
    cfg.freeze()
    return cfg


def train_layout(args):
    """Train (or, with --eval-only, evaluate) the model the config describes; runs per process."""
    cfg = layout_config(args)
    default_setup(cfg, args)
    setup_logger(cfg.OUTPUT_DIR, distributed_rank=comm.get_rank(), name="distildoc_d2")
    if args.eval_only:
        return LayoutTrainer.test(cfg, load_run_model(cfg, cfg.MODEL.WEIGHTS, cfg.MODEL.DEVICE))
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
    return LayoutTrainer.test(tcfg, TeacherAsInTraining(model))


class TeacherAsInTraining(nn.Module):
    """A distillation model's teacher for evaluation, fed as training feeds it: the student's
    (resized) pages in the teacher's channel order, scaled by TEACHER_INPUT_SCALE, with the
    teacher's normalisation (`DistillationRCNN.teacher_images`); detections are mapped back to
    the original page size. It holds no module: evaluation leaves the student's mode alone."""

    def __init__(self, model):
        super().__init__()
        object.__setattr__(self, "source", model)

    def forward(self, batched_inputs):
        teacher = self.source.teacher
        with torch.no_grad():
            images = self.source.teacher_images(batched_inputs)
            features = teacher.backbone(images.tensor)
            proposals, _ = teacher.proposal_generator(images, features, None)
            results, _ = teacher.roi_heads(images, features, proposals, None)
        return GeneralizedRCNN._postprocess(results, batched_inputs, images.image_sizes)


def layout_argument_parser():
    """Detectron2's default argument parser plus --eval-teacher."""
    parser = default_argument_parser()
    parser.add_argument("--eval-teacher", action="store_true",
                        help="evaluate the distillation teacher once before training")
    return parser
