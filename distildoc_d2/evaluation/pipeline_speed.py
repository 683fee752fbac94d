"""End-to-end speed of LayoutPredictors, PDF to JSON: every page rendered (at the model's size),
pre-processed, run through the model, post-processed and written as JSON by the same BatchRun
that tools/predict.py uses. Several predictors are timed in rounds (each round runs every
predictor once over all inputs, in turn), so that load from other processes on a shared machine
affects them alike."""
import shutil
import tempfile
import time

from ..inference.batch import BatchRun

WARMUP_RUNS = 2


def _one_pass(predictor, inputs, page_ranges, dpi, prefetch):
    folder = tempfile.mkdtemp(prefix="distildoc-speed-")
    try:
        start = time.perf_counter()
        summary = BatchRun(predictor, folder, page_ranges, dpi, progress=False, prefetch=prefetch).run(inputs)
        return summary, time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def time_pipelines(predictors, inputs, page_ranges=None, dpi=None, rounds=1, prefetch=2, warmup_page=None,
                   on_pass=None):
    """{key: {"pages", "seconds", "pages_per_s", "failures"}} for each predictor of the dict
    `predictors` over `inputs` (PDFs, images, folders), all pages together over `rounds` rounds.
    `warmup_page` (an RGB array) is predicted `WARMUP_RUNS` times by each predictor first, untimed
    (TorchScript optimises its graph during its first runs); `on_pass()` is called after each pass
    (progress)."""
    if warmup_page is not None:
        for predictor in predictors.values():
            predictor.predict_images([warmup_page] * WARMUP_RUNS)
    totals = {key: {"pages": 0, "seconds": 0.0, "failures": 0} for key in predictors}
    for _ in range(rounds):
        for key, predictor in predictors.items():
            summary, seconds = _one_pass(predictor, inputs, page_ranges, dpi, prefetch)
            totals[key]["pages"] += summary.pages
            totals[key]["seconds"] += seconds
            totals[key]["failures"] += len(summary.failures)
            if on_pass is not None:
                on_pass()
    for total in totals.values():
        total["pages_per_s"] = total["pages"] / total["seconds"] if total["seconds"] else 0.0
    return totals
