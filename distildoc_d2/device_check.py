"""The device check behind tools/gpu_check.py: everything that only a GPU exercises (AMP
training, resume, every layout KD method, two processes, DIC with AMP, export and prediction on
the device, KD throughput at DocLayNet's size), as named checks that each pass, fail or skip with
their figures, on generated pages."""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import traceback

import torch

KD_METHODS = ("feature_mse", "simkd", "reviewkd", "roi_kd")
CHECKS = ("data", "teacher", "resume") + tuple(f"kd-{m}" for m in KD_METHODS) + (
    "two-process", "dic", "export", "predict", "throughput")
# Overrides that make a Mask R-CNN step take about a second on 2 CPU cores (--quick).
TINY_LAYOUT = ["INPUT.MIN_SIZE_TRAIN", "(160,)", "INPUT.MAX_SIZE_TRAIN", "224", "INPUT.MIN_SIZE_TEST", "160",
               "INPUT.MAX_SIZE_TEST", "224", "MODEL.RPN.POST_NMS_TOPK_TRAIN", "200",
               "MODEL.RPN.POST_NMS_TOPK_TEST", "100", "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "64"]
TINY_DIC = ["DIC.INPUT_SIZE", "(32, 24)", "SOLVER.IMS_PER_BATCH", "8", "DIC.TEST_BATCH_SIZE", "16"]
# iterations and sizes per mode
MODES = {
    "full": {"teacher_iters": 40, "kd_iters": 30, "resume_iters": 10, "dic_iters": 30, "workers": 2,
             "rounds": 5, "throughput_batch": 4, "layout": [], "dic": []},
    "quick": {"teacher_iters": 2, "kd_iters": 1, "resume_iters": 1, "dic_iters": 2, "workers": 0,
              "rounds": 1, "throughput_batch": 2, "layout": TINY_LAYOUT, "dic": TINY_DIC},
}


class CheckFailed(Exception):
    """A check found a fault; the message says which."""


class Skipped(Exception):
    """A check could not run here (its message says why); not a fault."""


def run_checks(checks, selected=None):
    """Run `checks` ((name, function returning a figures string) pairs) in order; a function that
    raises fails its check, Skipped skips it. Returns one result dict per check in `selected`."""
    results = []
    for name, function in checks:
        if selected is not None and name not in selected:
            continue
        start = time.perf_counter()
        try:
            status, figures = "PASS", function()
        except Skipped as err:
            status, figures = "SKIP", str(err)
        except CheckFailed as err:
            status, figures = "FAIL", str(err)
        except Exception as err:  # any fault is a failed check; the rest still runs
            traceback.print_exc()
            status, figures = "FAIL", f"{type(err).__name__}: {err}".splitlines()[0]
        results.append({"check": name, "status": status, "figures": figures,
                        "seconds": round(time.perf_counter() - start, 1)})
        print(f"[gpu_check] {name}: {status} {figures}", flush=True)
    return results


def format_table(results, header=""):
    """The results as a Markdown table, after an optional header line."""
    lines = [header, ""] if header else []
    lines += ["| check | result | figures | seconds |", "|---|---|---|---|"]
    for r in results:
        figures = str(r["figures"]).replace("|", "/").replace("\n", " ")
        lines.append(f"| {r['check']} | {r['status']} | {figures} | {r['seconds']} |")
    failed = [r["check"] for r in results if r["status"] == "FAIL"]
    lines += ["", f"FAILED: {', '.join(failed)}" if failed else f"all {len(results)} checks passed or skipped"]
    return "\n".join(lines) + "\n"


def exit_code(results):
    """0 when no check failed (and at least one ran), else 1."""
    return 0 if results and all(r["status"] != "FAIL" for r in results) else 1


def _finite_losses(output_dir):
    """{loss name: last value} from a run's metrics.json; CheckFailed when a loss is not finite."""
    with open(os.path.join(output_dir, "metrics.json")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    losses = {}
    for record in records:
        losses.update({k: v for k, v in record.items() if k.startswith("loss") or k == "total_loss"})
        bad = [k for k, v in record.items() if (k.startswith("loss") or k == "total_loss") and not math.isfinite(v)]
        if bad:
            raise CheckFailed(f"non-finite {', '.join(bad)} at iteration {record.get('iteration')}")
    if "total_loss" not in losses:
        raise CheckFailed(f"no loss logged in {output_dir}/metrics.json")
    return losses


def _last_eval(output_dir, key):
    """`key` of the last evaluation of a run, formatted ("n/a" when the metric is undefined, as
    COCO AP is for a model that kept no detection); CheckFailed when no evaluation was written."""
    path = os.path.join(output_dir, "eval_results.json")
    if not os.path.isfile(path):
        raise CheckFailed(f"no evaluation: {path} is missing")
    with open(path) as f:
        results = json.load(f)[-1]["results"]
    found = [v for v in results.values() if isinstance(v, dict) and key in v]
    if not found:
        raise CheckFailed(f"evaluation in {path} has no {key}")
    value = found[0][key]
    return "n/a" if value is None else f"{value:.3f}"


class DeviceCheck:
    """The checks of one run of tools/gpu_check.py: on `device`, in `mode` ("full" or "quick"),
    writing under `output`, with the configs and tools of the repository at `repo`."""

    def __init__(self, device, mode, output, repo):
        self.device, self.repo = device, repo
        self.cuda = device.startswith("cuda")
        self.mode = MODES[mode]
        self.output = os.path.abspath(output)
        self.datasets = os.path.join(self.output, "datasets")
        self.state = {}

    def layout_opts(self, output_dir, iters, amp=True):
        return [*self.mode["layout"], "MODEL.DEVICE", self.device, "SOLVER.AMP.ENABLED", str(amp and self.cuda),
                "SOLVER.MAX_ITER", str(iters), "SOLVER.STEPS", "()", "SOLVER.WARMUP_ITERS", "0",
                "SOLVER.CHECKPOINT_PERIOD", "1000000", "SOLVER.LOG_PERIOD", "1", "TEST.EVAL_PERIOD", "0",
                "MODEL.FLOPS_INPUT_SIZE", "()", "DATALOADER.NUM_WORKERS", str(self.mode["workers"]),
                "OUTPUT_DIR", output_dir]

    def checks(self):
        checks = [("data", self.data), ("teacher", self.teacher), ("resume", self.resume)]
        checks += [(f"kd-{m}", lambda m=m: self.kd(m)) for m in KD_METHODS]
        checks += [("two-process", self.two_process), ("dic", self.dic), ("export", self.export),
                   ("predict", self.predict), ("throughput", self.throughput)]
        return checks

    def _needs(self, key, check):
        if key not in self.state:
            raise Skipped(f"needs the {check} check, which did not pass")
        return self.state[key]

    def data(self):
        from distildoc_d2.classification import register_builtin_classification_datasets
        from distildoc_d2.data import register_builtin_datasets
        from distildoc_d2.data.synthetic import generate_demo_data

        paths = generate_demo_data(os.path.join(self.datasets, "demo"), seed=0, small=True, progress=False)
        os.environ["DISTILDOC_DATASETS"] = self.datasets
        register_builtin_datasets(self.datasets)
        register_builtin_classification_datasets(self.datasets)
        self.state["pdf"] = paths["pdfs"][0]
        return f"small demo set in {self.datasets}"

    def _train_layout(self, config, opts, resume=False):
        from distildoc_d2 import load_config
        from distildoc_d2.engine.trainer import LayoutTrainer

        cfg = load_config(os.path.join(self.repo, config), opts)
        os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
        with open(os.path.join(cfg.OUTPUT_DIR, "config.yaml"), "w") as f:  # a run folder, as train_net.py writes it
            f.write(cfg.dump())
        trainer = LayoutTrainer(cfg)
        trainer.resume_or_load(resume=resume)
        start = time.perf_counter()
        trainer.train()
        per_iter = (time.perf_counter() - start) / max(1, cfg.SOLVER.MAX_ITER - trainer.start_iter)
        return trainer, per_iter

    def teacher(self):
        self._needs("pdf", "data")
        out = os.path.join(self.output, "layout", "teacher_R50_FPN")
        shutil.rmtree(out, ignore_errors=True)
        iters = self.mode["teacher_iters"]
        trainer, per_iter = self._train_layout("configs/demo/teacher_R50_FPN.yaml", self.layout_opts(out, iters))
        amp = type(trainer._trainer).__name__
        del trainer
        losses = _finite_losses(out)
        ap = _last_eval(out, "AP")
        self.state["teacher"] = os.path.join(out, "model_final.pth")
        self.state["teacher_loss_names"] = set(losses)
        return f"{iters} it ({amp}), {per_iter:.3f} s/it incl. evaluation, total_loss {losses['total_loss']:.3f}, " \
               f"bbox AP {ap}"

    def resume(self):
        teacher = self._needs("teacher", "teacher")
        out = os.path.join(self.output, "layout", "teacher_resumed")
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(os.path.dirname(teacher), out)
        iters = self.mode["teacher_iters"] + self.mode["resume_iters"]
        trainer, _ = self._train_layout("configs/demo/teacher_R50_FPN.yaml", self.layout_opts(out, iters), resume=True)
        start = trainer.start_iter
        del trainer
        if start != self.mode["teacher_iters"]:
            raise CheckFailed(f"resumed at iteration {start}, expected {self.mode['teacher_iters']}")
        losses = _finite_losses(out)
        return f"resumed at iteration {start}, ran to {iters}, total_loss {losses['total_loss']:.3f}"

    def kd(self, method):
        teacher = self._needs("teacher", "teacher")
        out = os.path.join(self.output, "layout", f"{method}_R50_to_R18")
        shutil.rmtree(out, ignore_errors=True)
        opts = self.layout_opts(out, self.mode["kd_iters"]) + ["MODEL.DISTILL.TEACHER_WEIGHTS", teacher]
        trainer, per_iter = self._train_layout(f"configs/demo/{method}_R50_to_R18.yaml", opts)
        model = trainer.model.module if hasattr(trainer.model, "module") else trainer.model
        saved = torch.load(teacher, map_location="cpu", weights_only=False)["model"]
        changed = [k for k, v in model.teacher.state_dict().items()
                   if not torch.equal(v.detach().cpu(), torch.as_tensor(saved[k]))]
        del trainer, model
        if changed:
            raise CheckFailed(f"the teacher changed during training: {', '.join(changed[:5])}")
        losses = _finite_losses(out)
        kd_terms = sorted(set(losses) - self.state["teacher_loss_names"])
        if not kd_terms:
            raise CheckFailed(f"no KD loss logged (losses: {', '.join(sorted(losses))})")
        ap = _last_eval(out, "AP")
        self.state.setdefault("kd_runs", {})[method] = out
        return f"{per_iter:.3f} s/it incl. evaluation, {', '.join(kd_terms)} finite, teacher unchanged, bbox AP {ap}"

    def two_process(self):
        teacher = self._needs("teacher", "teacher")
        out = os.path.join(self.output, "layout", "two_process_cpu")
        shutil.rmtree(out, ignore_errors=True)
        opts = [*TINY_LAYOUT, "MODEL.DEVICE", "cpu", "SOLVER.MAX_ITER", "2", "SOLVER.IMS_PER_BATCH", "2",
                "SOLVER.WARMUP_ITERS", "0", "MODEL.FLOPS_INPUT_SIZE", "()", "DATALOADER.NUM_WORKERS", "0",
                "DATASETS.TEST", "()", "MODEL.DISTILL.TEACHER_WEIGHTS", teacher, "OUTPUT_DIR", out]
        command = [sys.executable, os.path.join(self.repo, "tools", "train_net.py"), "--config-file",
                   os.path.join(self.repo, "configs/demo/feature_mse_R50_to_R18.yaml"), "--num-gpus", "2", *opts]
        start = time.perf_counter()
        result = subprocess.run(command, cwd=self.repo, capture_output=True, text=True, timeout=600)
        log = result.stdout + result.stderr
        if result.returncode != 0 or "World size: 2" not in log:
            raise CheckFailed(f"exit code {result.returncode}: {log.strip().splitlines()[-1] if log.strip() else ''}")
        _finite_losses(out)
        return f"gloo, 2 processes, 2 iterations in {time.perf_counter() - start:.0f} s (CUDA visible: " \
               f"{torch.cuda.is_available()})"

    def _train_dic(self, config, out, extra):
        from distildoc_d2.classification.run import dic_config
        from distildoc_d2.classification.trainer import DICTrainer

        opts = [*self.mode["dic"], "MODEL.DEVICE", self.device, "SOLVER.AMP.ENABLED", "True",
                "SOLVER.MAX_ITER", str(self.mode["dic_iters"]), "SOLVER.WARMUP_ITERS", "0",
                "SOLVER.CHECKPOINT_PERIOD", "1000000", "SOLVER.LOG_PERIOD", "1",
                "DATALOADER.NUM_WORKERS", str(self.mode["workers"]), "OUTPUT_DIR", out, *extra]
        args = argparse.Namespace(config_file=os.path.join(self.repo, config), opts=opts, eval_only=False, num_gpus=1,
                                  num_machines=1)
        cfg = dic_config(args)
        os.makedirs(out, exist_ok=True)
        trainer = DICTrainer(cfg)
        trainer.resume_or_load(resume=False)
        trainer.train()
        return trainer

    def dic(self):
        self._needs("pdf", "data")
        root = os.path.join(self.output, "dic")
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        teacher_dir, student_dir = os.path.join(root, "teacher_resnet18"), os.path.join(root, "kd")
        # the teacher's own config must give the student's page size
        teacher_config = os.path.join(root, "teacher_resnet18.yaml")
        with open(teacher_config, "w") as f:
            f.write(f'_BASE_: "{self.repo}/configs/dic/demo/teacher_resnet18.yaml"\n')
            size = dict(zip(self.mode["dic"][::2], self.mode["dic"][1::2])).get("DIC.INPUT_SIZE")
            if size:
                f.write(f"DIC:\n  INPUT_SIZE: {size}\n")
        self._train_dic(teacher_config, teacher_dir, [])
        trainer = self._train_dic("configs/dic/demo/kd_resnet18_to_resnet10t.yaml", student_dir,
                                  ["DISTILL_DIC.TEACHER.CACHE", "True",
                                   "DISTILL_DIC.TEACHER.CONFIG_FILE", teacher_config,
                                   "DISTILL_DIC.TEACHER.WEIGHTS", os.path.join(teacher_dir, "model_final.pth")])
        step = trainer._trainer
        precision = f"{str(step.amp_dtype).replace('torch.', '')}, grad scaler {step.grad_scaler.is_enabled()}"
        del trainer, step
        if self.cuda and "float16, grad scaler True" not in precision:
            raise CheckFailed(f"AMP on CUDA should be float16 with a gradient scaler, got {precision}")
        if not os.path.isfile(os.path.join(student_dir, "teacher_cache.pth")):
            raise CheckFailed("the teacher-logit cache was not written")
        losses = _finite_losses(student_dir)
        accuracy = _last_eval(student_dir, "accuracy")
        return f"kd with teacher cache, AMP {precision}, total_loss {losses['total_loss']:.3f}, accuracy {accuracy}"

    def export(self):
        from distildoc_d2.export.compare import describe
        from distildoc_d2.export.exporter import export_model
        from distildoc_d2.export.run import load_run
        from distildoc_d2.inference.backends import onnx_runs_on

        run = self._needs("kd_runs", "kd-feature_mse").get("feature_mse")
        if run is None:
            raise Skipped("needs the kd-feature_mse check, which did not pass")
        out = os.path.join(self.output, "export")
        shutil.rmtree(out, ignore_errors=True)
        cfg, weights = load_run(run)
        metadata = export_model(cfg, weights, out, device=self.device)
        failed = [fmt for fmt, report in metadata["checks"].items() if not report["ok"]]
        for fmt, report in metadata["checks"].items():
            print(f"[gpu_check]   {fmt}: {describe(report)}")
        if failed:
            raise CheckFailed(f"{', '.join(failed)} do not match the eager model (see above and {out}/metadata.json)")
        self.state["export"] = out
        figures = [f"{fmt} on {r['candidate_device']} box {r['max_box_diff']:.1e} px score {r['max_score_diff']:.1e}"
                   for fmt, r in metadata["checks"].items()]
        if self.cuda and not onnx_runs_on(self.device):
            figures.append("onnx checked on cpu (no onnxruntime-gpu)")
        return "; ".join(figures)

    def predict(self):
        from distildoc_d2.inference import LayoutPredictor

        export = self._needs("export", "export")
        predictor = LayoutPredictor.from_export(export, backend="torchscript", device=self.device)
        start = time.perf_counter()
        pages = predictor.predict_pdf(self.state["pdf"], dpi=72)
        seconds = time.perf_counter() - start
        regions = sum(len(p["regions"]) for p in pages)
        if not pages:
            raise CheckFailed(f"no page predicted from {self.state['pdf']}")
        return f"torchscript on {self.device}: {len(pages)} PDF pages, {regions} regions, " \
               f"{seconds / len(pages):.3f} s/page"

    def throughput(self):
        from detectron2.data import DatasetCatalog
        from detectron2.modeling import build_model

        from distildoc_d2 import load_config
        from distildoc_d2.data.mapper import DocumentDatasetMapper
        from distildoc_d2.distillation.benchmark import benchmark_kd_iteration
        from distildoc_d2.distillation.teacher import teacher_config

        self._needs("pdf", "data")
        batch = self.mode["throughput_batch"]
        if self.mode["layout"]:  # quick: the demo pair at tiny sizes
            config, size = "configs/demo/feature_mse_R50_to_R18.yaml", self.mode["layout"]
        else:
            config, size = "configs/doclaynet/feature_mse_R101_to_R50.yaml", [
                "INPUT.MIN_SIZE_TRAIN", "(1025,)", "INPUT.MAX_SIZE_TRAIN", "1333"]
        out = os.path.join(self.output, "throughput")
        os.makedirs(out, exist_ok=True)
        random_teacher = os.path.join(out, "random_teacher.pth")
        opts = [*size, "MODEL.DEVICE", self.device, "SOLVER.AMP.ENABLED", str(self.cuda),
                "SOLVER.IMS_PER_BATCH", str(batch), "DATASETS.TRAIN", "('distildoc_demo_train',)",
                "DATASETS.TEST", "()", "MODEL.DISTILL.TEACHER_WEIGHTS", random_teacher]
        cfg = load_config(os.path.join(self.repo, config), opts)
        torch.save({"model": build_model(teacher_config(cfg)).state_dict()}, random_teacher)
        mapper = DocumentDatasetMapper(cfg, is_train=True)
        inputs = [mapper(dict(d)) for d in DatasetCatalog.get("distildoc_demo_train")[:batch]]
        results = benchmark_kd_iteration(cfg, inputs, rounds=self.mode["rounds"])
        kd = results["phases"]["KD training step"]
        student = results["phases"]["student training step"]
        height, width = inputs[0]["image"].shape[1:]
        memory = "GPU" if self.cuda else "process"
        return (f"{os.path.basename(config)}, {results['precision']}, batch {batch} at {height}x{width}: "
                f"KD {batch / kd['seconds']:.2f} pages/s (student alone {batch / student['seconds']:.2f}), "
                f"peak {memory} memory KD {kd['peak_mib']:.0f} MiB / student {student['peak_mib']:.0f} MiB; models "
                + ", ".join(f"{k} {v:.0f} MiB" for k, v in results["models"].items()))
