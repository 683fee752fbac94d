"""Distillation through the tools: the comparison command, resume of a KD run, two processes
with a teacher, and the KD-cost benchmark, on the generated demo pages."""
import json
import os
import shutil

import pytest
import torch
from detectron2.modeling import build_model

from distildoc_d2 import load_config
from distildoc_d2.engine import LayoutTrainer
from distildoc_d2.engine.comparison import add_teacher_ratios, seconds_per_iteration

from conftest import REPO, TINY_MODEL, run_tool

TEACHER_CFG = "configs/demo/teacher_R50_FPN.yaml"
KD_CFG = "configs/demo/feature_mse_R50_to_R18.yaml"


@pytest.fixture(scope="module")
def random_teacher(module_tmp):
    torch.manual_seed(0)
    model = build_model(load_config(os.path.join(REPO, TEACHER_CFG), ["MODEL.DEVICE", "cpu"]))
    path = module_tmp("teacher") / "teacher.pth"
    torch.save({"model": model.state_dict()}, path)
    return path


@pytest.fixture(scope="module")
def comparison(demo_root, random_teacher, module_tmp):
    out = module_tmp("comparison")
    return out, _compare(out, random_teacher, demo_root)


def _compare(out, teacher_weights, demo_root):
    """compare_kd of the random teacher, the tiny student without KD and with feature_mse, 4 iterations
    each (checkpoint and evaluation every 2), into `out`."""
    result = run_tool("compare_kd.py", "--teacher-config", TEACHER_CFG, "--teacher-weights", teacher_weights,
                      "--teacher-opts", "TEST.DETECTIONS_PER_IMAGE", "7",
                      "--configs", KD_CFG, "--output", out, "--speed-images", "2", *TINY_MODEL,
                      "SOLVER.MAX_ITER", "4", "SOLVER.CHECKPOINT_PERIOD", "2", "SOLVER.LOG_PERIOD", "1",
                      "TEST.EVAL_PERIOD", "2", env_root=demo_root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_comparison_table_covers_every_run(comparison):
    out, result = comparison
    rows = json.loads((out / "comparison.json").read_text())
    assert [r["run"] for r in rows] == ["teacher", "student (no KD)", "feature_mse_R50_to_R18"]
    for row in rows:
        # a random teacher and 4-iteration students may detect nothing: COCO AP is then undefined
        assert row["bbox_mAP"] is None or 0.0 <= row["bbox_mAP"] <= 100.0
        assert row["images_per_s"] > 0 and row["gflops"] > 0
        if row["bbox_mAP"] is not None:
            assert set(row["per_class_AP"]) == {"Caption", "Footnote", "Formula", "List-item", "Page-footer",
                                                "Page-header", "Picture", "Section-header", "Table", "Text", "Title"}
    teacher, student, kd = rows
    assert kd["params_M"] == pytest.approx(student["params_M"])  # projectors are not deployed
    assert teacher["params_M"] > 1.5 * student["params_M"]
    assert "| feature_mse_R50_to_R18 " in result.stdout
    # the learning curves: mAP after 2 and 4 iterations for the trained runs; the teacher is only evaluated
    assert teacher["bbox_mAP_curve"] == [] and teacher["s_per_iter"] is None
    for row in (student, kd):
        assert [i for i, _ in row["bbox_mAP_curve"]] == [2, 4] and row["s_per_iter"] > 0
        assert row["bbox_mAP_curve"][-1][1] == row["bbox_mAP"]
    assert "bbox mAP after N training iterations" in result.stdout and "| 2 " in result.stdout
    # accuracy and speed as fractions of the teacher's
    assert teacher["images_per_s_vs_teacher"] == 1.0 and "images/s x teacher" in result.stdout
    assert kd["images_per_s_vs_teacher"] == pytest.approx(kd["images_per_s"] / teacher["images_per_s"])
    assert (out / "loss_curves.png").stat().st_size > 1000
    metrics = [json.loads(line) for line in (out / "feature_mse_R50_to_R18" / "metrics.json").read_text().splitlines()]
    assert any("loss_kd_feature_mse" in m for m in metrics)
    state = torch.load(out / "feature_mse_R50_to_R18" / "model_final.pth", weights_only=False)["model"]
    assert not any(k.startswith("teacher") for k in state)
    # --teacher-opts reach the teacher's run alone
    assert load_config(str(out / "teacher" / "config.yaml")).TEST.DETECTIONS_PER_IMAGE == 7
    assert load_config(str(out / "student_no_KD" / "config.yaml")).TEST.DETECTIONS_PER_IMAGE == 50


def test_teacher_ratios_of_each_row():
    rows = [{"run": "teacher", "bbox_mAP": 40.0, "images_per_s": 2.0},
            {"run": "student", "bbox_mAP": 30.0, "images_per_s": 5.0},
            {"run": "empty student", "bbox_mAP": None, "images_per_s": 6.0}]
    add_teacher_ratios(rows)
    assert [r["bbox_mAP_vs_teacher"] for r in rows] == [1.0, 0.75, None]
    assert [r["images_per_s_vs_teacher"] for r in rows] == [1.0, 2.5, 3.0]
    no_teacher = [{"run": "student", "bbox_mAP": 30.0, "images_per_s": 5.0}]
    add_teacher_ratios(no_teacher)
    assert no_teacher[0]["bbox_mAP_vs_teacher"] is None and no_teacher[0]["images_per_s_vs_teacher"] is None


def test_resumed_run_counts_each_iteration_once(tmp_path):
    # an attempt stopped after iteration 59 (checkpoint at 40), resumed: Detectron2 appends iterations 59 and 79
    records = [(19, 1.0), (39, 1.0), (59, 9.0), (59, 3.0), (79, 3.0)]
    (tmp_path / "metrics.json").write_text(
        "".join(json.dumps({"iteration": i, "time": t, "total_loss": 1.0}) + "\n" for i, t in records))
    assert seconds_per_iteration(str(tmp_path)) == 2.0  # times 1, 1, 3, 3: the first attempt's 59 is gone
    assert seconds_per_iteration(str(tmp_path / "missing")) is None


def test_teacher_opts_must_be_pairs(tmp_path):
    result = run_tool("compare_kd.py", "--teacher-config", TEACHER_CFG, "--teacher-opts", "SOLVER.MAX_ITER",
                      "--configs", KD_CFG, "--output", tmp_path)
    assert result.returncode == 2 and "KEY VALUE pairs" in result.stderr


def test_rerun_reuses_finished_runs(comparison, demo_root, random_teacher):
    out, _ = comparison
    before = (out / "feature_mse_R50_to_R18" / "model_final.pth").stat().st_mtime
    result = run_tool("compare_kd.py", "--teacher-config", TEACHER_CFG, "--teacher-weights", random_teacher,
                      "--configs", KD_CFG, "--output", out, "--speed-images", "1", *TINY_MODEL,
                      "SOLVER.MAX_ITER", "4", env_root=demo_root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "finished earlier" in result.stderr + result.stdout
    assert (out / "feature_mse_R50_to_R18" / "model_final.pth").stat().st_mtime == before


def test_kd_run_resumes_with_the_same_student_weights(comparison, random_teacher, tmp_path):
    out, _ = comparison
    folder = tmp_path / "resumed"
    shutil.copytree(out / "feature_mse_R50_to_R18", folder)
    (folder / "last_checkpoint").write_text("model_0000001.pth")
    cfg = load_config(str(folder / "config.yaml"), ["OUTPUT_DIR", str(folder)])
    trainer = LayoutTrainer(cfg)
    trainer.resume_or_load(resume=True)
    assert trainer.start_iter == 2
    saved = torch.load(folder / "model_0000001.pth", weights_only=False)["model"]
    model = trainer.model
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key
    teacher_file = torch.load(random_teacher, weights_only=False)["model"]
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_file[key]), key


def test_interrupted_comparison_run_resumes(comparison, demo_root, random_teacher, tmp_path):
    """A rerun of compare_kd resumes a run that was stopped after its checkpoint at iteration 2,
    keeps the finished runs, and its evaluation history holds each iteration once."""
    out, _ = comparison
    copy = tmp_path / "comparison"
    shutil.copytree(out, copy)
    stopped = copy / "student_no_KD"
    (stopped / "model_final.pth").unlink()
    (stopped / "last_checkpoint").write_text("model_0000001.pth")
    finished_kd = (copy / "feature_mse_R50_to_R18" / "model_final.pth").stat().st_mtime_ns
    result = _compare(copy, random_teacher, demo_root)
    assert "student (no KD): interrupted earlier, resumes from its last checkpoint" in result.stdout + result.stderr
    assert "Starting training from iteration 2" in (stopped / "stdout.txt").read_text()
    assert (stopped / "model_final.pth").is_file()
    assert (copy / "feature_mse_R50_to_R18" / "model_final.pth").stat().st_mtime_ns == finished_kd
    evaluations = json.loads((stopped / "eval_results.json").read_text())
    assert [e["iteration"] for e in evaluations] == [2, 4]


def test_two_processes_with_a_teacher(demo_root, random_teacher, tmp_path):
    result = run_tool("train_net.py", "--config-file", "configs/demo/roi_kd_R50_to_R18.yaml", "--num-gpus", "2", *TINY_MODEL,
                      "MODEL.DISTILL.TEACHER_WEIGHTS", random_teacher, "SOLVER.MAX_ITER", "2",
                      "DATASETS.TEST", "()", "OUTPUT_DIR", tmp_path, env_root=demo_root)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "World size: 2" in result.stdout + result.stderr
    state = torch.load(tmp_path / "model_final.pth", weights_only=False)["model"]
    assert "roi_heads.box_predictor.cls_score.weight" in state  # roi_kd has no KD-only parameters
    assert not any(k.startswith(("teacher", "distillers.")) for k in state)


def test_missing_teacher_weights_is_a_clear_error(demo_root, tmp_path):
    result = run_tool("train_net.py", "--config-file", KD_CFG, *TINY_MODEL,
                      "MODEL.DISTILL.TEACHER_WEIGHTS", tmp_path / "nope.pth", "OUTPUT_DIR", tmp_path, env_root=demo_root)
    assert result.returncode == 2
    assert "teacher weights file" in result.stderr and "nope.pth' does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_initial_weights_is_a_clear_error(demo_root, tmp_path):
    result = run_tool("train_net.py", "--config-file", "configs/demo/supervised_R18_FPN-box.yaml", *TINY_MODEL,
                      "MODEL.WEIGHTS", tmp_path / "nope.pth", "OUTPUT_DIR", tmp_path, env_root=demo_root)
    assert result.returncode == 2
    assert "MODEL.WEIGHTS: initial weights file" in result.stderr and "nope.pth' does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_kd_cost_benchmark_prints_the_table(demo_root):
    result = run_tool("benchmark_kd.py", "--config-file", KD_CFG, "--random-teacher", "--rounds", "1", *TINY_MODEL,
                      env_root=demo_root)
    assert result.returncode == 0, result.stderr[-3000:]
    for phase in ("student training step", "teacher forward (backbone)", "KD training step"):
        assert f"| {phase}" in result.stdout
    assert "KD step / (student step + teacher forward (backbone)) =" in result.stdout
