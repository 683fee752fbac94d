"""timm models built from a config name, always with random weights (never a download)."""
import difflib

import timm

from ..errors import ConfigError


def create_timm_model(name, key, **kwargs):
    """`timm.create_model(name, pretrained=False, **kwargs)`; an unknown name is a ConfigError naming `key`."""
    if not timm.is_model(name):
        close = difflib.get_close_matches(name, timm.list_models(), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"{key}: '{name}' is not a timm model{hint}")
    try:
        return timm.create_model(name, pretrained=False, **kwargs)
    except (TypeError, RuntimeError, ValueError, AssertionError) as err:
        raise ConfigError(f"{key}: timm cannot build '{name}' as needed here ({err})") from None


def check_patch_size(model, key, expected):
    """ConfigError unless the transformer `model` cuts images into `expected` x `expected` patches."""
    patch = tuple(model.patch_embed.patch_size)
    if patch != (expected, expected):
        raise ConfigError(f"{key}: the backbone needs patches of {expected}x{expected} pixels, this model has {patch}")
