"""The core path (build, train step, inference, COCO evaluation) needs no detectron2._C."""
import subprocess
import sys

from conftest import REPO

SCRIPT = r'''
import importlib.abc, sys

class BlockCompiledOps(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "detectron2._C":
            raise ImportError("blocked by the test: detectron2._C")
        return None

sys.meta_path.insert(0, BlockCompiledOps())
import torch
import distildoc_d2
from detectron2.modeling import build_model
from detectron2.structures import Boxes, Instances, PolygonMasks
from detectron2.utils.events import EventStorage
from distildoc_d2 import load_config

cfg = load_config("configs/demo/teacher_R50_FPN.yaml", ["MODEL.DEVICE", "cpu"])
model = build_model(cfg)
inst = Instances((128, 96))
inst.gt_boxes = Boxes(torch.tensor([[8.0, 8.0, 80.0, 40.0]]))
inst.gt_classes = torch.tensor([3])
inst.gt_masks = PolygonMasks([[[8.0, 8.0, 80.0, 8.0, 80.0, 40.0, 8.0, 40.0]]])
with EventStorage():
    losses = model([{"image": torch.rand(3, 128, 96) * 255, "instances": inst}])
sum(losses.values()).backward()
model.eval()
with torch.no_grad():
    out = model([{"image": torch.rand(3, 128, 96) * 255}])
assert "instances" in out[0]
assert "detectron2._C" not in sys.modules
print("CORE-PATH-OK", sorted(losses))
'''


def test_core_path_runs_without_compiled_ops():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "CORE-PATH-OK" in result.stdout
    assert "loss_mask" in result.stdout
