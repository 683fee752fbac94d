"""Every KD loss against its formula on hand-made tensors, ~0 for a perfect student, > 0 otherwise."""
import math

import pytest
import torch
from detectron2.modeling import ShapeSpec

from distildoc_d2 import load_config
from distildoc_d2.distillation import DISTILL_METHOD_REGISTRY, DistillBatch
from distildoc_d2.distillation.losses import (
    box_mask,
    hierarchical_context_loss,
    kl_logit_loss,
    masked_mse,
    standardize_channels,
)
from distildoc_d2.distillation.schedule import kd_weight


def test_masked_mse_formula():
    s = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    t = torch.tensor([[[[0.0, 2.0], [5.0, 4.0]]]])
    assert masked_mse(s, t).item() == pytest.approx((1 + 0 + 4 + 0) / 4)
    w = torch.tensor([[[[1.0, 0.0], [0.5, 0.0]]]])
    assert masked_mse(s, t, w).item() == pytest.approx((1 * 1 + 0.5 * 4) / 1.5)


def test_hierarchical_context_loss_formula():
    torch.manual_seed(0)
    s, t = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)

    def mse(a, b):
        return ((a - b) ** 2).mean().item()

    def pool(x, k):
        h = x.shape[-1] // k
        return x.reshape(2, 3, k, h, k, h).mean(dim=(3, 5))

    expected = (mse(s, t) + 0.5 * mse(pool(s, 4), pool(t, 4)) + 0.25 * mse(pool(s, 2), pool(t, 2))
                + 0.125 * mse(pool(s, 1), pool(t, 1))) / (1 + 0.5 + 0.25 + 0.125)
    assert hierarchical_context_loss(s, t).item() == pytest.approx(expected, rel=1e-5)
    # a 2x2 map skips the 4x4 and 2x2 pools: only full resolution (1) and 1x1 (1/2) remain
    s2, t2 = s[..., :2, :2], t[..., :2, :2]
    expected2 = (mse(s2, t2) + 0.5 * mse(pool(s2, 1), pool(t2, 1))) / 1.5
    assert hierarchical_context_loss(s2, t2).item() == pytest.approx(expected2, rel=1e-5)


def test_kl_logit_loss_formula():
    s = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    t = torch.tensor([[1.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    temperature = 2.0
    total = 0.0
    for row_s, row_t in zip(s.tolist(), t.tolist()):
        zs = [math.exp(v / temperature) for v in row_s]
        zt = [math.exp(v / temperature) for v in row_t]
        ps = [v / sum(zs) for v in zs]
        pt = [v / sum(zt) for v in zt]
        total += sum(q * math.log(q / p) for p, q in zip(ps, pt))
    expected = total / 2 * temperature**2
    assert kl_logit_loss(s, t, temperature).item() == pytest.approx(expected, rel=1e-6)
    assert kl_logit_loss(t, t, temperature).item() == pytest.approx(0.0, abs=1e-7)


def test_box_mask_marks_cells_whose_centres_are_inside():
    boxes = [torch.tensor([[0.0, 0.0, 8.0, 4.0]]), torch.zeros(0, 4)]
    mask = box_mask(boxes, (2, 3), stride=4, device="cpu")
    # cell centres at 2, 6 (y) and 2, 6, 10 (x)
    assert mask[0, 0].tolist() == [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    assert mask[1].sum().item() == 0


def test_kd_weight_schedule():
    assert [kd_weight(i, start=2, stop=6, warmup=2) for i in range(8)] == [0, 0, 0.5, 1, 1, 1, 0, 0]
    assert kd_weight(100) == 1.0


SHAPES = {f"p{i}": ShapeSpec(channels=8, stride=2**i) for i in range(2, 7)}


def _features(seed, batch=2):
    g = torch.Generator().manual_seed(seed)
    return {f"p{i}": torch.randn(batch, 8, 128 // 2**i, 96 // 2**i, generator=g) for i in range(2, 7)}


def _method(name, projector="none", **overrides):
    opts = ["MODEL.DISTILL.FEATURE_MSE.PROJECTOR", projector]
    for key, value in overrides.items():
        opts += [key, str(value)]
    cfg = load_config("", opts)
    torch.manual_seed(0)
    return DISTILL_METHOD_REGISTRY[name](cfg, SHAPES, SHAPES)


@pytest.mark.parametrize("name", ["feature_mse", "simkd"])
def test_feature_losses_are_the_summed_level_mse(name):
    method = _method(name)
    s, t = _features(1), _features(2)
    loss = next(iter(method(DistillBatch(s, t)).values()))
    expected = sum(((s[k] - t[k]) ** 2).mean() for k in s)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    perfect = next(iter(method(DistillBatch(t, t)).values()))
    assert perfect.item() == pytest.approx(0.0, abs=1e-9)


def test_feature_mse_background_weight_uses_the_boxes():
    method = _method("feature_mse", **{"MODEL.DISTILL.FEATURE_MSE.BACKGROUND_WEIGHT": 0.0,
                                       "MODEL.DISTILL.LEVELS": "('p2',)"})
    s, t = _features(1), _features(2)
    boxes = [torch.tensor([[0.0, 0.0, 16.0, 16.0]]), torch.tensor([[16.0, 16.0, 96.0, 64.0]])]
    loss = method(DistillBatch(s, t, gt_boxes=boxes))["loss_kd_feature_mse"]
    w = box_mask(boxes, s["p2"].shape[-2:], 4, "cpu")
    expected = (((s["p2"] - t["p2"]) ** 2) * w).sum() / (w.sum() * 8)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_standardize_channels_formula():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 6.0]], [[5.0, 5.0], [5.0, 5.0]]]])
    z = standardize_channels(x, eps=1e-12)
    values = [1.0, 2.0, 3.0, 6.0]
    mean = sum(values) / 4
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / 4)
    assert z[0, 0].flatten().tolist() == pytest.approx([(v - mean) / std for v in values], rel=1e-5)
    assert z[0, 1].abs().max().item() == 0.0  # a constant channel maps to 0, not NaN


def test_normalized_feature_mse_is_one_minus_correlation_and_scale_free():
    method = _method("feature_mse", **{"MODEL.DISTILL.FEATURE_MSE.NORMALIZE": True})
    s, t = _features(1), _features(2)
    loss = method(DistillBatch(s, t))["loss_kd_feature_mse"]
    expected = 0.0
    for k in s:
        a = s[k].flatten(2) - s[k].flatten(2).mean(-1, keepdim=True)
        b = t[k].flatten(2) - t[k].flatten(2).mean(-1, keepdim=True)
        pearson = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))
        expected += (2 * (1 - pearson)).mean().item()
    assert loss.item() == pytest.approx(expected, rel=1e-4)
    scaled = {k: 10.0 * v + 3.0 for k, v in t.items()}
    assert method(DistillBatch(s, scaled))["loss_kd_feature_mse"].item() == pytest.approx(loss.item(), rel=1e-4)
    assert method(DistillBatch(scaled, t))["loss_kd_feature_mse"].item() == pytest.approx(0.0, abs=1e-4)


def test_reviewkd_is_hcl_of_the_fused_levels():
    method = _method("reviewkd", **{"MODEL.DISTILL.REVIEWKD.MID_CHANNELS": 4})
    assert method.levels == ["p6", "p5", "p4", "p3", "p2"]
    s, t = _features(1), _features(2)
    loss = method(DistillBatch(s, t))["loss_kd_reviewkd"]
    expected, coarser = 0.0, None
    for level in method.levels:
        out, coarser = method.fusions[level](s[level], coarser)
        expected += hierarchical_context_loss(out, t[level]).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert loss.item() > 0


def test_roi_kd_formula_and_box_term():
    method = _method("roi_kd", **{"MODEL.DISTILL.ROI_KD.TEMPERATURE": 3.0, "MODEL.DISTILL.ROI_KD.BOX_WEIGHT": 2.0})
    s_logits = torch.tensor([[1.0, 0.0, 0.5], [0.0, 2.0, 0.0]])
    t_logits = torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, 4.0]])  # proposal 0 -> class 0, 1 -> background (2)
    s_deltas = torch.arange(16, dtype=torch.float32).view(2, 8) / 10
    t_deltas = torch.zeros(2, 8)
    losses = method(DistillBatch({}, {}, student_roi=(s_logits, s_deltas), teacher_roi=(t_logits, t_deltas)))
    assert losses["loss_kd_roi_cls"].item() == pytest.approx(kl_logit_loss(s_logits, t_logits, 3.0).item())
    # foreground proposal 0 with class 0: deltas 0.0..0.3 vs 0, smooth-L1 (beta 1) = 0.5 x^2
    expected_box = sum(0.5 * (v / 10) ** 2 for v in range(4)) / 4
    assert losses["loss_kd_roi_box"].item() == pytest.approx(2.0 * expected_box, rel=1e-6)
    same = method(DistillBatch({}, {}, student_roi=(t_logits, t_deltas), teacher_roi=(t_logits, t_deltas)))
    assert all(v.item() == pytest.approx(0.0, abs=1e-7) for v in same.values())


@pytest.mark.parametrize("name", ["feature_mse", "reviewkd"])
def test_learnable_methods_reduce_their_loss(name):
    method = _method(name, projector="conv1x1", **{"MODEL.DISTILL.REVIEWKD.MID_CHANNELS": 8})
    s = _features(1)
    teacher = {k: 0.5 * v + 0.1 for k, v in s.items()}  # a target that a linear projector can reach
    optimizer = torch.optim.Adam(method.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        loss = sum(method(DistillBatch(s, teacher)).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
