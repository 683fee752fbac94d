"""Shared fixtures: a small generated demo data set, registered under a temporary root."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Overrides that make a Mask R-CNN train in about a second per iteration on 2 CPU cores.
TINY_MODEL = [
    "MODEL.DEVICE", "cpu",
    "INPUT.MIN_SIZE_TRAIN", "(160,)", "INPUT.MAX_SIZE_TRAIN", "224",
    "INPUT.MIN_SIZE_TEST", "160", "INPUT.MAX_SIZE_TEST", "224",
    "MODEL.RPN.POST_NMS_TOPK_TRAIN", "200", "MODEL.RPN.POST_NMS_TOPK_TEST", "100",
    "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "64",
    "MODEL.FLOPS_INPUT_SIZE", "()",
    "DATALOADER.NUM_WORKERS", "0",
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.WARMUP_ITERS", "0",
]


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory):
    """A small demo tree (layout train/val, classification set, PDFs) registered as the data root."""
    from distildoc_d2.data import register_builtin_datasets
    from distildoc_d2.data.synthetic import generate_demo_data

    root = tmp_path_factory.mktemp("datasets")
    generate_demo_data(str(root / "demo"), seed=0, small=True, progress=False)
    register_builtin_datasets(str(root))
    return root


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory):
    """Makes folders for one test module's shared runs; all are removed when the module ends,
    so that the suite's checkpoints never pile up on the disk (a full run writes ~14 GB)."""
    root = tmp_path_factory.mktemp("module")
    yield lambda name: Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    shutil.rmtree(root, ignore_errors=True)


def run_tool(script, *args, env_root=None, timeout=900):
    """Run a tools/ script in a fresh interpreter; returns the CompletedProcess."""
    env = dict(os.environ)
    if env_root is not None:
        env["DISTILDOC_DATASETS"] = str(env_root)
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", script), *map(str, args)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )


def write_pdf(path, objects, trailer=b""):
    """Write a PDF made of `objects` (object bodies numbered from 1; object 1 the catalog) with a
    correct cross-reference table; `trailer` adds entries to the trailer dictionary."""
    data, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += (b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
             % (len(objects) + 1, trailer, xref))
    path.write_bytes(bytes(data))
    return str(path)
