"""The DIC trainer: every method end to end on the generated demo pages (library), the frozen
teacher, the teacher cache, tools/train_dic.py, export_dic.py and compare_dic.py (subprocess),
and the clear errors that bad input gets."""
import json
import math
import os
import shutil

import numpy as np
import pytest
import timm
import torch
from PIL import Image

from conftest import REPO, run_tool
from distildoc_d2.classification import (
    DeployedClassifier,
    build_dic_model,
    classification_metadata,
    get_classification_dataset,
    register_builtin_classification_datasets,
)
from distildoc_d2.classification.comparison import format_table, run_comparison
from distildoc_d2.classification.config import add_classification_config
from distildoc_d2.classification.distiller import build_teacher
from distildoc_d2.classification.images import load_page_tensor
from distildoc_d2.classification.loader import CheckedBatches, PageDataset, collate_pages
from distildoc_d2.classification.models import ImageClassifier, build_classifier, load_backbone_weights
from distildoc_d2.classification.run import validate_classification_config
from distildoc_d2.classification.teacher_cache import compute_teacher_cache
from distildoc_d2.classification.trainer import DICTrainer
from distildoc_d2.config import load_config
from distildoc_d2.errors import CheckpointError, ConfigError, DatasetError

DEMO = os.path.join(REPO, "configs", "dic", "demo")
STUDENT_CONFIG = os.path.join(DEMO, "supervised_resnet10t.yaml")
TEACHER_CONFIG = os.path.join(DEMO, "teacher_resnet18.yaml")
# Tiny pages and schedule: a run takes seconds on 2 CPU cores.
TINY = ["DIC.INPUT_SIZE", "(32, 24)", "SOLVER.IMS_PER_BATCH", "8", "SOLVER.MAX_ITER", "2", "SOLVER.WARMUP_ITERS", "0",
        "DIC.TEST_BATCH_SIZE", "16", "SOLVER.LOG_PERIOD", "1", "DATALOADER.NUM_WORKERS", "0"]
# (method, overrides, test id); the ce run also covers mixed precision (bfloat16 on CPU).
METHODS = [("ce", ["SOLVER.AMP.ENABLED", "True"], "ce-amp"), ("kd", [], "kd"), ("nkd", [], "nkd"), ("mse", [], "mse"),
           ("dkd", [], "dkd"), ("simkd", ["DISTILL_DIC.SIMKD.PROJECTOR", "cnn"], "simkd-cnn"),
           ("simkd", ["DISTILL_DIC.SIMKD.PROJECTOR", "mlp"], "simkd-mlp"), ("fitnet", [], "fitnet")]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread here and in the tools run below: tiny models gain nothing from more,
    and on a shared 2-core machine spinning OpenMP threads slow each step down several-fold."""
    threads, env = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    yield
    torch.set_num_threads(threads)
    if env is None:
        os.environ.pop("OMP_NUM_THREADS")
    else:
        os.environ["OMP_NUM_THREADS"] = env


def dic_cfg(config_file, *overrides):
    return load_config(config_file, [*TINY, *map(str, overrides)], extra_setup=(add_classification_config,))


@pytest.fixture(scope="module")
def cls_root(demo_root):
    register_builtin_classification_datasets(str(demo_root))
    return demo_root


@pytest.fixture(scope="module")
def teacher(module_tmp):
    """A teacher config (ResNet-18 at 32x24) and a random-init checkpoint of its run."""
    folder = module_tmp("teacher")
    config = folder / "teacher.yaml"
    config.write_text(f'_BASE_: "{TEACHER_CONFIG}"\nDIC:\n  INPUT_SIZE: (32, 24)\n')
    torch.manual_seed(0)
    model = build_dic_model(dic_cfg(str(config)))
    torch.save({"model": model.state_dict()}, folder / "model_final.pth")
    return {"config": str(config), "weights": str(folder / "model_final.pth")}


def student_cfg(teacher, method, *overrides, config_file=STUDENT_CONFIG):
    return dic_cfg(config_file, "DISTILL_DIC.METHOD", method, "DISTILL_DIC.TEACHER.CONFIG_FILE", teacher["config"],
                   "DISTILL_DIC.TEACHER.WEIGHTS", teacher["weights"], *overrides)


def demo_batch(indices):
    records = get_classification_dataset("distildoc_demo_cls_train")
    dataset = PageDataset(records, (32, 24))
    return collate_pages([dataset[i] for i in indices])


@pytest.mark.parametrize("method,extra", [m[:2] for m in METHODS], ids=[m[2] for m in METHODS])
def test_every_method_trains_end_to_end(cls_root, teacher, tmp_path, method, extra):
    """Loader, trainer, hooks and checkpoint for each method; the evaluation (tested on its own
    elsewhere) runs for the methods whose prediction differs: SimKD's goes through the teacher head."""
    evaluate = method == "simkd"
    tests = "('distildoc_demo_cls_test',)" if evaluate else "()"
    cfg = student_cfg(teacher, method, "OUTPUT_DIR", tmp_path, "DATASETS.TEST", tests, *extra)
    trainer = DICTrainer(cfg)
    trainer.resume_or_load(resume=False)
    results = trainer.train()
    metrics = [json.loads(line) for line in (tmp_path / "metrics.json").read_text().splitlines()]
    losses = [m["total_loss"] for m in metrics if "total_loss" in m]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    saved = torch.load(tmp_path / "model_final.pth", weights_only=True)["model"]
    assert saved.keys() == trainer.model.state_dict().keys()
    model = trainer.model.eval()
    deployed = DeployedClassifier(model)
    pages = demo_batch([0, 1])["images"]
    with torch.no_grad():
        assert torch.equal(deployed(pages), model.predict(pages))
    regressor = {id(p) for p in getattr(model.method, "regressor", torch.nn.Identity()).parameters()}
    assert regressor and method == "fitnet" or not regressor
    assert not regressor & {id(p) for p in deployed.parameters()}  # training-only parts are not deployed
    if evaluate:
        scores = results["distildoc_demo_cls_test"]
        assert all(math.isfinite(scores[k]) for k in ("accuracy", "macro_f1", "ece", "aurc", "brier", "nll"))
        assert scores["num_images"] == len(get_classification_dataset("distildoc_demo_cls_test"))


def test_schedule_follows_the_number_of_processes(cls_root, teacher):
    cfg = student_cfg(teacher, "dkd", "SOLVER.REFERENCE_WORLD_SIZE", 1, "SOLVER.MAX_ITER", 1000,
                      "SOLVER.IMS_PER_BATCH", 8, "DISTILL_DIC.DKD.WARMUP_ITERS", 100)
    scaled = DICTrainer.auto_scale_workers(cfg, 4)
    assert (scaled.SOLVER.MAX_ITER, scaled.SOLVER.IMS_PER_BATCH, scaled.DISTILL_DIC.DKD.WARMUP_ITERS) == (250, 32, 25)
    assert scaled.SOLVER.BASE_LR == pytest.approx(cfg.SOLVER.BASE_LR * 4)
    cfg.SOLVER.REFERENCE_WORLD_SIZE = 0  # Detectron2's default: no scaling
    assert DICTrainer.auto_scale_workers(cfg, 4) is cfg


@pytest.mark.parametrize("method,extra", [("simkd", ["DISTILL_DIC.SIMKD.PROJECTOR", "cnn"]),
                                          ("simkd", ["DISTILL_DIC.SIMKD.PROJECTOR", "mlp"]), ("fitnet", [])])
def test_vit_student_reads_tokens_as_maps_and_cls(cls_root, teacher, tmp_path, method, extra):
    config = tmp_path / "vit.yaml"
    config.write_text(f'_BASE_: "{STUDENT_CONFIG}"\nMODEL:\n  CLASSIFIER:\n    ARCH: vit_tiny_patch16_224\n'
                      "    KWARGS:\n      depth: 2\n")
    model = build_dic_model(student_cfg(teacher, method, *extra, config_file=str(config)))
    model.train()
    losses = model(demo_batch([0, 1, 2]))
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    assert model(demo_batch([0, 1]))[0].shape == (16,)


def test_teacher_is_frozen_and_outside_optimizer_checkpoint_and_module_tree(cls_root, teacher):
    cfg = student_cfg(teacher, "kd")
    model = build_dic_model(cfg)
    frozen = model.teacher
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    optimizer = DICTrainer.build_optimizer(cfg, model)
    model.train()
    assert not frozen.training and all(not m.training for m in frozen.modules())
    teacher_ids = {id(p) for p in frozen.parameters()}
    assert not teacher_ids & {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert not teacher_ids & {id(p) for p in model.parameters()}
    assert all(m is not frozen for m in model.modules())
    assert all(k.startswith(("student.", "method.")) for k in model.state_dict())
    for _ in range(3):
        losses = model(demo_batch([0, 1, 2, 3]))
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    assert all(p.grad is None and not p.requires_grad for p in frozen.parameters())
    after = frozen.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN running statistics included


def test_simkd_student_carries_a_frozen_copy_of_the_teacher_classifier(cls_root, teacher):
    model = build_dic_model(student_cfg(teacher, "simkd"))
    head = model.method.teacher_head
    original = model.teacher.classifier().weight
    assert torch.equal(head.weight, original) and head.weight is not original
    assert not any(p.requires_grad for p in head.parameters())
    assert "method.teacher_head.weight" in model.state_dict()
    assert model.student.net.num_classes == 0  # the student has no classifier of its own


@pytest.mark.parametrize("method", ["kd", "simkd"])
def test_teacher_cache_gives_the_same_losses_as_the_live_teacher(cls_root, teacher, method):
    cfg = student_cfg(teacher, method, "DISTILL_DIC.TEACHER.CACHE", "True")
    model = build_dic_model(cfg)
    model.train()
    batch = demo_batch([5, 0, 9, 3])
    torch.manual_seed(1)
    live = model(batch)
    records = get_classification_dataset("distildoc_demo_cls_train")
    model.teacher_cache = compute_teacher_cache(cfg, model.teacher, records, model.method.teacher_outputs)
    torch.manual_seed(1)
    cached = model(batch)
    for name in live:
        assert torch.allclose(live[name], cached[name], rtol=1e-5, atol=1e-6), name


def test_cache_is_refused_with_augmentation_or_feature_maps(cls_root, teacher):
    with pytest.raises(ConfigError, match="DIC.AUGMENT"):
        validate_classification_config(student_cfg(teacher, "kd", "DISTILL_DIC.TEACHER.CACHE", "True",
                                                   "DIC.AUGMENT", "True"), read_data=False)
    with pytest.raises(ConfigError, match="hint"):
        validate_classification_config(student_cfg(teacher, "fitnet", "DISTILL_DIC.TEACHER.CACHE", "True"),
                                       read_data=False)


def test_class_count_mismatch_of_the_teacher_is_a_clear_error(cls_root, teacher, tmp_path):
    config = tmp_path / "teacher10.yaml"
    config.write_text(f'_BASE_: "{teacher["config"]}"\nMODEL:\n  CLASSIFIER:\n    NUM_CLASSES: 10\n')
    with pytest.raises(ConfigError, match="has 10 classes but the student has 16"):
        validate_classification_config(student_cfg(teacher, "kd", "DISTILL_DIC.TEACHER.CONFIG_FILE", config),
                                       read_data=False)
    ten = build_dic_model(dic_cfg(str(config)))
    torch.save({"model": ten.state_dict()}, tmp_path / "ten.pth")
    with pytest.raises(CheckpointError, match=r"(?s)teacher weights file .*ten\.pth does not match.*shape \(10, 512\)"):
        build_teacher(student_cfg(teacher, "kd", "DISTILL_DIC.TEACHER.WEIGHTS", tmp_path / "ten.pth"))
    with pytest.raises(ConfigError, match="TEACHER.WEIGHTS is empty"):
        build_teacher(student_cfg(teacher, "kd", "DISTILL_DIC.TEACHER.WEIGHTS", ""))


def make_bad_root(cls_root, tmp_path, lines):
    """A data root whose demo train split is the given label-file lines (images of the real demo)."""
    source = cls_root / "demo" / "classification"
    target = tmp_path / "root" / "demo" / "classification"
    (target / "labels").mkdir(parents=True)
    os.symlink(source / "images", target / "images")
    for split in ("val", "test"):
        shutil.copy(source / "labels" / f"{split}.txt", target / "labels" / f"{split}.txt")
    (target / "labels" / "train.txt").write_text("".join(line + "\n" for line in lines))
    return tmp_path / "root"


def test_unreadable_images_stop_with_the_file_name_or_are_skipped_and_counted(cls_root, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    records = [{"file_name": str(broken), "label": 0},
               *get_classification_dataset("distildoc_demo_cls_train")[:3]]
    loader = torch.utils.data.DataLoader(PageDataset(records, (32, 24)), batch_size=4, collate_fn=collate_pages)
    with pytest.raises(DatasetError, match=r"broken\.png cannot be read as an image"):
        list(CheckedBatches(loader, skip=False))
    skipping = CheckedBatches(loader, skip=True)
    batches = list(skipping)
    assert len(skipping.skipped) == 1 and batches[0]["images"].shape == (3, 3, 32, 24)


def test_grayscale_tiny_and_huge_pages_become_rgb_at_the_input_size(tmp_path):
    Image.new("L", (3, 2), 128).save(tmp_path / "tiny.png")
    Image.new("1", (2400, 3300), 1).save(tmp_path / "huge.tif")
    Image.new("RGBA", (40, 50), (0, 0, 0, 0)).save(tmp_path / "alpha.png")
    for name in ("tiny.png", "huge.tif", "alpha.png"):
        for mode in ("stretch", "pad"):
            page = load_page_tensor(str(tmp_path / name), (48, 32), mode)
            assert page.shape == (3, 48, 32) and 0.0 <= page.min() <= page.max() <= 1.0
    assert load_page_tensor(str(tmp_path / "alpha.png"), (8, 8)).min() == 1.0  # transparent -> white


def test_folder_sets_map_class_names_and_nk_subsets_are_balanced(tmp_path):
    from distildoc_d2.classification.catalog import register_balanced_subset, register_folder_dataset
    from distildoc_d2.classification.label_maps import RVLCDIPN_TO_RVLCDIP
    from distildoc_d2.data.categories import RVL_CDIP_CLASSES

    for folder, count in (("scientific report", 3), ("Letter", 2), ("news-article", 4)):
        (tmp_path / folder).mkdir()
        for i in range(count):
            Image.new("L", (8, 8)).save(tmp_path / folder / f"{i}.png")
    register_folder_dataset("test_rvlcdipn", str(tmp_path), RVL_CDIP_CLASSES, RVLCDIPN_TO_RVLCDIP)
    labels = sorted(r["label"] for r in get_classification_dataset("test_rvlcdipn"))
    names = RVL_CDIP_CLASSES
    assert labels == sorted([names.index("scientific_report")] * 3 + [0] * 2 + [names.index("news_article")] * 4)
    register_balanced_subset("test_nk2", "test_rvlcdipn", 2)
    subset = get_classification_dataset("test_nk2")
    assert len(subset) == 6 and subset == get_classification_dataset("test_nk2")  # fixed seed: same draw
    folder = classification_metadata(f"imagefolder:{tmp_path}")  # any ImageFolder tree, by path in a config
    assert folder["class_names"] == ["Letter", "news-article", "scientific report"]
    (tmp_path / "unknown_type").mkdir()
    with pytest.raises(DatasetError, match="unknown_type match none of the classes"):
        get_classification_dataset("test_rvlcdipn")


def test_backbone_weights_load_all_but_the_head_and_resample_vit_positions(tmp_path):
    source = timm.create_model("resnet10t", pretrained=False, num_classes=1000)
    torch.save(source.state_dict(), tmp_path / "resnet.pth")
    cfg = dic_cfg(STUDENT_CONFIG, "MODEL.CLASSIFIER.BACKBONE_WEIGHTS", tmp_path / "resnet.pth")
    student = build_classifier(cfg.MODEL.CLASSIFIER, (32, 24))
    assert torch.equal(student.net.conv1[0].weight, source.conv1[0].weight)
    assert student.net.fc.out_features == 16  # the file's 1000-class head is left out
    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=32, depth=1, num_classes=5)
    torch.save({"model": vit.state_dict()}, tmp_path / "vit.pth")
    target = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=(48, 32), depth=1, num_classes=16)
    load_backbone_weights(ImageClassifier(target, (0.5,) * 3, (0.5,) * 3), str(tmp_path / "vit.pth"))
    assert target.pos_embed.shape[1] == 1 + 3 * 2
    assert torch.equal(target.blocks[0].attn.qkv.weight, vit.blocks[0].attn.qkv.weight)
    other = timm.create_model("resnet18", pretrained=False)
    torch.save(other.state_dict(), tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="does not match"):
        load_backbone_weights(student, str(tmp_path / "other.pth"))


# ---- tools (subprocess) ----

@pytest.fixture(scope="module")
def trained_teacher(cls_root, module_tmp):
    output = module_tmp("dic_teacher")
    result = run_tool("train_dic.py", "--config-file", TEACHER_CONFIG, *TINY, "SOLVER.MAX_ITER", "4",
                      "SOLVER.CHECKPOINT_PERIOD", "2", "OUTPUT_DIR", output, env_root=cls_root)
    assert result.returncode == 0, result.stderr[-4000:]
    return output, result


def test_train_dic_tool_writes_metrics_figures_checkpoints(trained_teacher):
    output, result = trained_teacher
    metrics = [json.loads(line) for line in (output / "metrics.json").read_text().splitlines()]
    assert len([m for m in metrics if "total_loss" in m]) == 4
    evaluation = json.loads((output / "eval_results.json").read_text())[-1]
    assert evaluation["iteration"] == 4
    scores = evaluation["results"]["distildoc_demo_cls_test"]
    assert set(scores) >= {"accuracy", "macro_f1", "ece", "aurc", "brier", "nll"}
    folder = output / "inference" / "distildoc_demo_cls_test"
    for name in ("reliability.png", "confusion_matrix.png", "confusion_matrix.json"):
        assert (folder / name).is_file()
    assert list(output.glob("events.out.tfevents.*"))
    assert (output / "model_0000001.pth").is_file() and (output / "last_checkpoint").read_text() == "model_final.pth"
    assert json.loads((output / "model_info.json").read_text())["params_m"] > 1
    assert "Model size:" in result.stdout + result.stderr


def test_resume_continues_from_the_last_checkpoint(trained_teacher, cls_root, tmp_path):
    output, _ = trained_teacher
    resumed = tmp_path / "resumed"
    shutil.copytree(output, resumed)
    (resumed / "last_checkpoint").write_text("model_0000001.pth")
    result = run_tool("train_dic.py", "--config-file", TEACHER_CONFIG, "--resume", *TINY, "SOLVER.MAX_ITER", "4",
                      "SOLVER.CHECKPOINT_PERIOD", "2", "OUTPUT_DIR", resumed, env_root=cls_root)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Starting training from iteration 2" in result.stdout + result.stderr


def test_simkd_with_cache_then_export_loads_without_teacher(trained_teacher, cls_root, tmp_path):
    teacher_dir, _ = trained_teacher
    output = tmp_path / "simkd"
    result = run_tool("train_dic.py", "--config-file", os.path.join(DEMO, "simkd_cnn_resnet18_to_resnet10t.yaml"),
                      *TINY, "DISTILL_DIC.TEACHER.CACHE", "True",
                      "DISTILL_DIC.TEACHER.CONFIG_FILE", teacher_dir / "config.yaml",
                      "DISTILL_DIC.TEACHER.WEIGHTS", teacher_dir / "model_final.pth", "OUTPUT_DIR", output,
                      env_root=cls_root)
    assert result.returncode == 0, result.stderr[-4000:]
    assert (output / "teacher_cache.pth").is_file()
    exported = run_tool("export_dic.py", "--config-file", output / "config.yaml", env_root=cls_root)
    assert exported.returncode == 0, exported.stderr[-4000:]
    # the documented loading snippet, with torch alone
    extra = {"meta.json": ""}
    program = torch.export.load(str(output / "student.pt2"), extra_files=extra).module()
    meta = json.loads(extra["meta.json"])
    height, width = meta["input_size"]
    page_file = get_classification_dataset("distildoc_demo_cls_test")[0]["file_name"]
    page = Image.open(page_file).convert("RGB").resize((width, height), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(page).copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
    with torch.no_grad():
        probs = program(x).softmax(dim=1)[0]
    assert meta["class_names"] == classification_metadata("distildoc_demo_cls_test")["class_names"]
    cfg = load_config(str(output / "config.yaml"), (), extra_setup=(add_classification_config,))
    model = DICTrainer.build_model(cfg)
    model.load_state_dict(torch.load(output / "model_final.pth", weights_only=True)["model"])
    model.eval()
    with torch.no_grad():
        expected = model.predict(load_page_tensor(page_file, (height, width)).unsqueeze(0)).softmax(dim=1)[0]
    assert torch.allclose(probs, expected, atol=1e-5)


def test_bad_label_file_and_unreadable_image_give_clear_errors(cls_root, tmp_path):
    bad = make_bad_root(cls_root, tmp_path / "a", ["images/train/letter_00000.png 0", "images/train/memo_00000.png x"])
    result = run_tool("train_dic.py", "--config-file", STUDENT_CONFIG, *TINY, "OUTPUT_DIR", tmp_path / "out_a",
                      env_root=bad)
    assert result.returncode == 2
    assert "train.txt:2: label 'x' is not an integer" in result.stderr and "Traceback" not in result.stderr
    unreadable = make_bad_root(cls_root, tmp_path / "b", ["images/train/letter_00000.png 0", "labels/val.txt 1"] * 4)
    result = run_tool("train_dic.py", "--config-file", STUDENT_CONFIG, *TINY, "OUTPUT_DIR", tmp_path / "out_b",
                      env_root=unreadable)
    assert result.returncode == 2
    assert "val.txt cannot be read as an image" in result.stderr and "DIC.SKIP_UNREADABLE" in result.stderr


def test_compare_dic_table_with_a_given_teacher(trained_teacher, cls_root, tmp_path, monkeypatch):
    teacher_dir, _ = trained_teacher
    configs = tmp_path / "configs"
    configs.mkdir()
    for name in ("Base-dic-demo.yaml", "teacher_resnet18.yaml", "supervised_resnet10t.yaml",
                 "kd_resnet18_to_resnet10t.yaml"):
        shutil.copy(os.path.join(DEMO, name), configs / name)
    monkeypatch.setenv("DISTILDOC_DATASETS", str(cls_root))
    lines = []
    table = run_comparison(str(configs), "resnet18", "resnet10t", str(tmp_path / "out"), TINY,
                           teacher_weights=str(teacher_dir / "model_final.pth"), throughput_batch=4,
                           progress=lines.append)
    rows = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert [r["run"] for r in rows] == ["teacher_resnet18", "supervised_resnet10t", "kd_resnet18_to_resnet10t"]
    assert [r["method"] for r in rows] == ["ce", "ce", "kd"]
    assert all(r["images_per_s"] > 0 and 0 <= r["accuracy"] <= 1 for r in rows)
    assert table == (tmp_path / "out" / "comparison.md").read_text().strip()
    assert "| kd_resnet18_to_resnet10t |" in table and "ECE" in table and "images/s" in table
    assert format_table(rows) == table
