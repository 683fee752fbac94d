"""DistillationRCNN: a frozen teacher, KD losses that vanish for a perfect student, supervision
modes, schedule, strict teacher loading, checkpoints that hold the student only."""
import os

import pytest
import torch
from detectron2.modeling import build_model
from detectron2.solver import build_optimizer
from detectron2.structures import Boxes, Instances, PolygonMasks
from detectron2.utils.events import EventStorage

from distildoc_d2 import load_config
from distildoc_d2.errors import CheckpointError, ConfigError

from conftest import REPO

TEACHER_CFG = os.path.join(REPO, "configs", "demo", "teacher_R50_FPN.yaml")
SMALL = ["MODEL.DEVICE", "cpu", "MODEL.RPN.POST_NMS_TOPK_TRAIN", "100", "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "32"]
R18_STUDENT = ["MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.RES2_OUT_CHANNELS", "64", "MODEL.FPN.OUT_CHANNELS", "64"]


@pytest.fixture(scope="module")
def teacher_weights(module_tmp):
    """A randomly initialised teacher (R50-FPN, 11 classes) saved as a weights file."""
    torch.manual_seed(0)
    model = build_model(load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu"]))
    path = module_tmp("teacher") / "teacher.pth"
    torch.save({"model": model.state_dict()}, path)
    return str(path)


def kd_model(teacher_weights, methods, *opts, load=True):
    cfg = load_config(TEACHER_CFG, SMALL + [
        "MODEL.META_ARCHITECTURE", "DistillationRCNN",
        "MODEL.DISTILL.TEACHER_CONFIG", TEACHER_CFG,
        "MODEL.DISTILL.TEACHER_WEIGHTS", teacher_weights,
        "MODEL.DISTILL.METHODS", str(tuple(methods)),
        "MODEL.DISTILL.LOSS_WEIGHTS", str(tuple(1.0 for _ in methods)),
        *opts,
    ])
    torch.manual_seed(1)
    model = build_model(cfg)
    if load:
        model.load_teacher()
    model.train()
    return cfg, model


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    items = []
    for _ in range(2):
        inst = Instances((128, 96))
        inst.gt_boxes = Boxes(torch.tensor([[8.0, 8.0, 88.0, 40.0], [10.0, 60.0, 50.0, 120.0]]))
        inst.gt_classes = torch.tensor([9, 6])
        inst.gt_masks = PolygonMasks([[[8.0, 8.0, 88.0, 8.0, 88.0, 40.0, 8.0, 40.0]],
                                      [[10.0, 60.0, 50.0, 60.0, 50.0, 120.0, 10.0, 120.0]]])
        items.append({"image": torch.rand(3, 128, 96, generator=g) * 255, "instances": inst})
    return items


def run(model, inputs, iteration=0):
    with EventStorage(iteration):
        return model(inputs)


def test_teacher_stays_frozen_and_outside_the_student(teacher_weights):
    cfg, model = kd_model(teacher_weights, ["feature_mse", "reviewkd", "roi_kd"], *R18_STUDENT,
                          "MODEL.DISTILL.ROI_KD.BOX_WEIGHT", "1.0")
    teacher = model.teacher
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student_before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = build_optimizer(cfg, model)
    optimized = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert not optimized & {id(p) for p in teacher.parameters()}
    for step in range(3):
        losses = run(model, batch(step), step)
        assert {"loss_kd_feature_mse", "loss_kd_reviewkd", "loss_kd_roi_cls", "loss_kd_roi_box", "loss_cls"} <= set(losses)
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    assert not teacher.training and model.training
    assert all(p.grad is None and not p.requires_grad for p in teacher.parameters())
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, before[key]), key
    state = model.state_dict()
    assert not any(k.startswith("teacher") for k in state)
    assert any(k.startswith("distillers.") for k in state)
    assert any(not torch.equal(state[k], student_before[k]) for k in state if k.startswith("backbone."))
    model.train()
    assert not teacher.training


def test_kd_losses_vanish_for_a_copy_of_the_teacher(teacher_weights):
    _, model = kd_model(teacher_weights, ["feature_mse", "roi_kd"], "MODEL.DISTILL.FEATURE_MSE.PROJECTOR", "none")
    model.load_state_dict(model.teacher.state_dict(), strict=False)
    losses = run(model, batch())
    assert losses["loss_kd_feature_mse"].item() < 1e-10
    assert losses["loss_kd_roi_cls"].item() < 1e-8
    with torch.no_grad():
        model.backbone.fpn_output3.weight.add_(0.01)
        model.roi_heads.box_predictor.cls_score.bias.add_(torch.linspace(0, 1, 12))
    losses = run(model, batch())
    assert losses["loss_kd_feature_mse"].item() > 1e-6
    assert losses["loss_kd_roi_cls"].item() > 1e-4


def test_simkd_copies_the_teacher_heads_and_vanishes_for_a_copy(teacher_weights):
    _, model = kd_model(teacher_weights, ["simkd"], "MODEL.DISTILL.SIMKD.PROJECTOR", "none",
                        "MODEL.DISTILL.SUPERVISION", "distill_only")
    teacher = model.teacher
    for key, value in teacher.roi_heads.state_dict().items():
        assert torch.equal(model.roi_heads.state_dict()[key], value)
    assert not any(p.requires_grad for p in model.roi_heads.parameters())
    assert all(p.requires_grad for p in model.backbone.parameters())
    model.backbone.body.load_state_dict(teacher.backbone.state_dict())
    losses = run(model, batch())
    assert set(losses) == {"loss_kd_simkd"}
    assert losses["loss_kd_simkd"].item() < 1e-10


def test_simkd_student_learns_to_imitate(teacher_weights):
    cfg, model = kd_model(teacher_weights, ["simkd"], *R18_STUDENT, "MODEL.DISTILL.SUPERVISION", "distill_only",
                          "SOLVER.BASE_LR", "0.02", "SOLVER.CLIP_GRADIENTS.ENABLED", "False")
    optimizer = build_optimizer(cfg, model)
    inputs = batch()
    history = []
    for step in range(8):
        loss = run(model, inputs, step)["loss_kd_simkd"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    assert history[-1] < 0.8 * history[0]


def test_supervision_modes_and_schedule(teacher_weights):
    _, model = kd_model(teacher_weights, ["feature_mse"], *R18_STUDENT, "MODEL.DISTILL.SUPERVISION", "supervised_only")
    assert not any(k.startswith("loss_kd") for k in run(model, batch()))
    _, model = kd_model(teacher_weights, ["feature_mse"], *R18_STUDENT, "MODEL.DISTILL.SUPERVISION", "distill_only")
    assert set(run(model, batch())) == {"loss_kd_feature_mse"}
    _, model = kd_model(teacher_weights, ["feature_mse"], *R18_STUDENT, "MODEL.DISTILL.START_ITER", "5",
                        "MODEL.DISTILL.WARMUP_ITERS", "4")
    assert run(model, batch(), iteration=4)["loss_kd_feature_mse"].item() == 0.0
    at_5 = run(model, batch(), iteration=5)["loss_kd_feature_mse"].item()
    at_9 = run(model, batch(), iteration=9)["loss_kd_feature_mse"].item()
    assert at_5 > 0 and at_9 == pytest.approx(4 * at_5, rel=1e-5)


def test_teacher_loading_is_strict_and_loud(teacher_weights, tmp_path):
    with pytest.raises(ConfigError, match="predicts 11 classes but the student 5"):
        kd_model(teacher_weights, ["feature_mse"], "MODEL.ROI_HEADS.NUM_CLASSES", "5")
    with pytest.raises(CheckpointError, match="does not exist"):
        kd_model(str(tmp_path / "missing.pth"), ["feature_mse"])
    r101 = os.path.join(REPO, "configs", "demo", "teacher_R101_FPN.yaml")
    with pytest.raises(CheckpointError, match=r"missing from the file: .*backbone.bottom_up.res4.6.conv1.weight"):
        kd_model(teacher_weights, ["feature_mse"], "MODEL.DISTILL.TEACHER_CONFIG", r101)
    with pytest.raises(ConfigError, match="unknown method 'fitnet'"):
        kd_model(teacher_weights, ["fitnet"])
    with pytest.raises(ConfigError, match="one weight per method"):
        kd_model(teacher_weights, ["feature_mse"], "MODEL.DISTILL.LOSS_WEIGHTS", "(1.0, 2.0)")
    _, model = kd_model(teacher_weights, ["feature_mse"], load=False)
    with pytest.raises(RuntimeError, match="without its teacher's weights"):
        run(model, batch())


def test_teacher_gets_its_own_preprocessing(teacher_weights):
    """A ViT-T student (RGB, mean/std 127.5) beside the R50 teacher (BGR, ImageNet mean, std 1),
    the teacher seeing the page at 1.5x: each normalises, orders channels and scales its own way."""
    vit = os.path.join(REPO, "configs", "demo", "supervised_ViT-T_FPN.yaml")
    cfg = load_config(vit, SMALL + [
        "MODEL.META_ARCHITECTURE", "DistillationRCNN", "MODEL.DISTILL.TEACHER_CONFIG", TEACHER_CFG,
        "MODEL.DISTILL.TEACHER_WEIGHTS", teacher_weights, "MODEL.DISTILL.METHODS", "('feature_mse', 'roi_kd')",
        "MODEL.DISTILL.LOSS_WEIGHTS", "(1.0, 1.0)", "MODEL.DISTILL.TEACHER_INPUT_SCALE", "1.5",
    ])
    model = build_model(cfg)
    model.load_teacher()
    model.train()
    inputs = batch()
    seen = model.teacher_images(inputs).tensor
    teacher = model.teacher
    expected = torch.nn.functional.interpolate(inputs[0]["image"].flip(0)[None], scale_factor=1.5, mode="bilinear")[0]
    expected = (expected - teacher.pixel_mean) / teacher.pixel_std
    assert seen.shape[-2:] == (192, 160)  # 192x144 padded to a multiple of 32
    assert torch.allclose(seen[0, :, :192, :144], expected, atol=1e-4)
    losses = run(model, inputs)
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses["loss_kd_feature_mse"] > 0 and "loss_kd_roi_cls" in losses
    sum(losses.values()).backward()
    assert all(p.grad is None for p in teacher.parameters())
