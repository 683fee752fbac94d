"""The layout trainer: Detectron2's DefaultTrainer with document-data checks, CPU multi-process
training, atomic checkpoints, a model-size report and evaluation results written to JSON."""
import json
import logging
import math
import os
import weakref

import torch
import torch.distributed as dist
from detectron2.data import build_detection_test_loader, build_detection_train_loader
from detectron2.engine import AMPTrainer, DefaultTrainer, SimpleTrainer, TrainerBase, hooks
from detectron2.engine.defaults import create_ddp_model
from detectron2.evaluation import COCOEvaluator
from detectron2.utils import comm
from detectron2.utils.events import get_event_storage
from detectron2.utils.logger import setup_logger
from torch.nn.modules.batchnorm import _BatchNorm

from ..checkpoint import AtomicCheckpointer
from ..data.mapper import DocumentDatasetMapper
from ..data.training_mix import training_pages_and_sampler
from ..distillation import DistillationRCNN
from ..errors import DistilDocError
from ..evaluation.model_size import describe_model
from .optimizer import build_solver_optimizer

logger = logging.getLogger("distildoc_d2")


def ddp_kwargs(cfg):
    """DistributedDataParallel arguments: CPU models must not be given device ids; a student
    trained by KD losses alone leaves its own heads without gradients."""
    kwargs = {"broadcast_buffers": False}
    if cfg.MODEL.DEVICE == "cpu":
        kwargs["device_ids"] = None
    if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN" and cfg.MODEL.DISTILL.SUPERVISION == "distill_only":
        kwargs["find_unused_parameters"] = True
    return kwargs


def _batchnorm_buffers(model):
    return [buffer for module in model.modules() if isinstance(module, _BatchNorm) for buffer in module.buffers()]


class BatchNormBufferSync(hooks.HookBase):
    """After every step of a multi-process run, rank 0's BatchNorm running statistics are
    broadcast to the other processes (one message per dtype). DDP does not broadcast buffers
    (`ddp_kwargs`), so each process would otherwise keep statistics of its own pages, and the
    evaluation during training, which every process runs on its share of the pages, would not
    evaluate the model that rank 0 saves."""

    def __init__(self, buffers):
        self._groups = {}
        for buffer in buffers:
            self._groups.setdefault(buffer.dtype, []).append(buffer)

    @classmethod
    def hooks_for(cls, model):
        """[the hook] for a model with BatchNorm layers, [] otherwise."""
        buffers = _batchnorm_buffers(model)
        return [cls(buffers)] if buffers else []

    def after_step(self):
        self.synchronize()

    def synchronize(self):
        """Copy rank 0's statistics into this process's (no-op in a single process)."""
        if comm.get_world_size() == 1:
            return
        for buffers in self._groups.values():
            flat = torch.cat([b.reshape(-1) for b in buffers])
            dist.broadcast(flat, src=0)
            for buffer, value in zip(buffers, flat.split([b.numel() for b in buffers])):
                buffer.copy_(value.view_as(buffer))


class ResumableAMPTrainer(AMPTrainer):
    """Detectron2's AMPTrainer that also resumes from a checkpoint written without AMP (which
    holds no gradient scaler state: the scaler then starts afresh)."""

    def load_state_dict(self, state_dict):
        if "grad_scaler" in state_dict:
            super().load_state_dict(state_dict)
        else:
            SimpleTrainer.load_state_dict(self, state_dict)


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None  # COCO gives NaN for a class absent from the evaluation set
    return value


def write_eval_results(output_dir, results, iteration):
    """Append one evaluation's results to OUTPUT_DIR/eval_results.json (main process only).
    NaN (a class absent from the evaluation set) is written as null. Evaluations at the same or a
    later iteration, left by an attempt that was interrupted and resumed from an earlier
    checkpoint, are replaced."""
    if not comm.is_main_process() or not results:
        return
    path = os.path.join(output_dir, "eval_results.json")
    history = []
    if os.path.isfile(path):
        with open(path) as f:
            history = json.load(f)
    if iteration is not None:
        history = [e for e in history if e["iteration"] is None or e["iteration"] < iteration]
    history.append({"iteration": iteration, "results": _json_safe(dict(results))})
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(history, f, indent=2)
    os.replace(tmp, path)


def with_log_period(hook_list, period):
    """Detectron2's default hooks with their PeriodicWriter writing every `period` iterations
    (SOLVER.LOG_PERIOD) instead of every 20."""
    return [
        hooks.PeriodicWriter(hook._writers, period=period) if isinstance(hook, hooks.PeriodicWriter) else hook
        for hook in hook_list
    ]


class _UserErrorWithoutTraceback(logging.Filter):
    """Detectron2 logs any exception that stops training with its traceback; a user error (an
    unreadable image, say) is logged as its message alone."""

    def filter(self, record):
        err = record.exc_info[1] if record.exc_info else None
        if isinstance(err, DistilDocError):
            record.msg, record.args, record.exc_info = f"Training stopped: {err}", (), None
        return True


logging.getLogger("detectron2.engine.train_loop").addFilter(_UserErrorWithoutTraceback())


class LayoutTrainer(DefaultTrainer):
    """Trains and evaluates a Detectron2 model on a registered layout data set."""

    def __init__(self, cfg):
        TrainerBase.__init__(self)
        if not logging.getLogger("detectron2").isEnabledFor(logging.INFO):
            setup_logger()
        cfg = self.auto_scale_workers(cfg, comm.get_world_size())
        model = self.build_model(cfg)
        self.log_model_size(cfg, model)
        if isinstance(model, DistillationRCNN):
            model.load_teacher()
            self.log_model_size(cfg, model.teacher, "Teacher")
        optimizer = self.build_optimizer(cfg, model)
        data_loader = self.build_train_loader(cfg)
        model = create_ddp_model(model, **ddp_kwargs(cfg))
        self._trainer = (ResumableAMPTrainer if cfg.SOLVER.AMP.ENABLED else SimpleTrainer)(model, data_loader,
                                                                                           optimizer)
        self.scheduler = self.build_lr_scheduler(cfg, optimizer)
        self.checkpointer = AtomicCheckpointer(model, cfg.OUTPUT_DIR, trainer=weakref.proxy(self))
        self.start_iter = 0
        self.max_iter = cfg.SOLVER.MAX_ITER
        self.cfg = cfg
        self.register_hooks(BatchNormBufferSync.hooks_for(model) + self.build_hooks())

    def build_hooks(self):
        return with_log_period(super().build_hooks(), self.cfg.SOLVER.LOG_PERIOD)

    def resume_or_load(self, resume=True):
        """Detectron2's resume from OUTPUT_DIR (or load of MODEL.WEIGHTS, not strict), then, for a
        SimKD student, the teacher's heads copied again: a weights file cannot replace them."""
        super().resume_or_load(resume)
        model = self.model.module if hasattr(self.model, "module") else self.model
        if isinstance(model, DistillationRCNN):
            model.load_teacher()

    @classmethod
    def auto_scale_workers(cls, cfg, num_workers):
        """Detectron2's scaling of batch size, learning rate and schedule from
        SOLVER.REFERENCE_WORLD_SIZE to `num_workers` processes, applied to the KD schedule
        (MODEL.DISTILL.START_ITER, STOP_ITER, WARMUP_ITERS) as to SOLVER.MAX_ITER."""
        scaled = DefaultTrainer.auto_scale_workers(cfg, num_workers)
        if scaled is cfg or "DISTILL" not in cfg.MODEL:
            return scaled
        scale = num_workers / cfg.SOLVER.REFERENCE_WORLD_SIZE
        frozen = scaled.is_frozen()
        scaled.defrost()
        d = scaled.MODEL.DISTILL
        d.START_ITER = int(round(d.START_ITER / scale))
        d.WARMUP_ITERS = int(round(d.WARMUP_ITERS / scale))
        if d.STOP_ITER >= 0:
            d.STOP_ITER = int(round(d.STOP_ITER / scale))
        if frozen:
            scaled.freeze()
        return scaled

    @classmethod
    def build_optimizer(cls, cfg, model):
        return build_solver_optimizer(cfg, model)

    @staticmethod
    def log_model_size(cfg, model, what="Model"):
        """Log the model's parameter count and FLOPs (at MODEL.FLOPS_INPUT_SIZE)."""
        if comm.is_main_process():
            logger.info(f"{what} size: {describe_model(model, tuple(cfg.MODEL.FLOPS_INPUT_SIZE))}")

    @classmethod
    def build_train_loader(cls, cfg):
        """Pages of every DATASETS.TRAIN set (labelled, pseudo-labelled, unlabelled), drawn by
        DATASETS.TRAIN_RATIOS."""
        live_teacher = (cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN"
                        and cfg.MODEL.DISTILL.SUPERVISION != "supervised_only")
        records, sampler = training_pages_and_sampler(cfg, live_teacher)
        return build_detection_train_loader(
            records, mapper=DocumentDatasetMapper(cfg, is_train=True), sampler=sampler,
            total_batch_size=cfg.SOLVER.IMS_PER_BATCH, aspect_ratio_grouping=cfg.DATALOADER.ASPECT_RATIO_GROUPING,
            num_workers=cfg.DATALOADER.NUM_WORKERS)

    @classmethod
    def build_test_loader(cls, cfg, dataset_name):
        return build_detection_test_loader(cfg, dataset_name, mapper=DocumentDatasetMapper(cfg, is_train=False))

    @classmethod
    def build_evaluator(cls, cfg, dataset_name, output_folder=None):
        output_folder = output_folder or os.path.join(cfg.OUTPUT_DIR, "inference", dataset_name)
        return COCOEvaluator(dataset_name, tasks=tuple(cfg.TEST.EVAL_TASKS), output_dir=output_folder)

    @classmethod
    def test(cls, cfg, model, evaluators=None):
        results = super().test(cfg, model, evaluators)
        write_eval_results(cfg.OUTPUT_DIR, results, _completed_iterations(cfg.SOLVER.MAX_ITER))
        return results


def _completed_iterations(max_iter):
    """Training iterations done when an evaluation runs: a periodic evaluation runs after the step
    of 0-based iteration `storage.iter`; the final one after training, when it equals MAX_ITER."""
    try:
        iteration = get_event_storage().iter
    except AssertionError:  # evaluation outside training (--eval-only)
        return None
    return iteration if iteration >= max_iter else iteration + 1
