"""Teacher outputs on the training set, computed once and reused every epoch.

Without augmentation every epoch shows the teacher the same pages, so its logits (or pooled
features) can be computed in one pass and looked up by image index. The cache is saved in the
output folder with a fingerprint of what produced it (teacher weights, pages, input size) and
reused by a resumed run when the fingerprint matches.
"""
import hashlib
import logging
import os

import torch
from detectron2.utils import comm

from ..errors import ConfigError
from .loader import build_test_loader

logger = logging.getLogger("distildoc_d2")

CACHEABLE_OUTPUTS = ("logits", "pre_logits")


class TeacherCache:
    """Per-image teacher outputs: name -> tensor whose first dimension is the image index."""

    def __init__(self, outputs):
        self.outputs = outputs

    def lookup(self, indices, device):
        """The cached outputs of the images `indices`, on `device`."""
        return {name: value[indices].to(device, non_blocking=True) for name, value in self.outputs.items()}


def check_cacheable(cfg, teacher_outputs):
    """The cache needs deterministic pages and outputs that fit in memory (no feature maps)."""
    if cfg.DIC.AUGMENT:
        raise ConfigError("DISTILL_DIC.TEACHER.CACHE needs DIC.AUGMENT False: augmented pages change every epoch")
    other = [name for name in teacher_outputs if name not in CACHEABLE_OUTPUTS]
    if other:
        raise ConfigError(f"DISTILL_DIC.TEACHER.CACHE cannot hold the teacher's {', '.join(other)} read by method "
                          f"'{cfg.DISTILL_DIC.METHOD}'; turn the cache off for it")


def fingerprint(cfg, records, outputs):
    """What the cached values depend on, as a dict that a saved cache must equal."""
    weights = cfg.DISTILL_DIC.TEACHER.WEIGHTS
    stat = os.stat(weights)
    pages = hashlib.sha1("\n".join(f"{r['file_name']} {r['label']}" for r in records).encode()).hexdigest()
    return {
        "teacher_weights": os.path.abspath(weights), "weights_size": stat.st_size, "weights_mtime": stat.st_mtime,
        "pages": pages, "input_size": list(cfg.DIC.INPUT_SIZE), "resize_mode": cfg.DIC.RESIZE_MODE,
        "outputs": list(outputs), "amp": bool(cfg.SOLVER.AMP.ENABLED),
    }


def compute_teacher_cache(cfg, teacher, records, outputs):
    """Run the teacher once over `records` (split across processes, gathered on all of them)."""
    device = next(teacher.parameters()).device
    loader = build_test_loader(cfg, records)
    indices, values = [], {name: [] for name in outputs}
    with torch.no_grad(), torch.autocast(device.type, enabled=cfg.SOLVER.AMP.ENABLED):
        for batch in loader:
            result = teacher.extract(batch["images"].to(device), outputs)
            indices.append(batch["indices"])
            for name in outputs:
                values[name].append(result[name].float().cpu())
    local = {"indices": torch.cat(indices) if indices else torch.zeros(0, dtype=torch.long),
             **{name: torch.cat(v) if v else None for name, v in values.items()}}
    gathered = comm.all_gather(local)
    cache = {}
    for name in outputs:
        parts = [part for part in gathered if part[name] is not None]
        shape = parts[0][name].shape[1:]
        table = torch.zeros((len(records), *shape))
        for part in parts:
            table[part["indices"]] = part[name]
        cache[name] = table
    return TeacherCache(cache)


def load_or_compute_teacher_cache(cfg, teacher, records, outputs, path):
    """The cache saved at `path` if its fingerprint matches, else computed now and saved there."""
    expected = fingerprint(cfg, records, outputs)
    if os.path.isfile(path):
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("fingerprint") == expected:
            logger.info(f"Teacher outputs read from the cache {path}")
            return TeacherCache(saved["outputs"])
        logger.info(f"Teacher cache {path} was made for other teacher weights or pages: computing it again")
    logger.info(f"Computing the teacher's {', '.join(outputs)} on {len(records)} training images once")
    cache = compute_teacher_cache(cfg, teacher, records, outputs)
    if comm.is_main_process():
        tmp = f"{path}.tmp.{os.getpid()}"
        torch.save({"fingerprint": expected, "outputs": cache.outputs}, tmp)
        os.replace(tmp, path)
    comm.synchronize()
    return cache
