"""Whether two predictors give the same detections on the same pages, within tolerances.

Detections are matched one to one per page and class: each reference detection, by decreasing
score, to the closest still unmatched candidate whose box coordinates all differ by at most
`box_tol` page pixels and whose score differs by at most `score_tol`. A detection may stay
unmatched only when its score is within `score_tol` of the cut-off that kept it (the score
threshold, or the lowest kept score when a page holds the maximum number of detections): tiny
numeric differences legitimately move such detections across it.

Both sides must run on the same device, in full float32: on CUDA, TF32 convolutions and matrix
products (cuDNN's default for convolutions) differ from float32 by far more than the tolerances,
which are set for float32 (`full_float32`).
"""
import contextlib

import torch

BOX_TOLERANCE = 0.1
SCORE_TOLERANCE = 1e-4


@contextlib.contextmanager
def full_float32():
    """Within the block, CUDA convolutions and matrix products run in float32, not TF32."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _cutoff(regions, score_threshold, detections_per_image):
    if len(regions) >= detections_per_image:
        return max(score_threshold, min(r["score"] for r in regions))
    return score_threshold


def _box_diff(a, b):
    return max(abs(x - y) for x, y in zip(a["bbox"], b["bbox"]))


def _match_page(reference, candidate, box_tol, score_tol):
    pairs, free = [], list(candidate)
    for ref in sorted(reference, key=lambda r: -r["score"]):
        close = [c for c in free if c["category_id"] == ref["category_id"] and _box_diff(ref, c) <= box_tol
                 and abs(c["score"] - ref["score"]) <= score_tol]
        if close:
            best = min(close, key=lambda c: _box_diff(ref, c))
            pairs.append((ref, best))
            free.remove(best)
    return pairs


def compare_predictions(reference, candidate, score_threshold, detections_per_image,
                        box_tol=BOX_TOLERANCE, score_tol=SCORE_TOLERANCE, devices=None):
    """Report comparing two lists of page dicts (same pages, same order): detection counts, pairs
    matched within tolerance and their largest box and score differences, the detections left
    unmatched above the cut-off (and the highest score among them), and `ok`. `devices`
    ((reference device, candidate device)) is recorded as given."""
    report = {"pages": len(reference), "reference_detections": 0, "candidate_detections": 0, "matched": 0,
              "max_box_diff": 0.0, "max_score_diff": 0.0, "unmatched": 0, "unmatched_max_score": 0.0,
              "box_tol": box_tol, "score_tol": score_tol}
    if devices is not None:
        report["reference_device"], report["candidate_device"] = devices
    for ref_page, cand_page in zip(reference, candidate):
        ref, cand = ref_page["regions"], cand_page["regions"]
        report["reference_detections"] += len(ref)
        report["candidate_detections"] += len(cand)
        matched_ids = set()
        for a, b in _match_page(ref, cand, box_tol, score_tol):
            matched_ids.update((id(a), id(b)))
            report["matched"] += 1
            report["max_box_diff"] = max(report["max_box_diff"], _box_diff(a, b))
            report["max_score_diff"] = max(report["max_score_diff"], abs(a["score"] - b["score"]))
        cutoff = max(_cutoff(ref, score_threshold, detections_per_image),
                     _cutoff(cand, score_threshold, detections_per_image))
        unexplained = [r["score"] for r in ref + cand if id(r) not in matched_ids and r["score"] > cutoff + score_tol]
        report["unmatched"] += len(unexplained)
        report["unmatched_max_score"] = max([report["unmatched_max_score"]] + unexplained)
    report["ok"] = report["unmatched"] == 0 and len(reference) == len(candidate)
    return report


def describe(report):
    """One line for the user: matched count, largest differences, verdict."""
    verdict = "OK" if report["ok"] else "MISMATCH"
    unmatched = f"{report['unmatched']} unmatched above the score cut-off"
    if report["unmatched"]:
        unmatched += f" (highest score {report['unmatched_max_score']:.3f})"
    devices = ""
    if "reference_device" in report:
        devices = f" (eager on {report['reference_device']} vs this format on {report['candidate_device']})"
    return (f"{report['matched']}/{report['reference_detections']} detections matched on {report['pages']} pages"
            f"{devices} "
            f"(candidate has {report['candidate_detections']}); max abs box diff {report['max_box_diff']:.2e} px "
            f"(tol {report['box_tol']}), max score diff {report['max_score_diff']:.2e} (tol {report['score_tol']}), "
            f"{unmatched}: {verdict}")
