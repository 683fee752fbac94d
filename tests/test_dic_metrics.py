"""DIC metrics on hand-made predictions with known values, and the evaluator's output files."""
import json
import math

import numpy as np
import pytest
import torch

from distildoc_d2.classification.evaluator import ClassificationEvaluator
from distildoc_d2.classification.metrics import (
    accuracy,
    aurc,
    brier_score,
    classification_metrics,
    confusion_matrix,
    equal_mass_bins,
    expected_calibration_error,
    macro_f1,
    negative_log_likelihood,
)


def calibrated_toy():
    """Four pages at confidence 0.5 of which two are right, four at confidence 1 all right."""
    half = [0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3]
    probs = np.array([half] * 4 + [[1.0, 0.0, 0.0, 0.0]] * 4)
    labels = np.array([0, 0, 1, 2, 0, 0, 0, 0])
    return probs, labels


def test_ece_of_a_perfectly_calibrated_toy_case_is_zero():
    probs, labels = calibrated_toy()
    assert expected_calibration_error(probs, labels, num_bins=2) == pytest.approx(0.0, abs=1e-12)
    assert [row[2] for row in equal_mass_bins(probs.max(axis=1), (probs.argmax(1) == labels) * 1.0, 2)] == [4, 4]


def test_ece_with_equal_mass_bins_by_hand():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    labels = np.array([0, 1, 1, 1])
    # sorted confidences 0.6 (right), 0.7 (right) | 0.8 (wrong), 0.9 (right)
    expected = 0.5 * abs(1.0 - 0.65) + 0.5 * abs(0.5 - 0.85)
    assert expected_calibration_error(probs, labels, num_bins=2) == pytest.approx(expected)
    one_bin = abs(0.75 - np.mean([0.9, 0.8, 0.7, 0.6]))
    assert expected_calibration_error(probs, labels, num_bins=1) == pytest.approx(one_bin)


@pytest.mark.parametrize("n,errors", [(10, 3), (7, 1), (5, 0)])
def test_aurc_of_a_perfect_ranking_equals_its_closed_form(n, errors):
    confidences = np.linspace(0.99, 0.55, n)
    labels = np.zeros(n, dtype=int)
    labels[n - errors:] = 1  # the least confident pages are the wrong ones
    probs = np.stack([confidences, 1 - confidences], axis=1)
    closed_form = sum(j / (n - errors + j) for j in range(1, errors + 1)) / n
    assert aurc(probs, labels) == pytest.approx(closed_form)


def test_aurc_of_the_worst_ranking_is_larger():
    confidences = np.linspace(0.99, 0.6, 6)
    probs = np.stack([confidences, 1 - confidences], axis=1)
    good, bad = np.array([0, 0, 0, 0, 1, 1]), np.array([1, 1, 0, 0, 0, 0])
    assert aurc(probs, bad) == pytest.approx((1 + 1 + 2 / 3 + 2 / 4 + 2 / 5 + 2 / 6) / 6)
    assert aurc(probs, bad) > aurc(probs, good)


def test_brier_and_nll_by_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    labels = np.array([0, 2])
    assert brier_score(probs, labels) == pytest.approx(((0.09 + 0.04 + 0.01) + (0.04 + 0.25 + 0.49)) / 2)
    assert negative_log_likelihood(np.log(probs), labels) == pytest.approx(-(math.log(0.7) + math.log(0.3)) / 2)
    assert accuracy(probs, labels) == 0.5


def test_macro_f1_and_confusion_matrix_by_hand():
    labels = np.array([0, 0, 1, 1, 2])
    predictions = np.array([0, 1, 1, 1, 0])
    matrix = confusion_matrix(predictions, labels, 4)
    assert matrix.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    # F1: class 0 = 2*1/(2+2), class 1 = 2*2/(2+3), class 2 = 0; class 3 occurs nowhere and is left out
    assert macro_f1(predictions, labels, 4) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_all_metrics_from_logits_agree_with_the_single_functions():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 5)) * 3
    labels = rng.integers(0, 5, size=50)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    got = classification_metrics(logits, labels, num_bins=5)
    assert got["accuracy"] == pytest.approx(accuracy(probs, labels))
    assert got["ece"] == pytest.approx(expected_calibration_error(probs, labels, 5))
    assert got["aurc"] == pytest.approx(aurc(probs, labels))
    assert got["brier"] == pytest.approx(brier_score(probs, labels))
    assert got["nll"] == pytest.approx(negative_log_likelihood(np.log(probs), labels))
    assert got["macro_f1"] == pytest.approx(macro_f1(probs.argmax(1), labels, 5))


def test_evaluator_writes_metrics_reliability_diagram_and_confusion_matrix(tmp_path):
    names = ["letter", "form", "email"]
    evaluator = ClassificationEvaluator("toy", names, str(tmp_path / "toy"), num_bins=2)
    evaluator.reset()
    logits = torch.tensor([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 2.5, 0.1], [0.2, 0.0, 1.0]])
    labels = torch.tensor([0, 1, 2, 2])
    evaluator.process({"labels": labels[:2]}, logits[:2])
    evaluator.process({"labels": labels[2:]}, logits[2:])
    results = evaluator.evaluate()
    assert results["accuracy"] == pytest.approx(0.75)
    assert results["num_images"] == 4.0 and results["skipped_images"] == 0.0
    assert set(results) >= {"macro_f1", "ece", "aurc", "brier", "nll"}
    confusion = json.loads((tmp_path / "toy" / "confusion_matrix.json").read_text())
    assert confusion["class_names"] == names
    assert confusion["matrix"] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    for figure in ("reliability.png", "confusion_matrix.png"):
        assert (tmp_path / "toy" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "toy" / "results.json").read_text())
    assert saved["metrics"]["accuracy"] == pytest.approx(0.75)
    assert sum(b["count"] for b in saved["reliability_bins"]) == 4
