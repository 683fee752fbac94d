"""Training loops and the plumbing that tools/ scripts share."""
from .launch import run_tool
from .layout import evaluate_teacher, layout_argument_parser, layout_config, train_layout
from .trainer import LayoutTrainer

__all__ = ["run_tool", "evaluate_teacher", "layout_argument_parser", "layout_config", "train_layout", "LayoutTrainer"]
