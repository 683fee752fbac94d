"""The paper's DIC comparison: a teacher, the supervised student and every KD method for one
teacher/student pair, with the same seed and schedule, in one Markdown table.

The runs are found by file name in one config folder: `teacher_<T>.yaml`,
`supervised_<S>.yaml` and `<method>_<T>_to_<S>.yaml`. Each run is a separate process of
`python -m distildoc_d2.classification.run`, writing to `<output>/<config name>/`; the KD runs
read the teacher trained first (its config.yaml and model_final.pth).
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import torch
from tabulate import tabulate

from ..checkpoint import load_weights_strictly
from ..config import load_config
from ..errors import ConfigError, DistilDocError
from .config import add_classification_config
from .distiller import DeployedClassifier, build_dic_model
from .profile import measure_throughput, model_info

# Order of the KD rows (the paper's, then the methods it did not have); others follow by name.
METHOD_ORDER = ("kd", "mse", "nkd", "simkd_mlp", "simkd_cnn", "fitnet", "dkd")
METRICS = (("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("ece", "ECE"), ("aurc", "AURC"),
           ("brier", "Brier"), ("nll", "NLL"))


def find_experiments(config_dir, teacher, student):
    """[(run name, config file)] of the comparison: teacher, supervised student, KD methods."""
    teacher_file = os.path.join(config_dir, f"teacher_{teacher}.yaml")
    student_file = os.path.join(config_dir, f"supervised_{student}.yaml")
    for path in (teacher_file, student_file):
        if not os.path.isfile(path):
            raise ConfigError(f"comparison config {path} does not exist")
    suffix = f"_{teacher}_to_{student}.yaml"
    methods = {os.path.basename(p)[: -len(suffix)]: p for p in glob.glob(os.path.join(config_dir, f"*{suffix}"))}
    if not methods:
        raise ConfigError(f"no KD config <method>{suffix} in {config_dir}")
    ordered = [m for m in METHOD_ORDER if m in methods] + sorted(m for m in methods if m not in METHOD_ORDER)
    runs = [(f"teacher_{teacher}", teacher_file), (f"supervised_{student}", student_file)]
    return runs + [(f"{m}_{teacher}_to_{student}", methods[m]) for m in ordered]


def run_training(config_file, output_dir, opts=(), num_gpus=1, eval_only=False, cpu_threads=0):
    """Run one training (or evaluation) in a fresh process (with `cpu_threads` > 0: that many
    intra-op CPU threads); DistilDocError with its last output if it fails. Returns the wall
    time in seconds."""
    command = [sys.executable, "-m", "distildoc_d2.classification.run", "--config-file", config_file,
               "--num-gpus", str(num_gpus), *(["--eval-only"] if eval_only else []),
               *map(str, opts), "OUTPUT_DIR", output_dir]
    start = time.perf_counter()
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(cpu_threads)} if cpu_threads > 0 else {}))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "stdout.txt"), "w") as f:
        f.write(result.stdout + result.stderr)
    if result.returncode:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise DistilDocError(f"the run of {config_file} failed (exit code {result.returncode}):\n{tail}")
    return time.perf_counter() - start


def _finished(output_dir):
    return all(os.path.isfile(os.path.join(output_dir, f)) for f in ("model_final.pth", "eval_results.json"))


def summarize_run(name, output_dir, throughput_batch=32):
    """One table row: the last evaluation of each test set, model size, measured images/s."""
    cfg = load_config(os.path.join(output_dir, "config.yaml"), (), extra_setup=(add_classification_config,))
    with open(os.path.join(output_dir, "eval_results.json")) as f:
        evaluation = json.load(f)[-1]["results"]
    model = build_dic_model(cfg, with_teacher=False)
    load_weights_strictly(model, os.path.join(output_dir, "model_final.pth"))
    deployed = DeployedClassifier(model)
    size = tuple(cfg.DIC.INPUT_SIZE)
    cost = dict(model_info(deployed, size), images_per_s=measure_throughput(deployed, size, throughput_batch))
    return [{"run": name, "method": cfg.DISTILL_DIC.METHOD, "model": cfg.MODEL.CLASSIFIER.ARCH, "dataset": dataset,
             **{k: metrics.get(k) for k, _ in METRICS}, **cost} for dataset, metrics in evaluation.items()]


def format_table(rows):
    """The comparison as a Markdown table (a data set column only when there are several)."""
    several = len({row["dataset"] for row in rows}) > 1
    headers = ["run", "method", "model"] + (["test set"] if several else []) + [h for _, h in METRICS]
    headers += ["params (M)", "GFLOPs", "images/s"]
    fmt = lambda value, spec: "-" if value is None else format(value, spec)  # noqa: E731
    table = []
    for row in rows:
        line = [row["run"], row["method"], row["model"]] + ([row["dataset"]] if several else [])
        line += [fmt(row[k], ".4f") for k, _ in METRICS]
        line += [fmt(row["params_m"], ".2f"), fmt(row["gflops"], ".3f"), fmt(row["images_per_s"], ".0f")]
        table.append(line)
    return tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)


def run_comparison(config_dir, teacher, student, output_dir, opts=(), num_gpus=1, teacher_weights="", reuse=False,
                   throughput_batch=32, cpu_threads=0, jobs=1, progress=print):
    """Train (or, with `teacher_weights`, only evaluate) the teacher, then train the supervised
    student and each KD student, `jobs` of them at a time; write comparison.json and
    comparison.md to `output_dir` and return the Markdown table. `cpu_threads` > 0 sets the
    intra-op CPU threads of every run and of the images/s measure."""
    if cpu_threads > 0:
        torch.set_num_threads(cpu_threads)
    experiments = find_experiments(config_dir, teacher, student)
    os.makedirs(output_dir, exist_ok=True)
    teacher_name, teacher_file = experiments[0]
    teacher_dir = os.path.join(output_dir, teacher_name)
    teacher_weights_file = teacher_weights or os.path.join(teacher_dir, "model_final.pth")
    student_opts = list(opts) + ["DISTILL_DIC.TEACHER.CONFIG_FILE", os.path.join(teacher_dir, "config.yaml"),
                                 "DISTILL_DIC.TEACHER.WEIGHTS", teacher_weights_file]
    timings = {}

    def run(name, config_file):
        run_dir = os.path.join(output_dir, name)
        if reuse and _finished(run_dir):
            progress(f"{name}: finished before, reused")
            return
        progress(f"{name} ...")
        if name == teacher_name and teacher_weights:
            timings[name] = run_training(config_file, run_dir, list(opts) + ["MODEL.WEIGHTS", teacher_weights],
                                         num_gpus, eval_only=True, cpu_threads=cpu_threads)
            shutil.copyfile(teacher_weights, os.path.join(run_dir, "model_final.pth"))
        else:
            run_opts = list(opts) if name in (teacher_name, experiments[1][0]) else student_opts
            timings[name] = run_training(config_file, run_dir, run_opts, num_gpus, cpu_threads=cpu_threads)
        progress(f"{name}: done in {timings[name]:.0f} s")

    run(*experiments[0])
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        for future in [pool.submit(run, *experiment) for experiment in experiments[1:]]:
            future.result()
    finally:
        pool.shutdown(cancel_futures=True)
    rows = []
    for name, _ in experiments:
        for row in summarize_run(name, os.path.join(output_dir, name), throughput_batch):
            rows.append(dict(row, train_seconds=timings.get(name)))
    table = format_table(rows)
    with open(os.path.join(output_dir, "comparison.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(output_dir, "comparison.md"), "w") as f:
        f.write(table + "\n")
    return table
