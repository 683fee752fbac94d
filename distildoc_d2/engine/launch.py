"""Run a tool's main function on one or several processes, with user errors printed plainly.

The process group follows the run's device (MODEL.DEVICE), not the machine: gloo for a CPU run
(also on a machine with GPUs), NCCL for a CUDA run, one GPU per process. CPU runs of several
processes share the machine's cores among them."""
import logging
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.engine.launch import DEFAULT_TIMEOUT, _find_free_port
from detectron2.utils import comm
from torch.multiprocessing.spawn import ProcessExitedException

from ..errors import ConfigError, DistilDocError

USER_ERROR_EXIT_CODE = 2


def run_device(cfg):
    """The device type of a run ("cpu" or "cuda"): its config's MODEL.DEVICE, or without a
    config cuda when CUDA is available."""
    device = cfg.MODEL.DEVICE if cfg is not None else ("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device).type


def process_group_backend(device_type):
    """torch.distributed backend for processes running on `device_type`."""
    return "nccl" if device_type == "cuda" else "gloo"


def check_processes(cfg, num_processes):
    """A CUDA run of several processes puts process i on GPU i: MODEL.DEVICE must not name one
    GPU, and the machine must have a GPU per process."""
    if cfg is None or num_processes <= 1 or run_device(cfg) != "cuda":
        return
    if torch.device(cfg.MODEL.DEVICE).index is not None:
        raise ConfigError(f"MODEL.DEVICE is '{cfg.MODEL.DEVICE}' but --num-gpus is {num_processes}: each process "
                          "takes one GPU (process i runs on cuda:i); use MODEL.DEVICE cuda, and "
                          "CUDA_VISIBLE_DEVICES to choose the GPUs")
    if num_processes > torch.cuda.device_count():
        raise ConfigError(f"--num-gpus is {num_processes} but this machine has {torch.cuda.device_count()} CUDA "
                          "device(s); use fewer processes, or MODEL.DEVICE cpu")


def _limit_cpu_threads(num_local_processes):
    """Share the CPU cores among the processes of a multi-process CPU run on this machine."""
    if num_local_processes > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // num_local_processes))


def _guarded(main, args):
    try:
        return main(args)
    except DistilDocError as err:
        logging.getLogger("distildoc_d2").error(str(err))
        print(f"error: {err}", file=sys.stderr)
        sys.exit(USER_ERROR_EXIT_CODE)


def _worker(local_rank, main, args, device_type, num_local, machine_rank, world_size, dist_url):
    backend = process_group_backend(device_type)
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    else:
        _limit_cpu_threads(num_local)
    dist.init_process_group(backend=backend, init_method=dist_url, world_size=world_size,
                            rank=machine_rank * num_local + local_rank, timeout=DEFAULT_TIMEOUT)
    comm.create_local_process_group(num_local)
    comm.synchronize()
    _guarded(main, args)


def launch_processes(main, args, device_type, num_local, num_machines=1, machine_rank=0, dist_url="auto"):
    """Run `main(args)` here (one process in all) or in `num_local` spawned processes per
    machine joined in a process group whose backend suits `device_type`."""
    world_size = num_local * num_machines
    if world_size == 1:
        return _guarded(main, args)
    if dist_url == "auto":
        if num_machines > 1:
            raise ConfigError("--dist-url auto works on one machine only; give tcp://HOST:PORT of machine 0")
        dist_url = f"tcp://127.0.0.1:{_find_free_port()}"
    mp.start_processes(_worker, nprocs=num_local, daemon=False,
                       args=(main, args, device_type, num_local, machine_rank, world_size, dist_url))
    return None


def run_tool(main, args, check=None):
    """Validate with `check(args)` (which returns the run's config, or None) in this process,
    then run `main(args)` on `args.num_gpus` processes per machine (gloo on CPU, NCCL on CUDA).
    Returns the exit code: 0, or 2 for bad input."""
    try:
        cfg = check(args) if check is not None else None
        check_processes(cfg, args.num_gpus)
        launch_processes(main, args, run_device(cfg), args.num_gpus,
                         args.num_machines, args.machine_rank, args.dist_url)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return USER_ERROR_EXIT_CODE
    except SystemExit as err:
        return err.code
    except ProcessExitedException as err:
        print(f"error: training process {err.error_index} stopped (exit code {err.exit_code}); "
              "its message is above", file=sys.stderr)
        return err.exit_code or 1
    return 0
