"""Each DIC training objective against its formula, computed independently with numpy on
hand-made logits."""
import math

import numpy as np
import pytest
import torch

from distildoc_d2.classification.config import add_classification_config
from distildoc_d2.classification.methods import DIC_METHOD_REGISTRY, dkd_loss, kd_loss, nkd_loss
from distildoc_d2.config import load_config

STUDENT = np.array([[2.0, 0.5, -1.0, 0.3], [0.1, 1.5, 0.2, -0.4], [-0.3, 0.0, 2.2, 1.1]])
TEACHER = np.array([[3.0, 0.2, -0.5, 0.1], [0.4, 2.5, -0.2, 0.0], [0.2, -1.0, 1.8, 1.6]])
LABELS = np.array([0, 1, 3])


def softmax(row, temperature=1.0):
    e = [math.exp(v / temperature) for v in row]
    return [v / sum(e) for v in e]


def cross_entropy(logits, labels):
    return float(np.mean([-math.log(softmax(row)[y]) for row, y in zip(logits, labels)]))


def kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q) if pi > 0)


def non_target(row, y, temperature):
    """softmax(z / T) over the classes other than y (renormalised), as a list without y."""
    return softmax([v for k, v in enumerate(row) if k != y], temperature)


def as_tensors():
    return torch.tensor(STUDENT), torch.tensor(TEACHER), torch.tensor(LABELS)


def cfg_with(*overrides):
    return load_config("", list(overrides), extra_setup=(add_classification_config,))


def test_vanilla_kd_is_alpha_ce_plus_one_minus_alpha_t2_kl():
    temperature, alpha = 2.5, 0.3
    kl_mean = np.mean([kl(softmax(t, temperature), softmax(s, temperature)) for s, t in zip(STUDENT, TEACHER)])
    expected_ce = alpha * cross_entropy(STUDENT, LABELS)
    expected_kd = (1 - alpha) * temperature**2 * kl_mean
    got = kd_loss(*as_tensors(), temperature, alpha)
    assert got["loss_ce"].item() == pytest.approx(expected_ce, rel=1e-6)
    assert got["loss_kd"].item() == pytest.approx(expected_kd, rel=1e-6)


def test_vanilla_kd_t2_factor_and_alpha_extremes():
    only_kl = kd_loss(*as_tensors(), 2.0, 0.0)
    kl_mean = np.mean([kl(softmax(t, 2.0), softmax(s, 2.0)) for s, t in zip(STUDENT, TEACHER)])
    assert only_kl["loss_ce"].item() == 0.0
    assert only_kl["loss_kd"].item() == pytest.approx(4.0 * kl_mean, rel=1e-6)
    only_ce = kd_loss(*as_tensors(), 2.0, 1.0)
    assert only_ce["loss_kd"].item() == 0.0
    assert only_ce["loss_ce"].item() == pytest.approx(cross_entropy(STUDENT, LABELS), rel=1e-6)


@pytest.mark.parametrize("temperature,gamma", [(1.0, 1.5), (2.0, 0.7)])
def test_nkd_target_and_renormalised_non_target_terms(temperature, gamma):
    target = -np.mean([softmax(t)[y] * math.log(softmax(s)[y]) for s, t, y in zip(STUDENT, TEACHER, LABELS)])
    cross = [sum(tk * math.log(sk) for tk, sk in zip(non_target(t, y, temperature), non_target(s, y, temperature)))
             for s, t, y in zip(STUDENT, TEACHER, LABELS)]
    expected_non_target = -gamma * temperature**2 * np.mean(cross)
    got = nkd_loss(*as_tensors(), temperature, gamma)
    assert got["loss_nkd_target"].item() == pytest.approx(target, rel=1e-6)
    assert got["loss_nkd_nontarget"].item() == pytest.approx(expected_non_target, rel=1e-6)


def test_nkd_non_target_distribution_is_the_full_softmax_divided_by_one_minus_target():
    """NKD's paper writes the non-target distribution as p_k / (1 - p_y): the same numbers."""
    row, y, temperature = TEACHER[2], LABELS[2], 2.0
    full = softmax(row, temperature)
    normalized = [p / (1 - full[y]) for k, p in enumerate(full) if k != y]
    assert normalized == pytest.approx(non_target(row, y, temperature), rel=1e-12)


@pytest.mark.parametrize("temperature,alpha,beta", [(4.0, 1.0, 8.0), (1.0, 0.5, 2.0)])
def test_dkd_is_alpha_tckd_plus_beta_nckd_with_t2(temperature, alpha, beta):
    tckd, nckd = [], []
    for s, t, y in zip(STUDENT, TEACHER, LABELS):
        ps, pt = softmax(s, temperature), softmax(t, temperature)
        tckd.append(kl([pt[y], 1 - pt[y]], [ps[y], 1 - ps[y]]))
        nckd.append(kl(non_target(t, y, temperature), non_target(s, y, temperature)))
    got = dkd_loss(*as_tensors(), temperature, alpha, beta)
    assert got["loss_tckd"].item() == pytest.approx(alpha * temperature**2 * np.mean(tckd), rel=1e-6)
    assert got["loss_nckd"].item() == pytest.approx(beta * temperature**2 * np.mean(nckd), rel=1e-6)


def test_dkd_method_adds_ce_and_ramps_up_during_warmup():
    cfg = cfg_with("DISTILL_DIC.DKD.WARMUP_ITERS", "10")
    method = DIC_METHOD_REGISTRY.get("dkd")(cfg, None, None)
    s, t, y = as_tensors()
    full = dkd_loss(s, t, y, 4.0, 1.0, 8.0)
    early = method.losses({"logits": s}, {"logits": t}, y, iteration=0)
    assert early["loss_tckd"].item() == pytest.approx(0.1 * full["loss_tckd"].item(), rel=1e-6)
    assert early["loss_ce"].item() == pytest.approx(cross_entropy(STUDENT, LABELS), rel=1e-6)
    late = method.losses({"logits": s}, {"logits": t}, y, iteration=50)
    assert late["loss_nckd"].item() == pytest.approx(full["loss_nckd"].item(), rel=1e-6)


def test_logit_mse_has_no_label_term():
    method = DIC_METHOD_REGISTRY.get("mse")(cfg_with(), None, None)
    s, t, y = as_tensors()
    got = method.losses({"logits": s}, {"logits": t}, y)
    assert set(got) == {"loss_mse"}
    assert got["loss_mse"].item() == pytest.approx(float(np.mean((STUDENT - TEACHER) ** 2)), rel=1e-6)


def test_ce_baseline_has_no_teacher_and_no_kd_term():
    cls = DIC_METHOD_REGISTRY.get("ce")
    assert not cls.needs_teacher and cls.teacher_outputs == ()
    s, _, y = as_tensors()
    got = cls(cfg_with(), None, None).losses({"logits": s}, {}, y)
    assert set(got) == {"loss_ce"}
    assert got["loss_ce"].item() == pytest.approx(cross_entropy(STUDENT, LABELS), rel=1e-6)


def test_methods_read_their_own_hyperparameters():
    cfg = cfg_with("DISTILL_DIC.NKD.TEMPERATURE", "3.0", "DISTILL_DIC.NKD.GAMMA", "0.25", "DISTILL_DIC.NKD.CE_WEIGHT",
                   "0.5", "DISTILL_DIC.KD.TEMPERATURE", "7.0", "DISTILL_DIC.KD.ALPHA", "0.9")
    s, t, y = as_tensors()
    nkd = DIC_METHOD_REGISTRY.get("nkd")(cfg, None, None).losses({"logits": s}, {"logits": t}, y)
    expected = nkd_loss(s, t, y, 3.0, 0.25)
    assert nkd["loss_nkd_nontarget"].item() == pytest.approx(expected["loss_nkd_nontarget"].item(), rel=1e-9)
    assert nkd["loss_ce"].item() == pytest.approx(0.5 * cross_entropy(STUDENT, LABELS), rel=1e-6)
    kd = DIC_METHOD_REGISTRY.get("kd")(cfg, None, None).losses({"logits": s}, {"logits": t}, y)
    assert kd["loss_kd"].item() == pytest.approx(kd_loss(s, t, y, 7.0, 0.9)["loss_kd"].item(), rel=1e-9)


def test_losses_are_finite_for_confident_logits():
    s = torch.tensor([[60.0, -60.0, 0.0], [-50.0, 50.0, 10.0]], requires_grad=True)
    t = torch.tensor([[80.0, -80.0, 0.0], [-70.0, 70.0, 5.0]])
    y = torch.tensor([0, 1])
    total = sum(nkd_loss(s, t, y, 1.0, 1.5).values()) + sum(dkd_loss(s, t, y, 4.0, 1.0, 8.0).values())
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(s.grad).all()
