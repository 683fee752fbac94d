#!/usr/bin/env python
"""Print a Markdown table of the parameters and FLOPs of each shipped model config's backbone
(with its FPN) and whole Mask R-CNN, at one page size (random weights, CPU, inference):

    python tools/backbone_table.py                      # the doclaynet teachers and students at 800x608
    python tools/backbone_table.py --size 512 384 configs/demo/*.yaml
"""
import argparse
import glob
import os
import sys

import torch
from detectron2.modeling import build_model
from tqdm import tqdm

from distildoc_d2 import load_config
from distildoc_d2.backbones.weights import describe_backbone
from distildoc_d2.errors import DistilDocError
from distildoc_d2.evaluation.model_size import count_gflops, count_parameters

DEFAULT_CONFIGS = [
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "doclaynet", f"{kind}_*.yaml")
    for kind in ("teacher", "supervised")
]
HEADER = (
    "| config | backbone | FPN channels | backbone+FPN params (M) | Mask R-CNN params (M) "
    "| backbone+FPN GFLOPs | Mask R-CNN GFLOPs |"
)


def measure(config_file, height, width):
    """One table row (a list of cells) for `config_file` at a `height` x `width` page."""
    cfg = load_config(config_file, ["MODEL.DEVICE", "cpu"])
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    backbone_flops = count_gflops(model, height, width, module=model.backbone)
    return [
        os.path.splitext(os.path.basename(config_file))[0],
        describe_backbone(cfg),
        str(cfg.MODEL.FPN.OUT_CHANNELS),
        f"{count_parameters(model.backbone) / 1e6:.1f}",
        f"{count_parameters(model) / 1e6:.1f}",
        f"{backbone_flops:.1f}",
        f"{count_gflops(model, height, width):.1f}",
    ]


def _distinct_models(config_files):
    """Config files paired with the earlier file of the same model (None when the model is new)."""
    seen = {}
    for path in config_files:
        cfg = load_config(path, ["MODEL.DEVICE", "cpu"])
        key = cfg.MODEL.dump()
        yield path, seen.get(key)
        seen.setdefault(key, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", help="config files (default: configs/doclaynet/teacher_*.yaml "
                                                   "and supervised_*.yaml)")
    parser.add_argument("--size", nargs=2, type=int, default=(800, 608), metavar=("H", "W"), help="page size")
    args = parser.parse_args()
    configs = args.configs or [path for pattern in DEFAULT_CONFIGS for path in sorted(glob.glob(pattern))]
    configs = [path for path in configs if not os.path.basename(path).startswith("Base-")]
    height, width = args.size
    rows, same = [], []
    try:
        for path, earlier in tqdm(list(_distinct_models(configs)), desc="models", file=sys.stderr):
            name = os.path.splitext(os.path.basename(path))[0]
            if earlier:
                same.append(f"{name} is the same model as {os.path.splitext(os.path.basename(earlier))[0]}")
            else:
                rows.append(measure(path, height, width))
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    folders = sorted({os.path.relpath(os.path.dirname(path)) for path in configs})
    print(f"Models of {', '.join(folders)} at a {height}x{width} (HxW) page: fvcore FLOPs (one multiply-add "
          "is one flop) of one inference with random weights (the heads' share depends on how many boxes survive).\n")
    print(HEADER)
    print("|" + "---|" * 7)
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for line in same:
        print(f"\n{line}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
