"""Atomic checkpoints and strict weight loading."""
import os

import pytest
import torch
from detectron2.modeling import build_model

from distildoc_d2 import load_config
from distildoc_d2.checkpoint import AtomicCheckpointer, load_weights_strictly
from distildoc_d2.errors import CheckpointError

from conftest import REPO

CFG = os.path.join(REPO, "configs", "demo", "teacher_R50_FPN.yaml")


def _model(*overrides):
    torch.manual_seed(0)
    return build_model(load_config(CFG, ["MODEL.DEVICE", "cpu", *overrides]))


def test_atomic_save_and_strict_reload(tmp_path):
    model = _model()
    checkpointer = AtomicCheckpointer(model, str(tmp_path))
    checkpointer.save("model_0000009", iteration=9)
    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "model_0000009.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000009.pth"
    other = _model()
    with torch.no_grad():
        for p in other.parameters():
            p.add_(1.0)
    data = load_weights_strictly(other, str(tmp_path / "model_0000009.pth"))
    assert data["iteration"] == 9
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert torch.equal(a, b), name


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = _model()
    checkpointer = AtomicCheckpointer(model, str(tmp_path))
    checkpointer.save("model_0000001")
    before = (tmp_path / "model_0000001.pth").read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpointer.save("model_0000001")
    assert (tmp_path / "model_0000001.pth").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "model_0000001.pth"]


def test_strict_loading_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_weights_strictly(_model(), str(tmp_path / "none.pth"))
    with pytest.raises(CheckpointError, match="MODEL.WEIGHTS is empty"):
        load_weights_strictly(_model(), "")
    path = str(tmp_path / "five_classes.pth")
    torch.save({"model": _model("MODEL.ROI_HEADS.NUM_CLASSES", "5").state_dict()}, path)
    with pytest.raises(CheckpointError, match="number of classes differs"):
        load_weights_strictly(_model(), path)
    state = _model().state_dict()
    state["extra.weight"] = torch.zeros(1)
    del state["backbone.fpn_output2.weight"]
    torch.save({"model": state}, path)
    with pytest.raises(CheckpointError, match=r"missing from the file: backbone.fpn_output2.weight(.|\n)*not in the model: extra.weight"):
        load_weights_strictly(_model(), path)
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_weights_strictly(_model(), str(tmp_path / "garbage.pth"))
