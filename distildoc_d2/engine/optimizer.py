"""The optimizer named by SOLVER.OPTIMIZER, shared by the layout and DIC trainers."""
import torch
from detectron2.solver.build import get_default_optimizer_params, maybe_add_gradient_clipping

from ..errors import ConfigError


def build_solver_optimizer(cfg, model):
    """SGD or AdamW (SOLVER.OPTIMIZER) over the model's trainable parameters, with Detectron2's
    per-parameter weight decay and gradient clipping. A teacher is not among the parameters."""
    params = get_default_optimizer_params(
        model,
        base_lr=cfg.SOLVER.BASE_LR,
        weight_decay_norm=cfg.SOLVER.WEIGHT_DECAY_NORM,
        bias_lr_factor=cfg.SOLVER.BIAS_LR_FACTOR,
        weight_decay_bias=cfg.SOLVER.WEIGHT_DECAY_BIAS,
    )
    name = cfg.SOLVER.OPTIMIZER.lower()
    if name == "sgd":
        optimizer_class = torch.optim.SGD
        kwargs = {"momentum": cfg.SOLVER.MOMENTUM, "nesterov": cfg.SOLVER.NESTEROV}
    elif name == "adamw":
        optimizer_class, kwargs = torch.optim.AdamW, {"betas": tuple(cfg.SOLVER.BETAS)}
    else:
        raise ConfigError(f"SOLVER.OPTIMIZER must be SGD or AdamW, got '{cfg.SOLVER.OPTIMIZER}'")
    optimizer_class = maybe_add_gradient_clipping(cfg, optimizer_class)
    return optimizer_class(params, lr=cfg.SOLVER.BASE_LR, weight_decay=cfg.SOLVER.WEIGHT_DECAY, **kwargs)
