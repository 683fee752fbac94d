#!/usr/bin/env python
"""Train or evaluate a document image classifier: a teacher, a supervised student, or a student
distilled from a frozen teacher (DISTILL_DIC.METHOD: ce, kd, nkd, mse, dkd, simkd, fitnet).

    python tools/train_dic.py --config-file configs/dic/demo/teacher_resnet18.yaml
    python tools/train_dic.py --config-file configs/dic/demo/kd_resnet18_to_resnet10t.yaml
    python tools/train_dic.py --config-file CFG --eval-only MODEL.WEIGHTS output/.../model_final.pth
    python tools/train_dic.py --config-file CFG --num-gpus 2     # several processes (gloo on CPU)
    python tools/train_dic.py --config-file CFG --resume         # continue from last_checkpoint
"""
import sys

from distildoc_d2.classification.run import main

if __name__ == "__main__":
    sys.exit(main())
