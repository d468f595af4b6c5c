"""Entry point: `python -m doctrain_trainer train` (SageMaker passes `train` as the first argument).

Exit codes: 0 success, 1 framework error, 2 user error (hyperparameters/data/job setup), 143 stopped by
SIGTERM after a checkpoint. On 1 and 2 the reason goes to <root>/output/failure for SageMaker. With several
GPUs or hosts, `train` launches torchrun, one trainer per GPU (distributed.py), and returns their outcome
with the same codes."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from .errors import TrainingInterrupted, UserError
from .log import log
from .paths import DEFAULT_ROOT, resolve_paths
from .stop import StopFlag

EXIT_OK = 0
EXIT_FRAMEWORK = 1
EXIT_USER = 2
EXIT_SIGTERM = 143
# SageMaker shows at most 1024 characters of output/failure as the job's FailureReason.
FAILURE_LIMIT = 1024

USAGE = "usage: python -m doctrain_trainer train | predict --model <dir|model.tar.gz> [--input file]"


def write_failure(path: Path, message: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(message[:FAILURE_LIMIT], encoding="utf-8")
    except OSError as exc:  # never mask the original failure
        log(f"could not write {path}: {exc}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Known before anything can fail, so even a broken checkpointconfig.json gets reported there.
    failure_file = Path(os.environ.get("DOCTRAIN_OPT_ML") or DEFAULT_ROOT) / "output" / "failure"
    if args and args[0] == "predict":
        from .predict import main as predict_main

        return predict_main(args[1:])
    if not args or args[0] != "train":
        message = f"unknown command {' '.join(args) or '(none)'}; {USAGE}"
        print(message, file=sys.stderr, flush=True)
        write_failure(failure_file, f"UserError: {message}")
        return EXIT_USER

    # Installed before importing torch (seconds) so a stop during start-up still ends as a clean 143.
    stop = StopFlag()
    stop.install()
    from .distributed import is_worker, launch_workers, plan_launch
    from .train import load_config, run_training

    try:
        paths = resolve_paths()
        if not is_worker(os.environ):
            # Several GPUs or hosts: torchrun runs one trainer per GPU (distributed.py); one process in all
            # (one GPU, CPU): this process trains, as it always has.
            plan = plan_launch(paths, os.environ, load_config(paths).device)
            if plan.world_size > 1:
                return launch_workers(plan, stop, failure_file)
        run_training(paths, stop)
    except TrainingInterrupted as exc:
        log(str(exc))
        return EXIT_SIGTERM
    except UserError as exc:
        log(f"user error: {exc}")
        write_failure(failure_file, f"UserError: {exc}")
        return EXIT_USER
    except Exception as exc:
        traceback.print_exc()
        write_failure(failure_file, f"FrameworkError: {type(exc).__name__}: {exc}")
        return EXIT_FRAMEWORK
    return EXIT_OK


def cli() -> None:
    """The `doctrain-train` console script of the installed package (same as `python -m doctrain_trainer`)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
