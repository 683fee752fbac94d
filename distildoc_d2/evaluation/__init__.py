"""Evaluation: COCO metrics are Detectron2's; model size and result tables live here."""
