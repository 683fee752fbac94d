"""The paper's comparison on one data set: a teacher, the student without KD and the student
with each KD method, same seed and schedule; one table of accuracy, size and speed."""
import json
import logging
import os
import statistics
import subprocess
import sys

import torch
from detectron2.data import DatasetCatalog, DatasetMapper
from detectron2.modeling import build_model
from tabulate import tabulate
from tqdm import tqdm

from ..checkpoint import load_weights_strictly
from ..config import load_config
from ..data.specs import register_dataset_specs
from ..errors import DistilDocError
from ..evaluation.model_size import count_gflops, count_parameters
from ..evaluation.results_table import load_eval_history, results_by_dataset
from ..evaluation.speed import images_per_second

logger = logging.getLogger("distildoc_d2")
TRAIN_NET = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools", "train_net.py")


def plan_runs(teacher_config, kd_configs, output_dir, teacher_weights="", teacher_opts=()):
    """The runs of a comparison: (name, config file, extra overrides, eval_only) in order.
    `teacher_opts` are overrides for the teacher's run alone (a longer schedule, say)."""
    runs = []
    if teacher_weights:
        runs.append(("teacher", teacher_config, list(teacher_opts) + ["MODEL.WEIGHTS", teacher_weights], True))
    else:
        runs.append(("teacher", teacher_config, list(teacher_opts), False))
        teacher_weights = os.path.join(output_dir, "teacher", "model_final.pth")
    runs.append(("student (no KD)", kd_configs[0], ["MODEL.META_ARCHITECTURE", "GeneralizedRCNN"], False))
    for path in kd_configs:
        name = os.path.splitext(os.path.basename(path))[0]
        overrides = ["MODEL.DISTILL.TEACHER_CONFIG", teacher_config, "MODEL.DISTILL.TEACHER_WEIGHTS", teacher_weights]
        runs.append((name, path, overrides, False))
    return runs


def run_folder(output_dir, name):
    """The output folder of one run of a comparison."""
    return os.path.join(output_dir, name.replace(" ", "_").replace("(", "").replace(")", ""))


def execute_run(name, config, overrides, eval_only, common, output_dir):
    """Train (or evaluate) one run through tools/train_net.py unless it already finished; a
    training run that was interrupted resumes from its last checkpoint."""
    folder = run_folder(output_dir, name)
    finished = os.path.isfile(os.path.join(folder, "eval_results.json"))
    if not eval_only:  # an evaluation during training (TEST.EVAL_PERIOD) is not the end of it
        finished = finished and os.path.isfile(os.path.join(folder, "model_final.pth"))
    if finished:
        logger.info(f"{name}: finished earlier in {folder}, reused")
        return folder
    resume = not eval_only and os.path.isfile(os.path.join(folder, "last_checkpoint"))
    command = [sys.executable, TRAIN_NET, "--config-file", config] + (["--eval-only"] if eval_only else [])
    command += (["--resume"] if resume else []) + list(common) + list(overrides) + ["OUTPUT_DIR", folder]
    if resume:
        logger.info(f"{name}: interrupted earlier, resumes from its last checkpoint in {folder}")
    logger.info(f"{name}: {' '.join(command)}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "stdout.txt"), "a" if resume else "w") as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise DistilDocError(f"run '{name}' failed (exit code {code}); its output is in {folder}/stdout.txt")
    return folder


def _deployed_model(folder):
    cfg = load_config(os.path.join(folder, "config.yaml"))
    weights = os.path.join(folder, "model_final.pth")
    if not os.path.isfile(weights):
        weights = cfg.MODEL.WEIGHTS
    model = build_model(cfg)
    load_weights_strictly(model, weights)
    return cfg, model.eval()


def measure_run(folder, num_images=8):
    """Parameters of the deployed model (KD-only modules excluded), GFLOPs and images/s on the
    first `num_images` test pages."""
    cfg, model = _deployed_model(folder)
    register_dataset_specs(cfg)
    params = count_parameters(model) - sum(p.numel() for n, p in model.named_parameters() if n.startswith("distillers."))
    mapper = DatasetMapper(cfg, is_train=False)
    dicts = DatasetCatalog.get(cfg.DATASETS.TEST[0])[:num_images]
    images = [mapper(dict(d))["image"].float().to(model.device) for d in dicts]
    height, width = images[0].shape[1:]
    return {
        "params_M": params / 1e6,
        "gflops": count_gflops(model, height, width),
        "images_per_s": images_per_second(model, images),
        "input_size": f"{height}x{width}",
    }


def _first_test_set(results):
    return next(iter(results_by_dataset(results).values()))


def _metrics(folder):
    """The records of a run's metrics.json ([] for a run that did not train). Iterations rise
    within one attempt; Detectron2 appends when a run resumes from a checkpoint, so a record
    that does not rise replaces the interrupted attempt's records from its iteration on."""
    path = os.path.join(folder, "metrics.json")
    if not os.path.isfile(path):
        return []
    records = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            iteration = record.get("iteration")
            while iteration is not None and records and records[-1].get("iteration", -1) >= iteration:
                records.pop()
            records.append(record)
    return records


def seconds_per_iteration(folder):
    """Median training seconds per iteration of a run (Detectron2's step time in metrics.json,
    evaluations excluded), or None for a run that did not train."""
    times = [record["time"] for record in _metrics(folder) if "time" in record]
    return statistics.median(times) if times else None


def summarise(name, folder, measured):
    """A comparison row of a finished run: its last evaluation on its first test set
    (DATASETS.TEST[0]), its bbox mAP at every evaluation during training and its s/iteration."""
    history = load_eval_history(folder)
    last = _first_test_set(history[-1]["results"])
    bbox, segm = last.get("bbox", {}), last.get("segm", {})
    row = {"run": name, "bbox_mAP": bbox.get("AP"), "bbox_AP50": bbox.get("AP50"), "segm_mAP": segm.get("AP")}
    row.update(measured)
    row["s_per_iter"] = seconds_per_iteration(folder)
    row["per_class_AP"] = {k[3:]: v for k, v in bbox.items() if k.startswith("AP-")}
    row["bbox_mAP_curve"] = [[entry["iteration"], _first_test_set(entry["results"]).get("bbox", {}).get("AP")]
                             for entry in history if entry["iteration"] is not None]
    return row


def add_teacher_ratios(rows):
    """Each row's bbox mAP and images/s as a fraction of the teacher's row (None without one)."""
    teacher = next((r for r in rows if r["run"] == "teacher"), {})
    for row in rows:
        for key in ("bbox_mAP", "images_per_s"):
            ref, value = teacher.get(key), row.get(key)
            row[f"{key}_vs_teacher"] = value / ref if ref and value is not None else None


def format_table(rows):
    """Markdown tables of a comparison's rows (AP in %, params in M, speed in images/s, mAP and
    speed as fractions of the teacher's, training seconds per iteration), bbox AP per class and,
    where runs were evaluated during training, each run's bbox mAP curve."""

    def fmt(v, digits=1):
        return "-" if v is None else f"{v:.{digits}f}"

    body = [
        [r["run"], fmt(r["bbox_mAP"]), fmt(r["bbox_AP50"]), fmt(r["segm_mAP"]), fmt(r["params_M"], 2),
         fmt(r["gflops"]), fmt(r["images_per_s"], 2), fmt(r.get("bbox_mAP_vs_teacher"), 2),
         fmt(r.get("images_per_s_vs_teacher"), 2), fmt(r.get("s_per_iter"), 2)]
        for r in rows
    ]
    headers = ["run", "bbox mAP", "AP50", "segm mAP", "params (M)", "GFLOPs", "images/s", "mAP x teacher",
               "images/s x teacher", "training s/it"]
    table = tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)
    classes = list(dict.fromkeys(c for r in rows for c in r["per_class_AP"]))  # runs without detections have none
    per_class = [[r["run"]] + [fmt(r["per_class_AP"].get(c)) for c in classes] for r in rows]
    table += "\n\nbbox AP per class:\n\n" + tabulate(per_class, headers=["run"] + classes, tablefmt="github",
                                                      disable_numparse=True)
    curves = {r["run"]: dict(r.get("bbox_mAP_curve", ())) for r in rows}
    iterations = sorted({i for curve in curves.values() for i in curve})
    if len(iterations) > 1:
        body = [[run] + [fmt(curve.get(i)) for i in iterations] for run, curve in curves.items() if curve]
        table += "\n\nbbox mAP after N training iterations (TEST.EVAL_PERIOD):\n\n" + tabulate(
            body, headers=["run"] + [str(i) for i in iterations], tablefmt="github", disable_numparse=True)
    return table


def plot_loss_curves(runs_and_folders, path):
    """One PNG: total loss of every trained run, and each KD term, against the iteration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_total, ax_kd) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, folder in runs_and_folders:
        records = [r for r in _metrics(folder) if "total_loss" in r]
        if not records:
            continue
        iterations = [r["iteration"] for r in records]
        ax_total.plot(iterations, [r["total_loss"] for r in records], label=name)
        for key in sorted({k for r in records for k in r if k.startswith("loss_kd")}):
            ax_kd.plot(iterations, [r.get(key, float("nan")) for r in records], label=f"{name}: {key[8:]}")
    ax_total.set(title="total loss (running median)", xlabel="iteration")
    ax_kd.set(title="KD loss terms (weighted)", xlabel="iteration")
    ax_total.legend(fontsize=7)
    if ax_kd.lines:
        ax_kd.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_comparison(teacher_config, kd_configs, output_dir, common=(), teacher_weights="", speed_images=8,
                   teacher_opts=()):
    """Run (or reuse) every run of the comparison, then write comparison.{json,md} and
    loss_curves.png to `output_dir`; returns the Markdown table. `common` overrides go to every
    run, `teacher_opts` to the teacher's run alone, after `common`."""
    if not kd_configs:
        raise DistilDocError("name at least one KD config (--configs)")
    os.makedirs(output_dir, exist_ok=True)
    rows, folders = [], []
    runs = plan_runs(teacher_config, kd_configs, output_dir, teacher_weights, teacher_opts)
    for name, config, overrides, eval_only in tqdm(runs, desc="comparison runs", unit="run"):
        folder = execute_run(name, config, overrides, eval_only, common, output_dir)
        folders.append((name, folder))
    torch.set_grad_enabled(False)
    for name, folder in tqdm(folders, desc="measuring size and speed", unit="model"):
        rows.append(summarise(name, folder, measure_run(folder, speed_images)))
    add_teacher_ratios(rows)
    table = format_table(rows)
    with open(os.path.join(output_dir, "comparison.json"), "w") as f:
        json.dump(rows, f, indent=2)
    with open(os.path.join(output_dir, "comparison.md"), "w") as f:
        f.write(table + "\n")
    plot_loss_curves(folders, os.path.join(output_dir, "loss_curves.png"))
    return table
