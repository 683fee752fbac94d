"""The DIC trainer: Detectron2's DefaultTrainer loop (hooks, periodic evaluation, TensorBoard,
metrics.json, ETA) around a student, its distillation method and a frozen teacher."""
import json
import logging
import os
import time
import weakref
from collections import OrderedDict

import torch
from detectron2.engine import DefaultTrainer, SimpleTrainer, TrainerBase
from detectron2.engine.defaults import create_ddp_model
from detectron2.evaluation import inference_on_dataset
from detectron2.utils import comm
from detectron2.utils.events import get_event_storage

from ..checkpoint import AtomicCheckpointer, load_weights_strictly
from ..engine.optimizer import build_solver_optimizer
from ..engine.trainer import BatchNormBufferSync, ddp_kwargs, with_log_period, write_eval_results
from .catalog import classification_metadata, get_classification_dataset
from .distiller import DeployedClassifier, build_dic_model, current_iteration
from .evaluator import ClassificationEvaluator
from .loader import build_test_loader, build_train_loader
from .profile import model_info
from .teacher_cache import check_cacheable, load_or_compute_teacher_cache

logger = logging.getLogger("distildoc_d2")


def training_records(cfg):
    """The records of all DATASETS.TRAIN sets, concatenated."""
    records = []
    for name in cfg.DATASETS.TRAIN:
        records.extend(get_classification_dataset(name))
    return records


class DICStepTrainer(SimpleTrainer):
    """One optimisation step per batch, with optional mixed precision (float16 and a gradient
    scaler on CUDA, bfloat16 on CPU), and the count of skipped unreadable pages logged."""

    def __init__(self, model, data_loader, optimizer, amp=False, device_type="cpu"):
        super().__init__(model, data_loader, optimizer)
        self.amp = amp
        self.device_type = device_type
        self.amp_dtype = torch.float16 if device_type == "cuda" else torch.bfloat16
        self.grad_scaler = torch.amp.GradScaler(device_type, enabled=amp and device_type == "cuda")

    def run_step(self):
        assert self.model.training, "[DICStepTrainer] model was changed to eval mode!"
        start = time.perf_counter()
        data = next(self._data_loader_iter)
        data_time = time.perf_counter() - start
        with torch.autocast(self.device_type, dtype=self.amp_dtype, enabled=self.amp):
            loss_dict = self.model(data)
        losses = sum(loss_dict.values())
        self.optimizer.zero_grad()
        self.grad_scaler.scale(losses).backward()
        self.after_backward()
        self._write_metrics(loss_dict, data_time)
        skipped = getattr(self.data_loader, "skipped", ())
        if skipped:
            get_event_storage().put_scalar("skipped_images", len(skipped), smoothing_hint=False)
        self.grad_scaler.step(self.optimizer)
        self.grad_scaler.update()

    def state_dict(self):
        result = super().state_dict()
        result["grad_scaler"] = self.grad_scaler.state_dict()
        return result

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        if "grad_scaler" in state_dict:
            self.grad_scaler.load_state_dict(state_dict["grad_scaler"])


class DICTrainer(DefaultTrainer):
    """Trains a document image classifier (DISTILL_DIC.METHOD) and evaluates it on DATASETS.TEST."""

    def __init__(self, cfg):
        TrainerBase.__init__(self)
        cfg = self.auto_scale_workers(cfg, comm.get_world_size())
        model = build_dic_model(cfg)
        self.write_model_info(cfg, model)
        optimizer = self.build_optimizer(cfg, model)
        records = training_records(cfg)
        if cfg.DISTILL_DIC.TEACHER.CACHE and model.method.teacher_outputs:
            check_cacheable(cfg, model.method.teacher_outputs)
            model.teacher_cache = load_or_compute_teacher_cache(
                cfg, model.teacher, records, model.method.teacher_outputs,
                os.path.join(cfg.OUTPUT_DIR, "teacher_cache.pth"))
        data_loader = build_train_loader(cfg, records)
        model = create_ddp_model(model, **ddp_kwargs(cfg))
        device_type = torch.device(cfg.MODEL.DEVICE).type
        self._trainer = DICStepTrainer(model, data_loader, optimizer, cfg.SOLVER.AMP.ENABLED, device_type)
        self.scheduler = self.build_lr_scheduler(cfg, optimizer)
        self.checkpointer = AtomicCheckpointer(model, cfg.OUTPUT_DIR, trainer=weakref.proxy(self))
        self.start_iter = 0
        self.max_iter = cfg.SOLVER.MAX_ITER
        self.cfg = cfg
        self.register_hooks(BatchNormBufferSync.hooks_for(model) + self.build_hooks())

    def build_hooks(self):
        return with_log_period(super().build_hooks(), self.cfg.SOLVER.LOG_PERIOD)

    @classmethod
    def auto_scale_workers(cls, cfg, num_workers):
        """Detectron2's scaling of batch size, learning rate and schedule from
        SOLVER.REFERENCE_WORLD_SIZE to `num_workers` processes, applied to DKD's warm-up too."""
        scaled = DefaultTrainer.auto_scale_workers(cfg, num_workers)
        if scaled is cfg:
            return scaled
        frozen = scaled.is_frozen()
        scaled.defrost()
        dkd = scaled.DISTILL_DIC.DKD
        dkd.WARMUP_ITERS = int(round(dkd.WARMUP_ITERS * cfg.SOLVER.REFERENCE_WORLD_SIZE / num_workers))
        if frozen:
            scaled.freeze()
        return scaled

    def train(self):
        """Run the training loop; returns the results of its last evaluation ({} on other processes)."""
        super().train()
        return getattr(self, "_last_eval_results", {})

    def resume_or_load(self, resume=True):
        """Resume from OUTPUT_DIR/last_checkpoint (model, optimizer, scheduler, iteration) when
        asked and present; otherwise load MODEL.WEIGHTS strictly, if given."""
        if resume and self.checkpointer.has_checkpoint():
            self.checkpointer.resume_or_load("", resume=True)
            self.start_iter = self.iter + 1
        elif self.cfg.MODEL.WEIGHTS:
            load_weights_strictly(self.checkpointer.model, self.cfg.MODEL.WEIGHTS)

    @staticmethod
    def write_model_info(cfg, model):
        """Log and write OUTPUT_DIR/model_info.json: size and cost of the deployed student."""
        if not comm.is_main_process():
            return
        info = model_info(DeployedClassifier(model), cfg.DIC.INPUT_SIZE, model.teacher)
        info.update(arch=cfg.MODEL.CLASSIFIER.ARCH, method=cfg.DISTILL_DIC.METHOD)
        teacher = f", teacher {info['teacher_params_m']:.2f}M parameters (frozen)" if model.teacher is not None else ""
        logger.info(f"Model size: {info['params_m']:.2f}M parameters, {info['gflops']:.2f} GFLOPs at "
                    f"{info['input_size'][0]}x{info['input_size'][1]}{teacher}")
        os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
        with open(os.path.join(cfg.OUTPUT_DIR, "model_info.json"), "w") as f:
            json.dump(info, f, indent=1)

    @classmethod
    def build_model(cls, cfg):
        return build_dic_model(cfg, with_teacher=False)

    @classmethod
    def build_optimizer(cls, cfg, model):
        return build_solver_optimizer(cfg, model)

    @classmethod
    def build_train_loader(cls, cfg):
        return build_train_loader(cfg, training_records(cfg))

    @classmethod
    def test(cls, cfg, model, evaluators=None):
        """Evaluate on every DATASETS.TEST set; results appended to OUTPUT_DIR/eval_results.json,
        figures and the confusion matrix written to OUTPUT_DIR/inference/<set>/."""
        results = OrderedDict()
        for name in cfg.DATASETS.TEST:
            batches = build_test_loader(cfg, get_classification_dataset(name))
            evaluator = ClassificationEvaluator(
                name, classification_metadata(name)["class_names"],
                os.path.join(cfg.OUTPUT_DIR, "inference", name), cfg.DIC.ECE_BINS, batches)
            results[name] = inference_on_dataset(model, batches, evaluator)
            if comm.is_main_process() and results[name]:
                logger.info(f"Evaluation on {name}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[name].items()))
        write_eval_results(cfg.OUTPUT_DIR, results, current_iteration())
        return results
