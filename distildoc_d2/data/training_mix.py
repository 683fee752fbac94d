"""The training pages of a run: labelled, pseudo-labelled and unlabelled sets in one list, and a
sampler that draws each set as often as DATASETS.TRAIN_RATIOS says."""
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
        unlabelled = sum("annotations" not in r for r in kept)
        kind = "pseudo-labelled" if pseudo else "labelled"
        logger.info(f"Training set {name}: {len(kept)} pages ({kind}; {unlabelled} without labels: feature KD only)")
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


def training_pages_and_sampler(cfg, live_teacher):
    """(records, sampler) for Detectron2's build_detection_train_loader."""
    sets = training_sets(cfg, live_teacher)
    records = [r for _, recs in sets for r in recs]
    ratios = list(cfg.DATASETS.TRAIN_RATIOS)
    if not ratios:
        return records, TrainingSampler(len(records))
    factors = repeat_factors([len(recs) for _, recs in sets], ratios)
    logger.info("Sampling ratios: " + ", ".join(f"{name} {ratio:g}" for (name, _), ratio in zip(sets, ratios)))
    return records, RepeatFactorTrainingSampler(factors)
