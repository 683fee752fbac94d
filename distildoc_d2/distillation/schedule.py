"""When KD losses count: start/stop iterations and a linear warm-up of their weight."""


def kd_weight(iteration, start=0, stop=-1, warmup=0):
    """Multiplier of every KD loss at `iteration`: 0 before `start` and from `stop` on (stop < 0:
    never), rising linearly from 1/warmup to 1 over the `warmup` iterations after `start`."""
    if iteration < start or 0 <= stop <= iteration:
        return 0.0
    if warmup > 0:
        return min(1.0, (iteration - start + 1) / warmup)
    return 1.0
