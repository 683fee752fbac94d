"""Classification metrics: accuracy, macro-F1, calibration (ECE with equal-mass bins, Brier,
NLL), selective prediction (AURC) and the confusion matrix. Inputs are numpy arrays:
`probs` (N, K) rows summing to 1, `labels` (N,) class indices."""
import numpy as np


def accuracy(probs, labels):
    """Fraction of samples whose most probable class is the label."""
    return float(np.mean(probs.argmax(axis=1) == labels))


def confusion_matrix(predictions, labels, num_classes):
    """K x K counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def macro_f1(predictions, labels, num_classes):
    """Unweighted mean of the per-class F1 over the classes that occur as a label or a
    prediction (a class absent from both is left out)."""
    matrix = confusion_matrix(predictions, labels, num_classes)
    true_positive = np.diag(matrix).astype(np.float64)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    present = (support + predicted) > 0
    f1 = 2 * true_positive[present] / (support[present] + predicted[present])
    return float(f1.mean()) if f1.size else 0.0


def equal_mass_bins(confidences, correct, num_bins):
    """Samples sorted by confidence and cut into `num_bins` bins of (almost) equal size; one row
    (mean confidence, accuracy, count) per non-empty bin."""
    order = np.argsort(confidences, kind="stable")
    rows = []
    for part in np.array_split(order, min(num_bins, len(order))):
        rows.append((float(confidences[part].mean()), float(correct[part].mean()), int(part.size)))
    return rows


def expected_calibration_error(probs, labels, num_bins=15):
    """ECE with equal-mass bins: sum over bins of (bin size / N) * |accuracy - mean confidence|,
    confidence being the maximum probability."""
    confidences = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    rows = equal_mass_bins(confidences, correct, num_bins)
    return float(sum(count * abs(acc - conf) for conf, acc, count in rows) / len(labels))


def aurc(probs, labels):
    """Area under the risk-coverage curve: samples ranked by maximum probability (most confident
    first), risk(k) = errors among the first k / k, averaged over k = 1..N."""
    confidences = probs.max(axis=1)
    errors = (probs.argmax(axis=1) != labels).astype(np.float64)
    order = np.argsort(-confidences, kind="stable")
    cumulative = np.cumsum(errors[order])
    return float(np.mean(cumulative / np.arange(1, len(labels) + 1)))


def brier_score(probs, labels):
    """Multi-class Brier score: mean over samples of sum over classes of (p_k - [k = y])^2."""
    onehot = np.zeros_like(probs, dtype=np.float64)
    onehot[np.arange(len(labels)), labels] = 1.0
    return float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))


def negative_log_likelihood(log_probs, labels):
    """Mean of -log p_y."""
    return float(-np.mean(log_probs[np.arange(len(labels)), labels]))


def classification_metrics(logits, labels, num_bins=15):
    """All metrics of one evaluation from logits (N, K) and labels (N,)."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    predictions = probs.argmax(axis=1)
    return {
        "accuracy": accuracy(probs, labels),
        "macro_f1": macro_f1(predictions, labels, probs.shape[1]),
        "ece": expected_calibration_error(probs, labels, num_bins),
        "aurc": aurc(probs, labels),
        "brier": brier_score(probs, labels),
        "nll": negative_log_likelihood(log_probs, labels),
    }
