#!/usr/bin/env python
"""Train or evaluate a layout model (a Mask R-CNN teacher, or a student without KD).

    python tools/train_net.py --config-file configs/demo/teacher_R50_FPN.yaml
    python tools/train_net.py --config-file CFG --eval-only MODEL.WEIGHTS output/model_final.pth
    python tools/train_net.py --config-file CFG --num-gpus 2     # several processes (gloo on CPU)
    python tools/train_net.py --config-file CFG --resume         # continue from last_checkpoint
    python tools/train_net.py --config-file configs/demo/feature_mse_R50_to_R18.yaml --eval-teacher
"""
import sys

from distildoc_d2.engine import layout_argument_parser, layout_config, run_tool, train_layout

if __name__ == "__main__":
    sys.exit(run_tool(train_layout, layout_argument_parser().parse_args(), check=layout_config))
