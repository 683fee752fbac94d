"""Inference speed of a Detectron2 model on real pages (batch 1, whole model: pre-processing
inside the model, network and post-processing)."""
import time

import torch


def images_per_second(model, images, warmup=1):
    """Median-based images/s of `model` (eval mode) over `images` (list of CHW float tensors in
    the model's input format, already resized), after `warmup` untimed runs."""
    model.eval()
    times = []
    with torch.no_grad():
        for i, image in enumerate(images[:warmup] + images):
            start = time.perf_counter()
            model([{"image": image, "height": image.shape[1], "width": image.shape[2]}])
            if i >= warmup:
                times.append(time.perf_counter() - start)
    times.sort()
    return 1.0 / times[len(times) // 2]
