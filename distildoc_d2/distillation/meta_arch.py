"""DistillationRCNN: a student Mask R-CNN trained beside a frozen teacher with KD losses."""
import copy
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from detectron2.config import configurable
from detectron2.modeling import META_ARCH_REGISTRY, GeneralizedRCNN
from detectron2.structures import Boxes, ImageList
from detectron2.utils.events import get_event_storage

from ..errors import ConfigError
from .adapters import resize_like
from .methods import DistillBatch, build_distill_methods
from .projected_backbone import ProjectedBackbone
from .schedule import kd_weight
from .teacher import build_frozen_teacher, load_teacher_weights, teacher_config

logger = logging.getLogger("distildoc_d2")

SUPERVISION_MODES = ("both", "distill_only", "supervised_only")


@META_ARCH_REGISTRY.register()
class DistillationRCNN(GeneralizedRCNN):
    """A GeneralizedRCNN student (its state dict is the student's, plus KD projectors under
    `distillers.`) and a frozen teacher that is not a registered submodule: it stays out of
    `parameters()`, `state_dict()`, the optimizer and DDP, and is always in eval mode.
    In inference the model is the student alone. Call `load_teacher()` before training."""

    @configurable
    def __init__(self, *, teacher, teacher_weights, distillers, supervision, schedule, teacher_input_scale,
                 copy_teacher_heads, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "teacher", teacher)
        self.teacher_weights = teacher_weights
        self.distillers = nn.ModuleDict(distillers)
        self.loss_weights = {name: float(w) for name, w in schedule.pop("weights").items()}
        self.schedule = schedule
        self.supervision = supervision
        self.teacher_input_scale = teacher_input_scale
        self.copy_teacher_heads = copy_teacher_heads
        self.teacher_loaded = False
        self.needs_roi = any(m.needs_roi for m in self.distillers.values())
        self._recorded = {}
        self._recording = False
        self._detection_loss_names = ()
        self.backbone.register_forward_hook(self._record("features"))
        if self.needs_roi:
            self.roi_heads.box_pooler.register_forward_pre_hook(self._record_boxes)
            self.roi_heads.box_predictor.register_forward_hook(self._record("roi"))

    @classmethod
    def from_config(cls, cfg):
        d = cfg.MODEL.DISTILL
        if d.SUPERVISION not in SUPERVISION_MODES:
            raise ConfigError(f"MODEL.DISTILL.SUPERVISION is '{d.SUPERVISION}'; expected one of {SUPERVISION_MODES}")
        # the student first: with the same seed it starts from the same weights as a plain run
        ret = super().from_config(cfg)
        teacher = build_frozen_teacher(teacher_config(cfg))
        teacher_shapes = teacher.backbone.output_shape()
        copy_heads = "simkd" in d.METHODS
        if copy_heads and bool(getattr(teacher.roi_heads, "mask_on", False)) != bool(cfg.MODEL.MASK_ON):
            raise ConfigError(f"simkd copies the teacher's RPN and ROI heads into the student, but the teacher "
                              f"({d.TEACHER_CONFIG}) has MODEL.MASK_ON {not cfg.MODEL.MASK_ON} and the student "
                              f"{cfg.MODEL.MASK_ON}: set the student's MODEL.MASK_ON to the teacher's, or use "
                              "feature_mse, reviewkd or roi_kd for a box-only student")
        if copy_heads:
            ret["backbone"] = ProjectedBackbone(ret["backbone"], teacher_shapes, d.SIMKD.PROJECTOR)
            ret["proposal_generator"] = copy.deepcopy(teacher.proposal_generator)
            ret["roi_heads"] = copy.deepcopy(teacher.roi_heads)
        # a supervised_only baseline runs no KD loss: modules that only KD losses train would get no
        # gradient (DDP stops at the second iteration), so they are not built
        distillers = ({} if d.SUPERVISION == "supervised_only"
                      else build_distill_methods(cfg, ret["backbone"].output_shape(), teacher_shapes))
        if any(m.needs_roi for m in distillers.values()) and not hasattr(teacher.roi_heads, "box_pooler"):
            raise ConfigError("roi_kd needs a teacher whose ROI heads have a box pooler and box head (StandardROIHeads)")
        ret.update(
            teacher=teacher,
            teacher_weights=d.TEACHER_WEIGHTS,
            distillers=distillers,
            supervision=d.SUPERVISION,
            schedule={"start": d.START_ITER, "stop": d.STOP_ITER, "warmup": d.WARMUP_ITERS,
                      "weights": dict(zip(d.METHODS, d.LOSS_WEIGHTS))},
            teacher_input_scale=d.TEACHER_INPUT_SCALE,
            copy_teacher_heads=copy_heads,
        )
        return ret

    def load_teacher(self):
        """Load the teacher's weights strictly (once); for SimKD also copy its (frozen) heads into
        the student, on every call: call it again after loading student weights (MODEL.WEIGHTS,
        not strict) so that the teacher's heads win."""
        if not self.teacher_loaded:
            load_teacher_weights(self.teacher, self.teacher_weights)
        if self.copy_teacher_heads:
            self.proposal_generator.load_state_dict(self.teacher.proposal_generator.state_dict())
            self.roi_heads.load_state_dict(self.teacher.roi_heads.state_dict())
            for p in list(self.proposal_generator.parameters()) + list(self.roi_heads.parameters()):
                p.requires_grad_(False)
        self.teacher_loaded = True

    def train(self, mode=True):
        super().train(mode)
        self.teacher.eval()
        return self

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.teacher._apply(fn, *args, **kwargs)
        return self

    def _record(self, key):
        def hook(module, inputs, output):
            if self._recording:
                self._recorded[key] = output

        return hook

    def _record_boxes(self, module, inputs):
        if self._recording:
            self._recorded["boxes"] = inputs[1]

    def forward(self, batched_inputs):
        """Inference: the student alone. Training: the student's detection losses on the pages
        that have labels (ground truth or pseudo-labels) and the KD losses on every page; pages
        without labels (unlabelled pages, pseudo-labelled pages whose teacher found nothing)
        learn from the live teacher alone."""
        if not self.training or self.supervision == "supervised_only":
            return super().forward(batched_inputs)
        if not self.teacher_loaded:
            raise RuntimeError("DistillationRCNN is training without its teacher's weights: call load_teacher() first")
        labelled = [i for i, x in enumerate(batched_inputs) if "instances" in x]
        self._recording, self._recorded = True, {"labelled": labelled}
        try:
            images = self.preprocess_image(batched_inputs)
            features = self.backbone(images.tensor)
            losses = {}
            if labelled and (self.supervision == "both" or self.needs_roi):
                losses = self._detection_losses(images, features, [batched_inputs[i] for i in labelled], labelled)
        finally:
            self._recording = False
        if self.supervision == "distill_only":
            # the heads ran only to give roi_kd its inputs; their gradients must not flow
            losses = {k: v * 0.0 for k, v in losses.items()}
        elif not labelled and self._detection_loss_names:
            # a batch of unlabelled pages: the same loss names, so logs and DDP see every iteration alike
            heads = list(self.proposal_generator.parameters()) + list(self.roi_heads.parameters())
            zero = sum(p.sum() for p in heads if p.requires_grad) * 0.0
            losses = {name: zero for name in self._detection_loss_names}
        try:
            losses.update(self._distill_losses(batched_inputs))
        finally:
            self._recorded = {}
        return losses

    def _detection_losses(self, images, features, inputs, indices):
        """The RPN and ROI-head losses on the pages `indices` of the batch (those with labels)."""
        if len(indices) < len(images):
            images = ImageList(images.tensor[indices], [images.image_sizes[i] for i in indices])
            features = {k: v[indices] for k, v in features.items()}
        gt_instances = [x["instances"].to(self.device) for x in inputs]
        proposals, proposal_losses = self.proposal_generator(images, features, gt_instances)
        _, detector_losses = self.roi_heads(images, features, proposals, gt_instances)
        losses = {**detector_losses, **proposal_losses}
        self._detection_loss_names = tuple(losses)
        return losses

    def teacher_images(self, batched_inputs):
        """The batch as the teacher sees it: its channel order, scale, normalisation and padding."""
        teacher, scale = self.teacher, self.teacher_input_scale
        inputs = []
        for x in batched_inputs:
            image = x["image"].to(teacher.device)
            if teacher.input_format != self.input_format:
                image = image.flip(0)  # RGB <-> BGR
            if scale != 1.0:
                image = F.interpolate(image[None].float(), scale_factor=scale, mode="bilinear", align_corners=False)[0]
            inputs.append({"image": image})
        return teacher.preprocess_image(inputs)

    @torch.no_grad()
    def _teacher_outputs(self, batched_inputs):
        teacher = self.teacher
        images = self.teacher_images(batched_inputs)
        features = teacher.backbone(images.tensor)
        roi = None
        labelled = self._recorded["labelled"]
        if self.needs_roi and labelled:
            heads = teacher.roi_heads
            boxes = [Boxes(b.tensor * self.teacher_input_scale) for b in self._recorded["boxes"]]
            pooled = heads.box_pooler([features[f][labelled] for f in heads.box_in_features], boxes)
            roi = heads.box_predictor(heads.box_head(pooled))
        return features, roi

    def _distill_losses(self, batched_inputs):
        iteration = get_event_storage().iter
        weight = kd_weight(iteration, **self.schedule)
        get_event_storage().put_scalar("kd_weight", weight, smoothing_hint=False)
        t_features, t_roi = self._teacher_outputs(batched_inputs)
        s_features = self._recorded["features"]
        batch = DistillBatch(
            student_features=s_features,
            teacher_features={k: resize_like(t_features[k], s_features[k]) for k in s_features if k in t_features},
            gt_boxes=[x["instances"].gt_boxes.tensor.to(self.device) if "instances" in x else None
                      for x in batched_inputs],
            student_roi=self._recorded.get("roi"),
            teacher_roi=t_roi,
        )
        losses = {}
        for name, method in self.distillers.items():
            for key, value in method(batch).items():
                losses[key] = value * (self.loss_weights[name] * weight)
        return losses
