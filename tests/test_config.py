"""Config loading and validation: every mistake is a ConfigError that names the key or value."""
import os

import pytest

from distildoc_d2 import load_config, validate_layout_config
from distildoc_d2.errors import ConfigError

from conftest import REPO

DEMO_TEACHER = os.path.join(REPO, "configs", "demo", "teacher_R50_FPN.yaml")


def test_every_shipped_layout_config_loads_and_validates(demo_root):
    configs = []
    for data_set in ("demo", "demo/semi", "doclaynet", "publaynet", "prima", "real"):
        folder = os.path.join(REPO, "configs", data_set)
        configs += [os.path.join(folder, f) for f in sorted(os.listdir(folder))
                    if f.endswith(".yaml") and not f.startswith(("Base-", "corpus"))]
    assert len(configs) >= 30
    for path in configs:
        cfg = load_config(path, ["MODEL.DEVICE", "cpu"])
        # the demo's data exist here; the others' (DocLayNet, the split and pseudo-labelled pages) are made by their recipes
        validate_layout_config(cfg, check_files=os.path.dirname(path).endswith("/demo"))
        # random initialisation, or (a run trained further) weights that one of this project's recipes trains
        assert cfg.MODEL.WEIGHTS == "" or cfg.MODEL.WEIGHTS.startswith("output/"), path
        assert cfg.INPUT.RANDOM_FLIP == "none", path
        # random initialisation: FrozenBN would never learn its statistics
        assert "FrozenBN" not in (cfg.MODEL.RESNETS.NORM, cfg.MODEL.TIMM.NORM), path
        if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
            assert os.path.isfile(os.path.join(REPO, cfg.MODEL.DISTILL.TEACHER_CONFIG)), path
            assert os.path.basename(path).split("_")[0] in ("feature", "simkd", "reviewkd", "roi"), path


def test_misspelt_key_in_file_suggests_the_right_one(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f'_BASE_: "{DEMO_TEACHER}"\nMODEL:\n  ROI_HEADS:\n    NUM_CLASES: 11\n')
    with pytest.raises(ConfigError, match=r"bad.yaml.*NUM_CLASES.*did you mean MODEL.ROI_HEADS.NUM_CLASSES"):
        load_config(str(bad))


def test_misspelt_override_and_odd_overrides():
    with pytest.raises(ConfigError, match="SOLVER.MAX_ITERS.*did you mean SOLVER.MAX_ITER"):
        load_config(DEMO_TEACHER, ["SOLVER.MAX_ITERS", "5"])
    with pytest.raises(ConfigError, match="KEY VALUE pairs"):
        load_config(DEMO_TEACHER, ["SOLVER.MAX_ITER"])
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("configs/nope.yaml")


def test_class_count_must_match_the_data_set(demo_root):
    cfg = load_config(DEMO_TEACHER, ["MODEL.DEVICE", "cpu", "MODEL.ROI_HEADS.NUM_CLASSES", "80"])
    with pytest.raises(ConfigError, match="NUM_CLASSES is 80 but data set 'distildoc_demo_train' has 11"):
        validate_layout_config(cfg)


def test_unknown_data_set_and_device():
    cfg = load_config(DEMO_TEACHER, ["MODEL.DEVICE", "cpu", "DATASETS.TRAIN", "('doclaynet_trian',)"])
    with pytest.raises(ConfigError, match="'doclaynet_trian' is not registered.*doclaynet_train"):
        validate_layout_config(cfg)
    cfg = load_config(DEMO_TEACHER, ["MODEL.DEVICE", "tpu"])
    with pytest.raises(ConfigError, match="MODEL.DEVICE must be"):
        validate_layout_config(cfg)


def test_an_evaluation_needs_only_its_test_files(demo_root):
    cfg = load_config(DEMO_TEACHER, ["MODEL.DEVICE", "cpu", "DATASETS.TRAIN", "('doclaynet_train',)"])
    with pytest.raises(ConfigError, match="annotation file .* of data set 'doclaynet_train' does not exist"):
        validate_layout_config(cfg)
    validate_layout_config(cfg, training=False)
    cfg = load_config(DEMO_TEACHER, ["MODEL.DEVICE", "cpu", "DATASETS.TEST", "('doclaynet_val',)"])
    with pytest.raises(ConfigError, match="data set 'doclaynet_val' does not exist"):
        validate_layout_config(cfg, training=False)
