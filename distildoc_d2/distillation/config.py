"""Config keys of the distillation meta-architecture (MODEL.DISTILL), with their defaults."""
from detectron2.config import CfgNode as CN


def add_distill_config(cfg):
    """Declare MODEL.DISTILL.* (teacher, methods and their weights, supervision, schedule)."""
    d = cfg.MODEL.DISTILL = CN()
    # The teacher: its own config file (any registered backbone) and weights file, both required
    # to train. Loading is strict: missing/unexpected keys or another class count stop the run.
    d.TEACHER_CONFIG = ""
    d.TEACHER_WEIGHTS = ""
    # The teacher sees the student's (resized) image scaled by this factor; 1.0 = the same size.
    d.TEACHER_INPUT_SCALE = 1.0
    # KD methods (names in DISTILL_METHOD_REGISTRY) and one loss weight for each.
    d.METHODS = ("feature_mse",)
    d.LOSS_WEIGHTS = (1.0,)
    # "both": supervised + KD losses; "distill_only": KD losses alone; "supervised_only": no KD
    # loss (the teacher is not even run), a baseline with the very same model and schedule.
    d.SUPERVISION = "both"
    # KD losses are 0 before START_ITER and from STOP_ITER on (-1: never stop), and ramp up
    # linearly over WARMUP_ITERS iterations after START_ITER.
    d.START_ITER = 0
    d.STOP_ITER = -1
    d.WARMUP_ITERS = 0
    # FPN levels that feature-based methods compare (student and teacher must both have them).
    d.LEVELS = ("p2", "p3", "p4", "p5", "p6")

    # feature_mse: FPN feature imitation, MSE(projector(student), teacher) per level.
    d.FEATURE_MSE = CN()
    d.FEATURE_MSE.PROJECTOR = "conv1x1"  # "none" (channels must match), "conv1x1" or "simkd"
    # Weight of feature positions outside every ground-truth box (1.0: no foreground masking).
    d.FEATURE_MSE.BACKGROUND_WEIGHT = 1.0
    # Standardise each channel of the (projected) student and the teacher map over its positions
    # before the MSE (PKD): the loss then compares feature correlations, whatever the teacher's
    # feature scale, and starts near 2 per level instead of at the teacher's magnitude.
    d.FEATURE_MSE.NORMALIZE = False

    # simkd: the student's features go through a per-level projector into the teacher's heads,
    # which are copied from the teacher and frozen; the loss is MSE(projected, teacher).
    d.SIMKD = CN()
    d.SIMKD.PROJECTOR = "simkd"  # "conv1x1" or "simkd" (1x1 -> 3x3 -> 1x1 convs with GN + ReLU)

    # reviewkd: attention-based fusion of student levels (coarse to fine) + hierarchical context loss.
    d.REVIEWKD = CN()
    d.REVIEWKD.MID_CHANNELS = 128
    d.REVIEWKD.POOL_SIZES = (4, 2, 1)

    # roi_kd: the teacher's box head on the student's sampled proposals; KL of class logits at
    # TEMPERATURE (times T^2), plus BOX_WEIGHT * smooth-L1 between the box deltas predicted for
    # the ground-truth class of each foreground proposal (0: no box distillation).
    d.ROI_KD = CN()
    d.ROI_KD.TEMPERATURE = 2.0
    d.ROI_KD.BOX_WEIGHT = 0.0
