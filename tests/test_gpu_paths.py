"""The paths that only a GPU machine used to exercise, shown on CPU: the process-group backend,
DDP with modules that get no gradient, BatchNorm statistics across processes, mixed precision,
devices in export checks and backends, the DiT position-index cache, the teacher's evaluation,
student-only deployment, SimKD heads after MODEL.WEIGHTS, and resume/scaling details."""
import argparse
import os
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.config import CfgNode
from detectron2.data import DatasetCatalog
from detectron2.modeling import GeneralizedRCNN, build_model
from detectron2.utils.events import EventStorage

from conftest import REPO, TINY_MODEL
from distildoc_d2 import load_config
from distildoc_d2.classification.config import add_classification_config
from distildoc_d2.data.mapper import DocumentDatasetMapper
from distildoc_d2.distillation.teacher import teacher_config
from distildoc_d2.engine import launch
from distildoc_d2.engine.trainer import BatchNormBufferSync, ResumableAMPTrainer, ddp_kwargs
from distildoc_d2.errors import ConfigError

DEMO = os.path.join(REPO, "configs", "demo")
TEACHER_CFG = os.path.join(DEMO, "teacher_R50_FPN.yaml")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def gloo_world_of_one(tmp_path):
    """A one-process gloo group: DDP's reducer already rejects parameters without gradients."""
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'pg'}", world_size=1, rank=0)
    yield
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def random_teacher(module_tmp):
    """A random-init checkpoint of the demo R50-FPN teacher."""
    path = module_tmp("teacher") / "teacher.pth"
    torch.manual_seed(0)
    torch.save({"model": build_model(teacher_config(_kd_cfg("feature_mse_R50_to_R18.yaml"))).state_dict()}, path)
    return str(path)


def _kd_cfg(name, *overrides):
    return load_config(os.path.join(DEMO, name), [*TINY_MODEL, *map(str, overrides)])


def _inputs(cfg, count=2):
    mapper = DocumentDatasetMapper(cfg, is_train=True)
    return [mapper(dict(d)) for d in DatasetCatalog.get(cfg.DATASETS.TRAIN[0])[:count]]


# 1. the process-group backend follows the run's device

def _pretend_cuda():
    torch.cuda.is_available = lambda: True
    torch.cuda.device_count = lambda: 2


class _CudaLooksAvailable:
    """Unpickled in each spawned process: there too, torch reports two CUDA devices."""

    def __reduce__(self):
        return _pretend_cuda, ()


def _record_backend(args):
    with open(os.path.join(args.out, f"rank{dist.get_rank()}"), "w") as f:
        f.write(f"{dist.get_backend()} {torch.get_num_threads()}")


def _args(out, num_gpus=2):
    return argparse.Namespace(num_gpus=num_gpus, num_machines=1, machine_rank=0, dist_url="auto", out=str(out),
                              cuda=_CudaLooksAvailable())


def _cfg_on(device):
    return CfgNode({"MODEL": CfgNode({"DEVICE": device})})


def test_cpu_run_uses_gloo_where_cuda_is_available(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    code = launch.run_tool(_record_backend, _args(tmp_path), check=lambda args: _cfg_on("cpu"))
    assert code == 0
    threads = max(1, (os.cpu_count() or 1) // 2)
    for rank in (0, 1):
        assert (tmp_path / f"rank{rank}").read_text() == f"gloo {threads}"
    assert launch.process_group_backend(launch.run_device(_cfg_on("cuda"))) == "nccl"


def test_one_gpu_for_several_processes_is_a_clear_error(tmp_path, capsys):
    code = launch.run_tool(_record_backend, _args(tmp_path), check=lambda args: _cfg_on("cuda:1"))
    assert code == launch.USER_ERROR_EXIT_CODE
    assert "MODEL.DEVICE is 'cuda:1' but --num-gpus is 2" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# 2. supervised_only: no KD module without gradient

def test_supervised_only_trains_under_ddp(demo_root, random_teacher, gloo_world_of_one):
    cfg = _kd_cfg("feature_mse_R50_to_R18.yaml", "MODEL.DISTILL.SUPERVISION", "supervised_only",
                  "MODEL.DISTILL.TEACHER_WEIGHTS", random_teacher)
    model = build_model(cfg)
    model.load_teacher()
    assert len(model.distillers) == 0
    ddp = torch.nn.parallel.DistributedDataParallel(model.train(), **ddp_kwargs(cfg))
    inputs = _inputs(cfg)
    for iteration in range(2):
        with EventStorage(iteration):
            sum(ddp(inputs).values()).backward()


# 4. BatchNorm statistics: rank 0's everywhere

def _bn_worker(rank, url, out):
    dist.init_process_group("gloo", init_method=url, world_size=2, rank=rank)
    torch.manual_seed(rank)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4)).train()
    ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=None, broadcast_buffers=False)
    ddp(torch.randn(2, 3, 4, 4) + rank).sum().backward()
    (hook,) = BatchNormBufferSync.hooks_for(ddp)
    hook.after_step()
    torch.save({k: v for k, v in model.state_dict().items() if k.startswith("1.")}, os.path.join(out, f"{rank}.pt"))
    dist.destroy_process_group()


def test_batchnorm_statistics_are_rank_zeros_after_each_step(tmp_path):
    mp.start_processes(_bn_worker, args=(f"file://{tmp_path / 'pg'}", str(tmp_path)), nprocs=2)
    rank0, rank1 = (torch.load(tmp_path / f"{rank}.pt") for rank in (0, 1))
    assert rank0["1.num_batches_tracked"] == 1
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key


def test_trainers_register_the_batchnorm_sync(demo_root, tmp_path):
    from distildoc_d2.classification import register_builtin_classification_datasets
    from distildoc_d2.classification.trainer import DICTrainer

    register_builtin_classification_datasets(str(demo_root))
    cfg = load_config(os.path.join(REPO, "configs", "dic", "demo", "supervised_resnet10t.yaml"),
                      ["DIC.INPUT_SIZE", "(32, 24)", "SOLVER.IMS_PER_BATCH", "4", "DATALOADER.NUM_WORKERS", "0",
                       "OUTPUT_DIR", str(tmp_path)], extra_setup=(add_classification_config,))
    trainer = DICTrainer(cfg)
    assert any(isinstance(h, BatchNormBufferSync) for h in trainer._hooks)
    assert BatchNormBufferSync.hooks_for(torch.nn.Sequential(torch.nn.GroupNorm(1, 4))) == []


# 5. DIC SimKD (CNN projector): head parameters the feature map never reaches

@pytest.fixture(scope="module")
def dic_teacher(module_tmp):
    from distildoc_d2.classification import build_dic_model

    folder = module_tmp("dic_teacher")
    config = folder / "teacher.yaml"
    config.write_text(f'_BASE_: "{REPO}/configs/dic/demo/teacher_resnet18.yaml"\nDIC:\n  INPUT_SIZE: (32, 32)\n')
    cfg = load_config(str(config), [], extra_setup=(add_classification_config,))
    torch.save({"model": build_dic_model(cfg).state_dict()}, folder / "model_final.pth")
    return str(config), str(folder / "model_final.pth")


def test_simkd_cnn_student_head_is_not_trained_under_ddp(dic_teacher, gloo_world_of_one):
    from distildoc_d2.classification import build_dic_model

    config, weights = dic_teacher
    cfg = load_config(os.path.join(REPO, "configs", "dic", "demo", "simkd_cnn_resnet18_to_resnet10t.yaml"),
                      ["DIC.INPUT_SIZE", "(32, 32)", "MODEL.CLASSIFIER.ARCH", "convnext_atto",
                       "DISTILL_DIC.TEACHER.CONFIG_FILE", config, "DISTILL_DIC.TEACHER.WEIGHTS", weights,
                       "DISTILL_DIC.TEACHER.CACHE", "False"], extra_setup=(add_classification_config,))
    model = build_dic_model(cfg)
    frozen = [n for n, p in model.student.named_parameters() if not p.requires_grad]
    assert frozen and all(".head." in f".{n}" for n in frozen)
    ddp = torch.nn.parallel.DistributedDataParallel(model.train(), **ddp_kwargs(cfg))
    batch = {"images": torch.rand(2, 3, 32, 32), "labels": torch.tensor([0, 1]), "indices": torch.tensor([0, 1])}
    for iteration in range(2):
        with EventStorage(iteration):
            sum(ddp(batch).values()).backward()


# 6. devices of the ONNX and TorchScript backends

def test_onnx_cuda_session_names_its_gpu_and_refuses_a_cpu_fallback(monkeypatch, tmp_path):
    from distildoc_d2.inference import backends

    created = {}

    class FallenBackSession:
        def __init__(self, path, options, providers):
            created["providers"] = providers

        def get_providers(self):
            return ["CPUExecutionProvider"]

    monkeypatch.setattr(backends.onnxruntime, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(backends.onnxruntime, "InferenceSession", FallenBackSession)
    with pytest.raises(ConfigError, match="would run on CPU"):
        backends.OnnxBackend(str(tmp_path / "model.onnx"), "cuda:1")
    assert created["providers"][0] == ("CUDAExecutionProvider", {"device_id": 1})


def test_torchscript_device_index_is_checked(tmp_path):
    from distildoc_d2.inference.backends import device_name, load_backend

    assert device_name("cpu") == "cpu" and device_name("cuda:1") == "cuda:1"
    with pytest.raises(ConfigError, match="traced on cuda:0 and runs only there, not on cuda:1"):
        load_backend(str(tmp_path), {"torchscript_device": "cuda:0"}, "torchscript", "cuda:1")


def test_export_report_names_the_devices_compared():
    from distildoc_d2.export.compare import compare_predictions, describe, full_float32

    page = {"regions": [{"category_id": 0, "score": 0.9, "bbox": [0, 0, 10, 10]}]}
    report = compare_predictions([page], [page], 0.05, 100, devices=("cuda:0", "cuda:0"))
    assert report["ok"] and "eager on cuda:0 vs this format on cuda:0" in describe(report)
    torch.backends.cudnn.allow_tf32 = True
    with full_float32():
        assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    assert torch.backends.cudnn.allow_tf32


# 7. DiT relative position indices: a cache bounded in bytes

def test_position_index_cache_is_bounded_in_bytes():
    from timm.models.beit import gen_relative_position_index

    from distildoc_d2.backbones.position import PositionIndexCache

    one = gen_relative_position_index((8, 8)).numel() * 8
    cache = PositionIndexCache(max_bytes=2 * one + 1)
    for grid in [(8, 8), (8, 8), (7, 9), (9, 7), (8, 8)]:
        assert torch.equal(cache(grid, "cpu"), gen_relative_position_index(grid))
        assert cache.nbytes <= cache.max_bytes
    assert list(cache._entries) == [((9, 7), "cpu"), ((8, 8), "cpu")]
    cache((40, 40), "cpu")
    assert ((40, 40), "cpu") not in cache._entries


# 8. --eval-teacher: the teacher fed as in training

def test_teacher_is_evaluated_as_it_runs_in_training(demo_root, tmp_path):
    from distildoc_d2.engine.layout import TeacherAsInTraining

    teacher_yaml = tmp_path / "teacher_rgb.yaml"
    teacher_yaml.write_text(f'_BASE_: "{TEACHER_CFG}"\nINPUT:\n  FORMAT: "RGB"\n')
    cfg = _kd_cfg("feature_mse_R50_to_R18.yaml", "MODEL.DISTILL.TEACHER_CONFIG", teacher_yaml,
                  "MODEL.DISTILL.TEACHER_INPUT_SCALE", "1.5")
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    inputs = [dict(x, height=300, width=240) for x in _inputs(cfg, 1)]
    image = inputs[0]["image"]
    scaled = torch.nn.functional.interpolate(image.flip(0)[None].float(), scale_factor=1.5, mode="bilinear",
                                             align_corners=False)[0]
    with torch.no_grad():
        expected = model.teacher([{"image": scaled, "height": 300, "width": 240}])[0]["instances"]
        naive = model.teacher(inputs)[0]["instances"]
    got = TeacherAsInTraining(model)(inputs)[0]["instances"]
    assert len(got) and torch.allclose(got.pred_boxes.tensor, expected.pred_boxes.tensor, atol=1e-3)
    assert not (len(naive) == len(got) and torch.allclose(naive.pred_boxes.tensor, got.pred_boxes.tensor, atol=1e-3))
    assert not list(TeacherAsInTraining(model).modules())[1:]


# 9. evaluation, export and prediction build the student alone

def test_run_model_of_a_distillation_run_is_the_student_alone(demo_root, tmp_path):
    from distildoc_d2.engine.layout import layout_config
    from distildoc_d2.export.run import load_run_model

    cfg = _kd_cfg("feature_mse_R50_to_R18.yaml")
    weights = tmp_path / "model_final.pth"
    torch.save({"model": build_model(cfg).state_dict()}, weights)
    deployed = _kd_cfg("feature_mse_R50_to_R18.yaml", "MODEL.DISTILL.TEACHER_CONFIG", tmp_path / "gone.yaml",
                       "MODEL.DISTILL.TEACHER_WEIGHTS", tmp_path / "gone.pth")
    model = load_run_model(deployed, str(weights))
    assert type(model) is GeneralizedRCNN and not model.training
    args = SimpleNamespace(config_file=os.path.join(DEMO, "feature_mse_R50_to_R18.yaml"), eval_only=True,
                           opts=[*TINY_MODEL, "MODEL.DISTILL.TEACHER_CONFIG", str(tmp_path / "gone.yaml")])
    assert layout_config(args).MODEL.DISTILL.TEACHER_CONFIG.endswith("gone.yaml")


# 10. PKD standardisation in float32 under autocast

def test_standardize_channels_is_float32_under_autocast():
    from distildoc_d2.distillation.losses import standardize_channels

    torch.manual_seed(0)
    features = (torch.randn(2, 4, 16, 16) * 30 + 100).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = standardize_channels(features)
    assert got.dtype == torch.float32
    assert torch.allclose(got, standardize_channels(features.float()), atol=1e-5)


# 11. SimKD: the teacher's heads win over MODEL.WEIGHTS

def test_simkd_heads_come_from_the_teacher_after_model_weights(demo_root, random_teacher, tmp_path):
    from distildoc_d2.engine.trainer import LayoutTrainer

    base = ["MODEL.DISTILL.TEACHER_WEIGHTS", random_teacher, "OUTPUT_DIR", tmp_path, "SOLVER.MAX_ITER", "1"]
    torch.manual_seed(1)
    other = build_model(_kd_cfg("simkd_R50_to_R18.yaml", *base))
    torch.save({"model": other.state_dict()}, tmp_path / "student.pth")
    cfg = _kd_cfg("simkd_R50_to_R18.yaml", *base, "MODEL.WEIGHTS", tmp_path / "student.pth")
    trainer = LayoutTrainer(cfg)
    trainer.resume_or_load(resume=False)
    model = trainer.model
    teacher_heads = model.teacher.roi_heads.state_dict()
    student_heads = model.roi_heads.state_dict()
    assert all(torch.equal(student_heads[k], v) for k, v in teacher_heads.items())
    assert not all(torch.equal(other.roi_heads.state_dict()[k], v) for k, v in teacher_heads.items())
    assert not any(p.requires_grad for p in model.roi_heads.parameters())


# 12. resume without a gradient scaler, KD schedule scaling, AMP in the KD benchmark

def test_amp_trainer_resumes_a_checkpoint_written_without_amp():
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = ResumableAMPTrainer(model, [], optimizer)
    trainer.load_state_dict({"iteration": 7, "optimizer": optimizer.state_dict()})
    assert trainer.iter == 7


def test_auto_scale_workers_scales_the_kd_schedule():
    from distildoc_d2.engine.trainer import LayoutTrainer

    cfg = _kd_cfg("feature_mse_R50_to_R18.yaml", "SOLVER.REFERENCE_WORLD_SIZE", "1", "SOLVER.MAX_ITER", "1000",
                  "MODEL.DISTILL.START_ITER", "100", "MODEL.DISTILL.STOP_ITER", "800",
                  "MODEL.DISTILL.WARMUP_ITERS", "50")
    scaled = LayoutTrainer.auto_scale_workers(cfg, 2)
    d = scaled.MODEL.DISTILL
    assert (scaled.SOLVER.MAX_ITER, d.START_ITER, d.STOP_ITER, d.WARMUP_ITERS) == (500, 50, 400, 25)
    cfg.MODEL.DISTILL.STOP_ITER = -1
    assert LayoutTrainer.auto_scale_workers(cfg, 2).MODEL.DISTILL.STOP_ITER == -1


def test_kd_benchmark_precision_follows_amp():
    from distildoc_d2.distillation.benchmark import Precision, model_mib

    amp = Precision("cpu", True)
    with amp.autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    assert amp.describe() == "AMP bfloat16" and Precision("cpu", False).describe() == "float32"
    assert model_mib(torch.nn.Linear(1024, 256, bias=False)) == 1.0


# the device check: its table and exit code, and its dry run on CPU

def test_gpu_check_table_and_exit_code():
    from distildoc_d2 import device_check as gpu_check

    def fails():
        raise gpu_check.CheckFailed("teacher changed")

    def skips():
        raise gpu_check.Skipped("no onnxruntime-gpu")

    def crashes():
        raise RuntimeError("CUDA error: out of memory\nmore")

    checks = [("ok", lambda: "1.0 pages/s"), ("skip", skips), ("left out", lambda: "never"), ("bad", fails)]
    results = gpu_check.run_checks(checks, selected={"ok", "skip", "bad"})
    assert [(r["check"], r["status"]) for r in results] == [("ok", "PASS"), ("skip", "SKIP"), ("bad", "FAIL")]
    assert gpu_check.exit_code(results) == 1 and gpu_check.exit_code(results[:2]) == 0
    assert gpu_check.exit_code([]) == 1
    table = gpu_check.format_table(results, "header")
    assert "| bad | FAIL | teacher changed |" in table and table.rstrip().endswith("FAILED: bad")
    (crashed,) = gpu_check.run_checks([("oom", crashes)])
    assert crashed["status"] == "FAIL" and crashed["figures"] == "RuntimeError: CUDA error: out of memory"


def test_gpu_check_dry_run_on_cpu(tmp_path):
    from conftest import run_tool

    result = run_tool("gpu_check.py", "--device", "cpu", "--quick", "--output", tmp_path,
                      "--only", "data,teacher,kd-feature_mse,export", timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = (tmp_path / "gpu_check.md").read_text()
    for check in ("data", "teacher", "kd-feature_mse", "export"):
        assert f"| {check} | PASS |" in table
    assert "teacher unchanged" in table and "torchscript on cpu" in table
    assert "all 4 checks passed" in table


def test_gpu_check_needs_a_gpu_or_the_dry_run(tmp_path, capsys, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", os.path.join(REPO, "tools", "gpu_check.py"))
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main(["--output", str(tmp_path)]) == 2
    assert "no CUDA device is available" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        gpu_check.main(["--device", "cpu", "--skip", "teacherr"])
