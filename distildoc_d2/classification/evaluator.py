"""Detectron2 evaluator of a classification set: metrics, reliability diagram and confusion
matrix (PNG + JSON) written to the evaluation's output folder."""
import json
import logging
import os
from collections import OrderedDict

import numpy as np
import torch
from detectron2.evaluation import DatasetEvaluator
from detectron2.utils import comm

from .metrics import classification_metrics, confusion_matrix, equal_mass_bins
from .plots import plot_confusion, plot_reliability

logger = logging.getLogger("distildoc_d2")


class ClassificationEvaluator(DatasetEvaluator):
    """Collects logits and labels over the processes; `evaluate` returns accuracy, macro_f1, ece,
    aurc, brier, nll, num_images and skipped_images (unreadable pages left out)."""

    def __init__(self, dataset_name, class_names, output_dir, num_bins=15, batches=None):
        self.dataset_name = dataset_name
        self.class_names = list(class_names)
        self.output_dir = output_dir
        self.num_bins = num_bins
        self.batches = batches
        self.reset()

    def reset(self):
        self._logits, self._labels = [], []

    def process(self, inputs, outputs):
        self._logits.append(outputs.detach().float().cpu())
        self._labels.append(inputs["labels"].cpu())

    def _gathered(self):
        logits = torch.cat(self._logits) if self._logits else torch.zeros((0, len(self.class_names)))
        labels = torch.cat(self._labels) if self._labels else torch.zeros(0, dtype=torch.long)
        skipped = len(self.batches.skipped) if self.batches is not None else 0
        parts = comm.gather((logits, labels, skipped), dst=0)
        if not comm.is_main_process():
            return None
        return (torch.cat([p[0] for p in parts]).numpy(), torch.cat([p[1] for p in parts]).numpy(),
                sum(p[2] for p in parts))

    def evaluate(self):
        gathered = self._gathered()
        if gathered is None:
            return {}
        logits, labels, skipped = gathered
        if not len(labels):
            logger.warning(f"{self.dataset_name}: no image was evaluated")
            return {}
        metrics = classification_metrics(logits, labels, self.num_bins)
        metrics.update(num_images=float(len(labels)), skipped_images=float(skipped))
        self._write_outputs(logits, labels, metrics)
        return OrderedDict(metrics)

    def _write_outputs(self, logits, labels, metrics):
        os.makedirs(self.output_dir, exist_ok=True)
        probs = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
        confidences = probs.max(axis=1)
        predictions = probs.argmax(axis=1)
        bins = equal_mass_bins(confidences, (predictions == labels).astype(np.float64), self.num_bins)
        plot_reliability(bins, metrics["ece"], os.path.join(self.output_dir, "reliability.png"), self.dataset_name)
        matrix = confusion_matrix(predictions, labels, len(self.class_names))
        plot_confusion(matrix, self.class_names, os.path.join(self.output_dir, "confusion_matrix.png"),
                       self.dataset_name)
        with open(os.path.join(self.output_dir, "confusion_matrix.json"), "w") as f:
            json.dump({"class_names": self.class_names, "rows": "true class", "columns": "predicted class",
                       "matrix": matrix.tolist()}, f, indent=1)
        with open(os.path.join(self.output_dir, "results.json"), "w") as f:
            json.dump({"metrics": metrics, "reliability_bins": [
                {"confidence": c, "accuracy": a, "count": n} for c, a, n in bins]}, f, indent=1)
