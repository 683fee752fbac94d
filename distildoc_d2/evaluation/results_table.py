"""Evaluation tables from a run's eval_results.json (written by the layout trainer)."""
import json
import os

from tabulate import tabulate

from ..errors import DatasetError


TASKS = ("bbox", "segm")


def load_eval_history(output_dir):
    """Every evaluation of a run, oldest first: [{"iteration": ..., "results": ...}]."""
    path = os.path.join(output_dir, "eval_results.json")
    if not os.path.isfile(path):
        raise DatasetError(f"{path} does not exist: has the run in {output_dir} finished an evaluation?")
    with open(path) as f:
        history = json.load(f)
    if not history:
        raise DatasetError(f"{path} holds no evaluation")
    return history


def load_eval_results(output_dir):
    """The last evaluation of a run: {"iteration": ..., "results": {task: {metric: value}}}, or
    {data set: {task: {metric: value}}} when the run has several test sets."""
    return load_eval_history(output_dir)[-1]


def results_by_dataset(results):
    """{data set name (None for a run with one test set): {task: {metric: value}}}."""
    if any(task in results for task in TASKS):
        return {None: results}
    return dict(results)


def _fmt(value):
    return "-" if value is None else f"{value:.1f}"


def format_results_table(results):
    """Two tables in Markdown: summary metrics per task, then AP per class and task."""
    tasks = [t for t in TASKS if t in results]
    summary = [[task] + [_fmt(results[task].get(k)) for k in ("AP", "AP50", "AP75")] for task in tasks]
    classes = [k[3:] for k in results[tasks[0]] if k.startswith("AP-")] if tasks else []
    per_class = [[name] + [_fmt(results[t].get(f"AP-{name}")) for t in tasks] for name in classes]
    return (
        tabulate(summary, headers=["task", "mAP", "AP50", "AP75"], tablefmt="github", disable_numparse=True)
        + "\n\n"
        + tabulate(per_class, headers=["class"] + [f"{t} AP" for t in tasks], tablefmt="github", disable_numparse=True)
    )


def format_learning_curve(history, task="bbox"):
    """A Markdown table of `task` mAP at every evaluation of a run, one column per test set."""
    names = list(results_by_dataset(history[-1]["results"]))
    header = ["iteration"] + [name or "mAP" for name in names]
    rows = []
    for entry in history:
        by_set = results_by_dataset(entry["results"])
        rows.append([str(entry["iteration"])] + [_fmt((by_set.get(name) or {}).get(task, {}).get("AP"))
                                                  for name in names])
    return tabulate(rows, headers=header, tablefmt="github", disable_numparse=True)
