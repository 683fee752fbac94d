"""Checkpoints written atomically, and strict loading of weights files."""
import os

import torch
from detectron2.checkpoint import DetectionCheckpointer

from .errors import CheckpointError


def _replace_atomically(path, write):
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class AtomicCheckpointer(DetectionCheckpointer):
    """DetectionCheckpointer whose files are written to a temporary name and renamed into place,
    so an interrupted save never leaves a truncated checkpoint or a dangling `last_checkpoint`."""

    def save(self, name, **kwargs):
        if not self.save_dir or not self.save_to_disk:
            return
        data = {"model": self.model.state_dict()}
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        data.update(kwargs)
        basename = f"{name}.pth"
        save_file = os.path.join(self.save_dir, basename)
        self.logger.info(f"Saving checkpoint to {save_file}")
        _replace_atomically(save_file, lambda tmp: torch.save(data, tmp))
        self.tag_last_checkpoint(basename)

    def tag_last_checkpoint(self, last_filename_basename):
        def write(tmp):
            with open(tmp, "w") as f:
                f.write(last_filename_basename)

        _replace_atomically(os.path.join(self.save_dir, "last_checkpoint"), write)


class _RecordingCheckpointer(DetectionCheckpointer):
    """Keeps the incompatible keys of the last load, which Detectron2 only logs."""

    def _load_model(self, checkpoint):
        self.incompatible = super()._load_model(checkpoint)
        return self.incompatible


def load_weights_strictly(model, path, what="weights file", ignore=()):
    """Load `path` (.pth or Detectron2 .pkl) into `model`; any missing, unexpected or mis-shaped
    key raises a CheckpointError that lists them (a class-count mismatch is named as such).
    Keys of the file starting with a prefix in `ignore` (modules the model leaves out by design,
    such as a distillation run's KD-only modules) are not loaded and not reported."""
    if not path:
        raise CheckpointError(f"no {what} given (MODEL.WEIGHTS is empty)")
    if not os.path.isfile(path):
        raise CheckpointError(f"{what} {path} does not exist")
    checkpointer = _RecordingCheckpointer(model)
    try:
        checkpoint = checkpointer.load(path, checkpointables=[])
    except Exception as err:  # torch/pickle raise many types for a corrupt file
        raise CheckpointError(f"{what} {path} cannot be read: {err}") from None
    incompatible = checkpointer.incompatible
    problems = []
    for key, shape_ckpt, shape_model in incompatible.incorrect_shapes:
        problem = f"{key}: file has shape {tuple(shape_ckpt)}, model has {tuple(shape_model)}"
        if "box_predictor" in key or "mask_head.predictor" in key:
            problem += " (the number of classes differs: check MODEL.ROI_HEADS.NUM_CLASSES)"
        problems.append(problem)
    if incompatible.missing_keys:
        problems.append(f"missing from the file: {', '.join(sorted(incompatible.missing_keys))}")
    unexpected = [k for k in incompatible.unexpected_keys if not k.startswith(tuple(ignore))]
    if unexpected:
        problems.append(f"not in the model: {', '.join(sorted(unexpected))}")
    if problems:
        raise CheckpointError(f"{what} {path} does not match the model:\n  " + "\n  ".join(problems))
    return checkpoint
