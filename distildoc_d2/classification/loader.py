"""Data loaders of classification sets: batches of resized pages, with unreadable images either
stopping the run (a DatasetError naming the file) or skipped and counted."""
import logging

import torch
from detectron2.data.build import worker_init_reset_seed
from detectron2.data.samplers import InferenceSampler, TrainingSampler
from detectron2.utils import comm
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T

from ..errors import ConfigError, DatasetError
from .images import read_page, resize_page, to_tensor

logger = logging.getLogger("distildoc_d2")


def build_augmentation():
    """Mild page augmentation: small shift, scale and rotation on white, brightness and contrast."""
    return T.Compose([
        T.RandomAffine(degrees=2, translate=(0.03, 0.03), scale=(0.95, 1.05), fill=255),
        T.ColorJitter(brightness=0.2, contrast=0.2),
    ])


class PageDataset(Dataset):
    """Records {"file_name", "label"} as items {"image" (CHW float in [0, 1]), "label", "index",
    "file_name", "error"}; an unreadable page gives image None and the error message."""

    def __init__(self, records, size, resize_mode="stretch", augmentation=None):
        self.records = records
        self.size = tuple(size)
        self.resize_mode = resize_mode
        self.augmentation = augmentation

    def __len__(self):
        return len(self.records)

    def __getitem__(self, index):
        record = self.records[index]
        item = {"label": record["label"], "index": index, "file_name": record["file_name"], "image": None,
                "error": None}
        try:
            page = resize_page(read_page(record["file_name"]), self.size, self.resize_mode)
        except DatasetError as err:
            item["error"] = str(err)
            return item
        if self.augmentation is not None:
            page = self.augmentation(page)
        item["image"] = to_tensor(page)
        return item


def collate_pages(items):
    """A batch dict: `images` (B,3,H,W), `labels`, `indices`, `file_names` of the readable pages,
    and `errors`: the messages of the unreadable ones."""
    good = [item for item in items if item["image"] is not None]
    size = good[0]["image"].shape if good else (3, 0, 0)
    return {
        "images": torch.stack([item["image"] for item in good]) if good else torch.zeros((0, *size)),
        "labels": torch.tensor([item["label"] for item in good], dtype=torch.long),
        "indices": torch.tensor([item["index"] for item in good], dtype=torch.long),
        "file_names": [item["file_name"] for item in good],
        "errors": [item["error"] for item in items if item["image"] is None],
    }


class CheckedBatches:
    """Batches of a loader; an unreadable page raises its DatasetError, or with `skip` is left
    out, logged and counted in `skipped` (empty batches are dropped)."""

    def __init__(self, loader, skip):
        self.loader = loader
        self.skip = skip
        self.skipped = []

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            for error in batch["errors"]:
                if not self.skip:
                    raise DatasetError(f"{error} (set DIC.SKIP_UNREADABLE True to skip such images)")
                logger.warning(f"Skipped: {error}")
                self.skipped.append(error)
            if len(batch["labels"]):
                yield batch


def per_process_batch_size(total):
    """The share of each process of a total batch size (it must divide evenly)."""
    world = comm.get_world_size()
    if total % world:
        raise ConfigError(f"batch size {total} is not divisible by the number of processes ({world})")
    return total // world


def build_train_loader(cfg, records):
    """Infinite shuffled batches (SOLVER.IMS_PER_BATCH over all processes) of `records`."""
    augmentation = build_augmentation() if cfg.DIC.AUGMENT else None
    dataset = PageDataset(records, cfg.DIC.INPUT_SIZE, cfg.DIC.RESIZE_MODE, augmentation)
    seed = cfg.SEED if cfg.SEED >= 0 else None
    loader = DataLoader(
        dataset,
        batch_size=per_process_batch_size(cfg.SOLVER.IMS_PER_BATCH),
        sampler=TrainingSampler(len(dataset), shuffle=True, seed=seed),
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        collate_fn=collate_pages,
        worker_init_fn=worker_init_reset_seed,
    )
    return CheckedBatches(loader, cfg.DIC.SKIP_UNREADABLE)


def build_test_loader(cfg, records):
    """One ordered pass over `records` without augmentation, split across the processes."""
    dataset = PageDataset(records, cfg.DIC.INPUT_SIZE, cfg.DIC.RESIZE_MODE)
    loader = DataLoader(
        dataset,
        batch_size=cfg.DIC.TEST_BATCH_SIZE,
        sampler=InferenceSampler(len(dataset)),
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        collate_fn=collate_pages,
    )
    return CheckedBatches(loader, cfg.DIC.SKIP_UNREADABLE)
