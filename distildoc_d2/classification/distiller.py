"""The model a DIC run trains: the student and its method's trainable parts, with the frozen
teacher kept outside the module tree (never in the optimizer, the checkpoint or DDP)."""
import logging
import os

import torch
from detectron2.utils.events import get_event_storage
from torch import nn

from ..checkpoint import load_weights_strictly
from ..config import load_config
from ..errors import CheckpointError, ConfigError
from .config import add_classification_config
from .methods import DIC_METHOD_REGISTRY
from .methods.base import freeze_unreached
from .models import build_classifier

logger = logging.getLogger("distildoc_d2")


def method_class(name):
    """The DistillationMethod registered as `name` (ConfigError listing the known ones)."""
    if name not in DIC_METHOD_REGISTRY:
        names = ", ".join(sorted(n for n, _ in DIC_METHOD_REGISTRY))
        raise ConfigError(f"DISTILL_DIC.METHOD: '{name}' is not a known method (known: {names})")
    return DIC_METHOD_REGISTRY.get(name)


def load_teacher_config(cfg):
    """The config the teacher was trained with (DISTILL_DIC.TEACHER.CONFIG_FILE)."""
    path = cfg.DISTILL_DIC.TEACHER.CONFIG_FILE
    if not path:
        raise ConfigError(
            f"DISTILL_DIC.TEACHER.CONFIG_FILE is empty: method '{cfg.DISTILL_DIC.METHOD}' needs a teacher"
        )
    return load_config(path, (), extra_setup=(add_classification_config,))


def check_teacher_config(cfg, teacher_cfg):
    """The teacher must predict the student's classes from the student's input pages."""
    student_classes, teacher_classes = cfg.MODEL.CLASSIFIER.NUM_CLASSES, teacher_cfg.MODEL.CLASSIFIER.NUM_CLASSES
    source = cfg.DISTILL_DIC.TEACHER.CONFIG_FILE
    if student_classes != teacher_classes:
        raise ConfigError(
            f"the teacher ({source}) has {teacher_classes} classes but the student has {student_classes} "
            "(MODEL.CLASSIFIER.NUM_CLASSES): both must predict the same classes"
        )
    if tuple(teacher_cfg.DIC.INPUT_SIZE) != tuple(cfg.DIC.INPUT_SIZE):
        raise ConfigError(
            f"the teacher ({source}) was trained on pages of {tuple(teacher_cfg.DIC.INPUT_SIZE)} but the student "
            f"run uses DIC.INPUT_SIZE {tuple(cfg.DIC.INPUT_SIZE)}: the teacher sees the student's pages"
        )
    if not method_class(teacher_cfg.DISTILL_DIC.METHOD).student_has_head:
        raise ConfigError(f"the teacher ({source}) was trained with '{teacher_cfg.DISTILL_DIC.METHOD}', whose model "
                          "has no classifier of its own: use a teacher trained with ce, kd, nkd, mse, dkd or fitnet")


def _without_backbone_weights(model_cfg):
    node = model_cfg.clone()
    node.defrost()
    node.BACKBONE_WEIGHTS = ""
    return node


class _CheckpointView(nn.Module):
    """Names a classifier `student`, as in the checkpoint of the run that trained it."""

    def __init__(self, classifier):
        super().__init__()
        self.student = classifier


def build_teacher(cfg, load_weights=True):
    """The frozen teacher: its own config's classifier, weights loaded strictly from
    DISTILL_DIC.TEACHER.WEIGHTS (the teacher run's checkpoint), in eval mode without gradients."""
    teacher_cfg = load_teacher_config(cfg)
    check_teacher_config(cfg, teacher_cfg)
    teacher = build_classifier(_without_backbone_weights(teacher_cfg.MODEL.CLASSIFIER), cfg.DIC.INPUT_SIZE)
    if load_weights:
        path = cfg.DISTILL_DIC.TEACHER.WEIGHTS
        if not path:
            raise ConfigError("DISTILL_DIC.TEACHER.WEIGHTS is empty: give the teacher run's model_final.pth")
        try:
            load_weights_strictly(_CheckpointView(teacher), path, what="teacher weights file")
        except CheckpointError as err:
            if "shape" in str(err):
                raise CheckpointError(f"{err}\n  (the teacher's config {cfg.DISTILL_DIC.TEACHER.CONFIG_FILE} does not "
                                      "describe the model these weights come from)") from None
            raise
    teacher.eval().requires_grad_(False)
    return teacher.to(torch.device(cfg.MODEL.DEVICE))


class DICModel(nn.Module):
    """Training: batch dict -> dict of losses of the method. Evaluation: batch dict -> logits of
    the deployed student. The teacher (optional) is a plain attribute, moved by its builder."""

    def __init__(self, student, method, teacher=None):
        super().__init__()
        self.student = student
        self.method = method
        self._frozen = [] if teacher is None else [teacher]
        self.teacher_cache = None

    @property
    def teacher(self):
        """The frozen teacher, or None."""
        return self._frozen[0] if self._frozen else None

    def forward(self, batch):
        device = self.student.pixel_mean.device
        images = batch["images"].to(device, non_blocking=True)
        if not self.training:
            return self.predict(images)
        labels = batch["labels"].to(device, non_blocking=True)
        student_out = self.student.extract(images, self.method.student_outputs, self.method.student_hint_index)
        teacher_out = self.teacher_outputs(images, batch["indices"])
        return self.method.losses(student_out, teacher_out, labels, current_iteration())

    def predict(self, images):
        """Class logits of the student as deployed (for SimKD: projector + teacher classifier)."""
        return self.method.predict(self.student.extract(images, self.method.prediction_outputs))

    def teacher_outputs(self, images, indices):
        """What the method reads from the teacher: from the cache when there is one, else computed
        by the frozen teacher without gradients."""
        wanted = self.method.teacher_outputs
        if not wanted:
            return {}
        if self.teacher_cache is not None:
            return self.teacher_cache.lookup(indices, images.device)
        if self.teacher is None:
            raise ConfigError(f"method '{type(self.method).__name__}' needs a teacher, and none was built")
        with torch.no_grad():
            return self.teacher.extract(images, wanted, self.method.teacher_hint_index)


class DeployedClassifier(nn.Module):
    """The trained student alone: pages (B, 3, H, W) in [0, 1] -> class logits. It holds only
    what prediction uses (for SimKD: projector and teacher classifier; no FitNet regressor)."""

    def __init__(self, model):
        super().__init__()
        self.student = model.student
        self.output = model.method.prediction_outputs[0]
        self.head = model.method.prediction_head()

    def forward(self, images):
        features = self.student.extract(images, (self.output,))[self.output]
        return features if self.head is None else self.head(features)


def current_iteration():
    """The iteration of the running training loop, or None outside one."""
    try:
        return get_event_storage().iter
    except AssertionError:  # outside a training loop
        return None


def build_dic_model(cfg, with_teacher=True):
    """The DICModel of a run on MODEL.DEVICE. With `with_teacher` False (evaluation, export) the
    teacher's architecture is built only to shape the method's parts, and no teacher is kept."""
    cls = method_class(cfg.DISTILL_DIC.METHOD)
    device = torch.device(cfg.MODEL.DEVICE)
    model_cfg = cfg.MODEL.CLASSIFIER if with_teacher else _without_backbone_weights(cfg.MODEL.CLASSIFIER)
    student = build_classifier(model_cfg, cfg.DIC.INPUT_SIZE, None if cls.student_has_head else 0).to(device)
    teacher = build_teacher(cfg, load_weights=with_teacher) if cls.needs_teacher else None
    method = cls(cfg, student, teacher).to(device)
    unreached = []
    if "logits" not in method.student_outputs:  # the logits reach every parameter
        unreached = freeze_unreached(student, cfg.DIC.INPUT_SIZE, method.student_outputs, method.student_hint_index)
    if unreached and with_teacher:
        logger.info(f"Not trained (method '{cfg.DISTILL_DIC.METHOD}' never reads them): {', '.join(unreached)}")
    return DICModel(student, method, teacher if with_teacher else None)


def resolve_teacher_config_path(path, config_file):
    """A relative teacher config path is looked up from the working directory, then beside the
    config file naming it; the result is absolute ("" stays "")."""
    if not path or os.path.isabs(path):
        return path
    beside = os.path.join(os.path.dirname(os.path.abspath(config_file or ".")), path)
    for candidate in (path, beside):
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    raise ConfigError(f"DISTILL_DIC.TEACHER.CONFIG_FILE {path} exists neither in the working directory nor beside "
                      f"{config_file}")
