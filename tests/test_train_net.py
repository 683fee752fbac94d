"""tools/train_net.py end to end on the generated demo pages: train, evaluate, resume, two
processes, and the clear errors that bad input gets."""
import json
import math
import shutil

import pytest

from conftest import TINY_MODEL, run_tool

CONFIG = "configs/demo/teacher_R50_FPN.yaml"


def _metrics(output_dir):
    with open(output_dir / "metrics.json") as f:
        return [json.loads(line) for line in f if line.strip()]


def _train(demo_root, output_dir, *extra, flags=()):
    return run_tool(
        "train_net.py", "--config-file", CONFIG, *flags, *TINY_MODEL,
        "SOLVER.LOG_PERIOD", "1", "SOLVER.CHECKPOINT_PERIOD", "8",
        "OUTPUT_DIR", output_dir, *extra, env_root=demo_root,
    )


@pytest.fixture(scope="module")
def trained(demo_root, module_tmp):
    output_dir = module_tmp("teacher")
    result = _train(demo_root, output_dir, "SOLVER.MAX_ITER", "16", "SOLVER.STEPS", "()")
    assert result.returncode == 0, result.stderr[-4000:]
    return output_dir, result


def test_trains_with_decreasing_loss_and_evaluates(trained):
    output_dir, result = trained
    losses = [m["total_loss"] for m in _metrics(output_dir) if "total_loss" in m]
    assert len(losses) == 16
    assert all(math.isfinite(v) for v in losses)
    # metrics.json holds the running median: it falls below the first loss when training works
    assert losses[-1] < 0.9 * losses[0]
    evaluations = json.loads((output_dir / "eval_results.json").read_text())
    bbox = evaluations[-1]["results"]["bbox"]
    assert evaluations[-1]["iteration"] == 16
    assert math.isfinite(bbox["AP"]) and 0.0 <= bbox["AP"] <= 100.0
    assert "AP-Text" in bbox and "segm" in evaluations[-1]["results"]
    assert (output_dir / "model_final.pth").is_file()
    assert "Model size:" in result.stdout + result.stderr
    assert list(output_dir.glob("events.out.tfevents.*"))


def test_resume_continues_from_the_last_checkpoint(trained, demo_root, tmp_path):
    output_dir, _ = trained
    resumed = tmp_path / "resumed"
    shutil.copytree(output_dir, resumed)
    (resumed / "last_checkpoint").write_text("model_0000007.pth")
    result = _train(demo_root, resumed, "SOLVER.MAX_ITER", "10", "SOLVER.STEPS", "()", flags=["--resume"])
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Starting training from iteration 8" in result.stdout + result.stderr
    assert (resumed / "last_checkpoint").read_text() == "model_final.pth"


def test_eval_only_loads_strictly(trained, demo_root, tmp_path):
    output_dir, _ = trained
    weights = output_dir / "model_final.pth"
    ok = run_tool("train_net.py", "--config-file", CONFIG, "--eval-only", *TINY_MODEL,
                  "MODEL.WEIGHTS", weights, "OUTPUT_DIR", tmp_path / "eval", env_root=demo_root)
    assert ok.returncode == 0, ok.stderr[-4000:]
    assert json.loads((tmp_path / "eval" / "eval_results.json").read_text())[0]["iteration"] is None
    wrong = run_tool("train_net.py", "--config-file", "configs/publaynet/teacher_R50_FPN.yaml", "--eval-only",
                     *TINY_MODEL, "MODEL.WEIGHTS", weights, "DATASETS.TEST", "()", "DATASETS.TRAIN", "()",
                     "OUTPUT_DIR", tmp_path / "wrong", env_root=demo_root)
    assert wrong.returncode == 2
    assert "number of classes differs" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_two_processes_on_cpu(demo_root, tmp_path):
    result = run_tool("train_net.py", "--config-file", CONFIG, "--num-gpus", "2", *TINY_MODEL,
                      "SOLVER.MAX_ITER", "2", "TEST.EVAL_PERIOD", "0", "DATASETS.TEST", "()",
                      "OUTPUT_DIR", tmp_path, env_root=demo_root)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "World size: 2" in result.stdout + result.stderr
    assert (tmp_path / "model_final.pth").is_file()


def test_misspelt_key_is_a_clear_error(demo_root, tmp_path):
    result = run_tool("train_net.py", "--config-file", CONFIG, "MODEL.ROI_HEADS.NUM_CLASES", "11",
                      "OUTPUT_DIR", tmp_path, env_root=demo_root)
    assert result.returncode == 2
    assert "did you mean MODEL.ROI_HEADS.NUM_CLASSES" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_data_set_path_is_a_clear_error(tmp_path):
    result = run_tool("train_net.py", "--config-file", CONFIG, *TINY_MODEL, "OUTPUT_DIR", tmp_path / "out",
                      env_root=tmp_path / "no-datasets-here")
    assert result.returncode == 2
    assert f"{tmp_path}/no-datasets-here/demo/layout/annotations/train.json of data set" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_image_is_named(demo_root, tmp_path):
    root = tmp_path / "datasets"
    shutil.copytree(demo_root / "demo" / "layout", root / "demo" / "layout")
    for image in (root / "demo" / "layout" / "images" / "train").iterdir():
        image.write_bytes(b"this is not a PNG")
    result = run_tool("train_net.py", "--config-file", CONFIG, *TINY_MODEL, "SOLVER.MAX_ITER", "2",
                      "OUTPUT_DIR", tmp_path / "out", env_root=root)
    assert result.returncode == 2
    assert "cannot be read as an image" in result.stderr
    assert "/images/train/" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_show_results_prints_the_tables(trained, tmp_path):
    output_dir, _ = trained
    result = run_tool("show_results.py", output_dir)
    assert result.returncode == 0, result.stderr
    assert "| bbox   |" in result.stdout and "| Section-header |" in result.stdout
    missing = run_tool("show_results.py", tmp_path)
    assert missing.returncode == 2 and "eval_results.json does not exist" in missing.stderr


def test_show_results_gives_a_table_per_test_set_and_the_learning_curve(tmp_path):
    def evaluation(iteration, held_out, latex):
        return {"iteration": iteration, "results": {
            "coco:held_out.json": {"bbox": {"AP": held_out, "AP50": 2 * held_out, "AP75": 0.0, "AP-Text": held_out}},
            "coco:latex.json:images": {"bbox": {"AP": latex, "AP50": None, "AP75": 0.0, "AP-Text": latex}}}}

    (tmp_path / "eval_results.json").write_text(json.dumps([evaluation(225, 10.0, 5.0), evaluation(450, 21.25, 12.5)]))
    result = run_tool("show_results.py", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(iteration 450)" in out
    assert out.index("coco:held_out.json:") < out.index("| bbox   | 21.2") < out.index("coco:latex.json:images:")
    assert "| bbox   | 12.5  | -      | 0.0    |" in out
    curve = out[out.index("Learning curve"):]
    assert "| 225         | 10.0                 | 5.0" in curve and "| 450         | 21.2" in curve


def test_optimizer_is_chosen_by_the_config():
    import torch
    from torch import nn

    from distildoc_d2 import load_config
    from distildoc_d2.engine.optimizer import build_solver_optimizer
    from distildoc_d2.errors import ConfigError

    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(2, 8))
    cfg = load_config(CONFIG, ["SOLVER.OPTIMIZER", "AdamW", "SOLVER.BASE_LR", "0.0003", "SOLVER.WEIGHT_DECAY", "0.05"])
    optimizer = build_solver_optimizer(cfg, model)
    assert isinstance(optimizer, torch.optim.AdamW)
    decay = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    assert decay[id(model[0].weight)] == 0.05 and decay[id(model[1].weight)] == cfg.SOLVER.WEIGHT_DECAY_NORM
    assert all(g["lr"] == 0.0003 for g in optimizer.param_groups)
    assert load_config("").SOLVER.OPTIMIZER == "SGD" and load_config(CONFIG).SOLVER.OPTIMIZER == "AdamW"
    sgd = build_solver_optimizer(load_config(CONFIG, ["SOLVER.OPTIMIZER", "SGD", "SOLVER.MOMENTUM", "0.8"]), model)
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.8
    with pytest.raises(ConfigError, match="SOLVER.OPTIMIZER.*'Adam'"):
        build_solver_optimizer(load_config(CONFIG, ["SOLVER.OPTIMIZER", "Adam"]), model)


def test_comparison_row_of_a_run_with_several_test_sets_is_its_first_set(tmp_path):
    from distildoc_d2.engine.comparison import summarise

    results = {"coco:first.json": {"bbox": {"AP": 8.0, "AP50": 18.0, "AP-Text": 13.0}},
               "coco:second.json": {"bbox": {"AP": 5.0, "AP50": 17.0, "AP-Text": 10.0}}}
    (tmp_path / "eval_results.json").write_text(json.dumps([{"iteration": 9, "results": results}]))
    row = summarise("student", tmp_path, {"params_M": 1.0})
    assert row["bbox_mAP"] == 8.0 and row["bbox_AP50"] == 18.0 and row["per_class_AP"] == {"Text": 13.0}
    assert row["segm_mAP"] is None and row["params_M"] == 1.0
