#!/usr/bin/env python
"""Convert a local checkpoint (timm / Hugging Face ViT or BEiT/DiT, torchvision or timm ResNet,
timm CNN, Detectron2 .pkl/.pth) into the backbone of a config, and write a .pth that Detectron2
loads with MODEL.WEIGHTS (keys 'backbone.bottom_up.*'); prints what was loaded, skipped or missing.

    python tools/convert_weights.py --config-file configs/doclaynet/teacher_DiT-B_FPN.yaml \\
        --input dit-base-224-p16-500k.pth --output weights/dit_base_d2.pth
    python tools/convert_weights.py --config-file configs/doclaynet/supervised_R18_FPN.yaml \\
        --input resnet18-f37072fd.pth --output weights/r18_d2.pth MODEL.RESNETS.NORM FrozenBN
"""
import argparse
import sys

import torch
from detectron2.modeling import build_backbone

from distildoc_d2 import load_config
from distildoc_d2.backbones.weights import convert_checkpoint, describe_backbone, save_backbone_weights
from distildoc_d2.errors import DistilDocError


def convert(args):
    """Build the config's backbone, convert args.input into it, write args.output; returns the report."""
    cfg = load_config(args.config_file, ["MODEL.DEVICE", "cpu", *args.opts])
    backbone = build_backbone(cfg)
    description = f"{describe_backbone(cfg)} of {args.config_file}"
    tensors, report = convert_checkpoint(args.input, backbone.bottom_up, description, partial=args.partial)
    with torch.no_grad():
        backbone.bottom_up.load_state_dict(tensors, strict=False)
    save_backbone_weights(tensors, args.output)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", required=True, help="config whose backbone receives the weights")
    parser.add_argument("--input", required=True, help="checkpoint to convert (.pth, .pt, .bin, .pkl, .safetensors)")
    parser.add_argument("--output", required=True, help="Detectron2 .pth to write")
    parser.add_argument("--partial", action="store_true",
                        help="accept a file that lacks some of the backbone's tensors or holds tensors "
                             "it has no place for (both are listed in the report)")
    parser.add_argument("--verbose", action="store_true", help="list every key in the report")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides as KEY VALUE pairs")
    args = parser.parse_args()
    try:
        report = convert(args)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report.format(verbose=args.verbose))
    print(f"wrote {args.output}: train with MODEL.WEIGHTS {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
