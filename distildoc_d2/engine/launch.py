"""Run a tool's main function on one or several processes, with user errors printed plainly."""
import functools
import logging
import os
import sys

import torch
from detectron2.engine import launch
from torch.multiprocessing.spawn import ProcessExitedException

from ..errors import DistilDocError

USER_ERROR_EXIT_CODE = 2


def _limit_cpu_threads(num_processes):
    """Share the CPU cores among the processes of a multi-process CPU run."""
    if num_processes > 1 and not torch.cuda.is_available():
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // num_processes))


def _guarded(main, num_processes, args):
    _limit_cpu_threads(num_processes)
    try:
        return main(args)
    except DistilDocError as err:
        logging.getLogger("distildoc_d2").error(str(err))
        print(f"error: {err}", file=sys.stderr)
        sys.exit(USER_ERROR_EXIT_CODE)


def run_tool(main, args, check=None):
    """Validate with `check(args)` in this process, then run `main(args)` through Detectron2's
    `launch` (torch.distributed; gloo on CPU). Returns the exit code: 0, or 2 for bad input."""
    try:
        if check is not None:
            check(args)
        num_processes = args.num_gpus * args.num_machines
        launch(
            functools.partial(_guarded, main, num_processes),
            args.num_gpus,
            num_machines=args.num_machines,
            machine_rank=args.machine_rank,
            dist_url=args.dist_url,
            args=(args,),
        )
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
