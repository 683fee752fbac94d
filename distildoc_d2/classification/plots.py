"""Figures of an evaluation: the reliability diagram and the confusion matrix (PNG files)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)


def plot_reliability(bins, ece, path, title=""):
    """Accuracy against mean confidence per equal-mass bin, with the diagonal of perfect calibration."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", linewidth=1, label="perfect calibration")
    confidences = [row[0] for row in bins]
    accuracies = [row[1] for row in bins]
    ax.plot(confidences, accuracies, marker="o", color="tab:blue", label="model")
    for conf, acc in zip(confidences, accuracies):
        ax.plot([conf, conf], [conf, acc], color="tab:red", linewidth=1, alpha=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (mean per equal-mass bin)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title} ECE = {ece:.3f}".strip())
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_confusion(matrix, class_names, path, title=""):
    """Counts per (true, predicted) class pair, rows normalised for the colour."""
    size = max(4.0, 0.45 * len(class_names) + 2)
    fig, ax = plt.subplots(figsize=(size, size), dpi=100)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = matrix / totals.clip(min=1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                color = "white" if shares[i, j] > 0.5 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(len(class_names)), class_names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
