"""Latency and throughput of LayoutPredictors, batch 1, whole pipeline per page: pre-processing
(resize), the backend (model) and post-processing (boxes to the page, reading order).

Several predictors are timed interleaved (every page goes through each predictor in turn), so
that load from other processes on a shared machine affects them alike."""
import math
import statistics
import time


def percentile(values, fraction):
    """The `fraction` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _time_page(predictor, page):
    start = time.perf_counter()
    model_input = predictor.preprocess(page)
    prepared = time.perf_counter()
    outputs = predictor.backend([model_input])[0]
    ran = time.perf_counter()
    predictor.finish(outputs, model_input, page.shape[:2])
    done = time.perf_counter()
    return {"total": done - start, "preprocess": prepared - start, "model": ran - prepared, "postprocess": done - ran}


def _summary(times):
    totals = [t["total"] for t in times]
    return {
        "latency_median_ms": 1000 * statistics.median(totals),
        "latency_p90_ms": 1000 * percentile(totals, 0.9),
        "pages_per_s": len(totals) / sum(totals),
        "parts_median_ms": {part: 1000 * statistics.median(t[part] for t in times)
                            for part in ("preprocess", "model", "postprocess")},
        "pages": len(totals),
    }


def time_predictors(predictors, pages, warmup=1, on_page=None):
    """Time each predictor of the dict `predictors` on the RGB `pages`, one page at a time, after
    `warmup` untimed pages (the first of `pages`). Returns, per key, median and p90 latency in ms,
    pages/s (timed pages over their total time) and the median ms of each part. `on_page()` is
    called after every page of every predictor (progress)."""
    times = {key: [] for key in predictors}
    for index, page in enumerate(list(pages[:warmup]) + list(pages)):
        for key, predictor in predictors.items():
            measured = _time_page(predictor, page)
            if index >= warmup:
                times[key].append(measured)
            if on_page is not None:
                on_page()
    return {key: _summary(values) for key, values in times.items()}
