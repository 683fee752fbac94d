"""The distillation losses as plain functions of tensors, each written as its formula."""
import torch
import torch.nn.functional as F


def masked_mse(student, teacher, weight=None):
    """Mean squared error over all elements, or, with a (N, 1, H, W) `weight` map, the
    weight-normalised sum: sum(w * (s - t)^2) / (sum(w) * C)."""
    if weight is None:
        return F.mse_loss(student, teacher)
    squared = (student - teacher).pow(2) * weight
    return squared.sum() / (weight.sum() * student.shape[1]).clamp(min=1.0)


def standardize_channels(features, eps=1e-6):
    """Each channel of each image standardised over its positions: (x - mean) / sqrt(var + eps),
    population variance. MSE between standardised maps is 2 * (1 - Pearson correlation) per
    channel: it ignores the scale and offset of the teacher's features (PKD, Cao et al. 2022).
    Computed in float32 whatever the input (under AMP, fp16 means and variances of large maps
    lose precision or overflow; autocast does not upcast them)."""
    features = features.float()
    mean = features.mean(dim=(-2, -1), keepdim=True)
    var = features.var(dim=(-2, -1), keepdim=True, unbiased=False)
    return (features - mean) / torch.sqrt(var + eps)


def hierarchical_context_loss(student, teacher, pool_sizes=(4, 2, 1)):
    """ReviewKD's HCL for one level: MSE at full resolution (weight 1) plus MSE of adaptive
    average pools to each size in `pool_sizes` smaller than the map (weights 1/2, 1/4, ...),
    divided by the sum of the weights used."""
    loss = F.mse_loss(student, teacher)
    weight, total = 1.0, 1.0
    for size in pool_sizes:
        if size >= student.shape[-2] and size >= student.shape[-1]:
            continue
        weight /= 2.0
        loss = loss + weight * F.mse_loss(F.adaptive_avg_pool2d(student, size), F.adaptive_avg_pool2d(teacher, size))
        total += weight
    return loss / total


def kl_logit_loss(student_logits, teacher_logits, temperature):
    """Hinton's response KD: T^2 * KL(softmax(t/T) || softmax(s/T)), averaged over rows."""
    log_p_student = F.log_softmax(student_logits / temperature, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits / temperature, dim=-1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1)
    return kl.mean() * temperature**2


def box_mask(boxes_per_image, shape, stride, device):
    """A (N, 1, H, W) map that is 1 inside any ground-truth box (image pixels, XYXY) of each
    image and 0 elsewhere, on a feature grid of `shape` (H, W) at `stride`; all 1 for an image
    whose boxes are None (an unlabelled page: no position is known to be background)."""
    height, width = shape
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) * stride
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) * stride
    masks = []
    for boxes in boxes_per_image:
        if boxes is None:
            masks.append(torch.ones(height, width, device=device))
            continue
        if len(boxes) == 0:
            masks.append(torch.zeros(height, width, device=device))
            continue
        inside_y = (ys[None, :] >= boxes[:, 1:2]) & (ys[None, :] <= boxes[:, 3:4])
        inside_x = (xs[None, :] >= boxes[:, 0:1]) & (xs[None, :] <= boxes[:, 2:3])
        masks.append((inside_y[:, :, None] & inside_x[:, None, :]).any(dim=0).float())
    return torch.stack(masks)[:, None]
