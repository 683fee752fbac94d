"""Config keys of document image classification (DIC) and its distillation, each with its default."""
from detectron2.config import CfgNode as CN


def _add_model_keys(node):
    # Name of the builder in DIC_MODEL_REGISTRY that makes the classifier ("timm": any timm model by name).
    node.BUILDER = "timm"
    # timm model name: resnet50, vit_small_patch16_224, beit_base_patch16_224 (DiT's architecture), any timm CNN.
    node.ARCH = "resnet50"
    # Number of output classes; must equal the class count of the training set (16 for RVL-CDIP).
    node.NUM_CLASSES = 16
    # Dropout rate before the classifier (timm `drop_rate`).
    node.DROP_RATE = 0.0
    # Stochastic depth rate (timm `drop_path_rate`); 0 disables it.
    node.DROP_PATH_RATE = 0.0
    # Further keyword arguments of timm.create_model, set in YAML (e.g. `depth: 4`, `embed_dim: 96`).
    node.KWARGS = CN(new_allowed=True)
    # RGB mean the model subtracts from its input (pixels scaled to 0..1).
    node.PIXEL_MEAN = (0.485, 0.456, 0.406)
    # RGB standard deviation the model divides its input by (pixels scaled to 0..1).
    node.PIXEL_STD = (0.229, 0.224, 0.225)
    # Local timm-format weights for the backbone only (e.g. ImageNet): the classifier is dropped and
    # re-initialised, ViT position embeddings are resampled to DIC.INPUT_SIZE; "" = random init.
    node.BACKBONE_WEIGHTS = ""


def add_classification_config(cfg):
    """Add the keys that the DIC trainer, its distillation methods and its tools read."""
    cfg.MODEL.CLASSIFIER = CN()
    _add_model_keys(cfg.MODEL.CLASSIFIER)

    cfg.DIC = CN()
    # (height, width) every page is resized to before it enters the model.
    cfg.DIC.INPUT_SIZE = (224, 224)
    # "stretch": resize to INPUT_SIZE; "pad": fit inside INPUT_SIZE keeping the aspect ratio, pad with white.
    cfg.DIC.RESIZE_MODE = "stretch"
    # Random training augmentation (small shift/scale/rotation, contrast); must be off for the teacher cache.
    cfg.DIC.AUGMENT = False
    # Skip and count unreadable images instead of stopping with an error that names the file.
    cfg.DIC.SKIP_UNREADABLE = False
    # Number of equal-mass confidence bins of the ECE and of the reliability diagram.
    cfg.DIC.ECE_BINS = 15
    # Images per batch and process during evaluation.
    cfg.DIC.TEST_BATCH_SIZE = 32

    # Optimizer: "AdamW" (paper recipe; SOLVER.BETAS) or "SGD" (SOLVER.MOMENTUM and NESTEROV).
    cfg.SOLVER.OPTIMIZER = "AdamW"
    cfg.SOLVER.BETAS = (0.9, 0.999)

    cfg.DISTILL_DIC = CN()
    # Training objective, a name in DIC_METHOD_REGISTRY: ce (no teacher), kd, nkd, mse, dkd, simkd, fitnet.
    cfg.DISTILL_DIC.METHOD = "ce"

    cfg.DISTILL_DIC.TEACHER = CN()
    # Config file the teacher was trained with (its MODEL.CLASSIFIER builds the teacher); a relative path
    # is looked up from the working directory, then beside the config file that names it.
    cfg.DISTILL_DIC.TEACHER.CONFIG_FILE = ""
    # Teacher weights (model_final.pth of the teacher's run), loaded strictly; required by all methods but ce.
    cfg.DISTILL_DIC.TEACHER.WEIGHTS = ""
    # Run the teacher once over DATASETS.TRAIN and reuse its outputs every epoch (DIC.AUGMENT must be off).
    cfg.DISTILL_DIC.TEACHER.CACHE = False

    cfg.DISTILL_DIC.CE = CN()
    # Label smoothing of the cross-entropy baseline.
    cfg.DISTILL_DIC.CE.LABEL_SMOOTHING = 0.0

    cfg.DISTILL_DIC.KD = CN()
    # Softmax temperature T of vanilla KD.
    cfg.DISTILL_DIC.KD.TEMPERATURE = 2.5
    # Weight alpha of the cross-entropy; the KL term gets (1 - alpha) * T^2.
    cfg.DISTILL_DIC.KD.ALPHA = 0.5

    cfg.DISTILL_DIC.NKD = CN()
    # Temperature T of NKD's non-target term (the target term always uses T = 1).
    cfg.DISTILL_DIC.NKD.TEMPERATURE = 1.0
    # Weight gamma of NKD's non-target term.
    cfg.DISTILL_DIC.NKD.GAMMA = 1.5
    # Weight of an added cross-entropy with the labels (0 = the paper's NKD alone).
    cfg.DISTILL_DIC.NKD.CE_WEIGHT = 0.0

    cfg.DISTILL_DIC.MSE = CN()
    # Weight of the logit MSE (the method has no cross-entropy term).
    cfg.DISTILL_DIC.MSE.WEIGHT = 1.0

    cfg.DISTILL_DIC.DKD = CN()
    # Temperature T of decoupled KD (both terms are scaled by T^2).
    cfg.DISTILL_DIC.DKD.TEMPERATURE = 4.0
    # Weight alpha of the target-class term (TCKD).
    cfg.DISTILL_DIC.DKD.ALPHA = 1.0
    # Weight beta of the non-target-class term (NCKD).
    cfg.DISTILL_DIC.DKD.BETA = 8.0
    # Weight of the cross-entropy with the labels.
    cfg.DISTILL_DIC.DKD.CE_WEIGHT = 1.0
    # Iterations over which the DKD weight ramps linearly from 0 to 1 (0 = full weight at once).
    cfg.DISTILL_DIC.DKD.WARMUP_ITERS = 0

    cfg.DISTILL_DIC.SIMKD = CN()
    # Projector: "cnn" (1x1-3x3-1x1 convs on the last feature map, then average pooling) or
    # "mlp" (MLP on the pooled / CLS feature); the student then classifies with the teacher's frozen head.
    cfg.DISTILL_DIC.SIMKD.PROJECTOR = "cnn"
    # Hidden width of the MLP projector (0 = the teacher's feature width).
    cfg.DISTILL_DIC.SIMKD.MLP_HIDDEN = 0
    # Weight of the MSE between projected student and teacher penultimate features.
    cfg.DISTILL_DIC.SIMKD.WEIGHT = 1.0

    cfg.DISTILL_DIC.FITNET = CN()
    # Student layer whose output is the hint target (timm feature index: ResNet 0-4 = stem, stages 1-4;
    # ViT = block index); -1 = the middle (ResNet stage 3, block depth/2 - 1 of a ViT).
    cfg.DISTILL_DIC.FITNET.STUDENT_LAYER = -1
    # Teacher layer that gives the hint, indexed the same way; -1 = the middle.
    cfg.DISTILL_DIC.FITNET.TEACHER_LAYER = -1
    # Weight of the hint MSE; the cross-entropy has weight 1.
    cfg.DISTILL_DIC.FITNET.WEIGHT = 1.0
