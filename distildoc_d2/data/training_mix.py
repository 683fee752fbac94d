"""The training pages of a run: labelled, pseudo-labelled and unlabelled sets in one list, and a
sampler that draws each set as often as DATASETS.TRAIN_RATIOS says and, with
DATALOADER.SAMPLER_TRAIN "RepeatFactorTrainingSampler", pages of rare classes more often."""
import logging

import torch
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.samplers import RepeatFactorTrainingSampler, TrainingSampler

from ..errors import DatasetError

logger = logging.getLogger("distildoc_d2")


def _has_objects(record):
    return any(a.get("iscrowd", 0) == 0 for a in record.get("annotations", ()))


def training_sets(cfg, live_teacher):
    """[(name, records)] of every DATASETS.TRAIN set as it trains. Labelled pages without objects
    are dropped when DATALOADER.FILTER_EMPTY_ANNOTATIONS is on, as Detectron2 does. Pages without
    annotations (unlabelled pages, pseudo-labelled pages whose teacher found nothing) are kept
    for a live teacher's feature KD and dropped when there is none."""
    sets = []
    for name in cfg.DATASETS.TRAIN:
        records = DatasetCatalog.get(name)
        pseudo = MetadataCatalog.get(name).get("pseudo_labelled", False)
        kept = []
        for record in records:
            if pseudo and not record.get("annotations"):  # the teacher found nothing: feature KD alone
                record = {k: v for k, v in record.items() if k != "annotations"}
            if "annotations" not in record:
                if live_teacher:
                    kept.append(record)
            elif _has_objects(record) or not cfg.DATALOADER.FILTER_EMPTY_ANNOTATIONS:
                kept.append(record)
        if not kept:
            raise DatasetError(f"training set '{name}' has no usable page ({len(records)} pages; pages without "
                               "labels need a DistillationRCNN's live teacher)")
        kind = "pseudo-labelled" if pseudo else "labelled"
        detail = f"{len(records) - len(kept)} of {len(records)} dropped"
        if live_teacher:
            detail += f"; {sum('annotations' not in r for r in kept)} without labels: feature KD only"
        logger.info(f"Training set {name}: {len(kept)} pages ({kind}; {detail})")
        sets.append((name, kept))
    return sets


def repeat_factors(sizes, ratios):
    """Per-page repeat factors so that set i is drawn in proportion to ratios[i] whatever its
    size; the rarest page gets factor 1."""
    per_page = [ratio / size for ratio, size in zip(ratios, sizes)]
    smallest = min(per_page)
    factors = []
    for value, size in zip(per_page, sizes):
        factors += [value / smallest] * size
    return torch.tensor(factors, dtype=torch.float32)


SAMPLERS = ("TrainingSampler", "RepeatFactorTrainingSampler")  # the DATALOADER.SAMPLER_TRAIN values a run takes


def class_repeat_factors(records, threshold, sqrt=True):
    """Detectron2's (LVIS) per-page repeat factors from class frequency: a page is repeated as
    often as its rarest class needs, max(1, threshold / f(c)), square-rooted when `sqrt`, where
    f(c) is the fraction of labelled pages that hold class c. Pages without labels get 1."""
    labelled = [i for i, r in enumerate(records) if "annotations" in r]
    factors = torch.ones(len(records), dtype=torch.float32)
    if labelled:
        per_page = RepeatFactorTrainingSampler.repeat_factors_from_category_frequency(
            [records[i] for i in labelled], threshold, sqrt=sqrt)
        factors[labelled] = per_page
    return factors


def training_pages_and_sampler(cfg, live_teacher):
    """(records, sampler) for Detectron2's build_detection_train_loader: DATASETS.TRAIN_RATIOS
    weigh the sets, and DATALOADER.SAMPLER_TRAIN "RepeatFactorTrainingSampler" (with
    DATALOADER.REPEAT_THRESHOLD and REPEAT_SQRT) repeats pages of rare classes on top of that."""
    sets = training_sets(cfg, live_teacher)
    records = [r for _, recs in sets for r in recs]
    ratios = list(cfg.DATASETS.TRAIN_RATIOS)
    factors = torch.ones(len(records), dtype=torch.float32)
    if ratios:
        factors = repeat_factors([len(recs) for _, recs in sets], ratios)
        logger.info("Sampling ratios: " + ", ".join(f"{name} {ratio:g}" for (name, _), ratio in zip(sets, ratios)))
    if cfg.DATALOADER.SAMPLER_TRAIN == "RepeatFactorTrainingSampler":
        by_class = class_repeat_factors(records, cfg.DATALOADER.REPEAT_THRESHOLD, cfg.DATALOADER.REPEAT_SQRT)
        logger.info(f"Rare-class repeats (REPEAT_THRESHOLD {cfg.DATALOADER.REPEAT_THRESHOLD:g}): page factors "
                    f"{by_class.min():.2f}..{by_class.max():.2f}, {(by_class > 1).sum().item()} of {len(records)} "
                    "pages repeated")
        factors = factors * by_class
    elif not ratios:
        return records, TrainingSampler(len(records))
    return records, RepeatFactorTrainingSampler(factors)
