"""Training speed of the trainer: samples/s and peak memory, baseline vs candidate in the same run.

CPU (default): the compact backend on synthetic receipts, run as the local SageMaker runs it (a
`python -m doctrain_trainer train` process), once per thread setting:
  default      the environment as it is (OpenBLAS/OpenMP pick their own thread counts)
  openblas1    OPENBLAS_NUM_THREADS=1
  threads1     OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1 (torch's intra-op pool too)
Reported per setting: training samples/s (optimizer steps only, from the model's metrics.json), wall
seconds, CPU seconds (user + system, from the process's rusage) and CPU use, peak RSS; and each ratio
against `default`. Variants alternate across repeats so load drift hits them alike. Nothing is asserted.

GPU (--gpu, needs CUDA): the hf backend with a LayoutLMv3-base-shaped model (random weights, a small
locally trained vocabulary; no hub) in bf16, beside transformers' Trainer (bf16=True) on the same windows,
same batch size and step count, in one process; prints the device name.

    ../.venv/bin/python bench/train_speed.py [--docs 64] [--epochs 3] [--repeats 1] [--json out.json]
    python bench/train_speed.py --gpu [--steps 60] [--batch-size 8]
(`npm run bench:train` runs the CPU part from the repository root.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.synthetic import write_dataset  # noqa: E402

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "openblas1": {"OPENBLAS_NUM_THREADS": "1"},
    "threads1": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
}


def _opt_ml(root: Path, docs: int, epochs: int) -> Path:
    write_dataset(root / "input" / "data", n_train=docs, n_val=max(4, docs // 4), seed=7)
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    hp = {"epochs": str(epochs), "checkpoint_every_steps": "0"}
    (config / "hyperparameters.json").write_text(json.dumps(hp), encoding="utf-8")
    return root


def run_cpu_variant(template: Path, work: Path, name: str) -> dict[str, Any]:
    root = work / name
    if root.exists():
        subprocess.run(["rm", "-rf", str(root)], check=True)
    subprocess.run(["cp", "-r", str(template), str(root)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS and not k.startswith("SM_")}
    env.update(VARIANTS[name])
    env.update({"DOCTRAIN_OPT_ML": str(root), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "doctrain_trainer", "train"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{name}: trainer exited {proc.returncode}\n{stderr[-2000:]}")
    metrics = json.loads((root / "model" / "metrics.json").read_text(encoding="utf-8"))
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "samples_per_second": metrics["throughput"]["samples_per_second"],
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "system_seconds": round(usage.ru_stime, 2),
        "cpu_percent": round(100 * cpu / wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "val_f1": metrics["final"]["val_f1"],
    }


def cpu_bench(docs: int, epochs: int, repeats: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="doctrain-bench-") as tmp:
        work = Path(tmp)
        template = _opt_ml(work / "template", docs, epochs)
        names = list(VARIANTS)
        for r in range(repeats):
            for name in names if r % 2 == 0 else reversed(names):
                runs[name].append(run_cpu_variant(template, work, name))
                print(f"[bench] {name} run {r + 1}: {runs[name][-1]}", file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    for name, results in runs.items():
        summary[name] = {
            key: round(sum(r[key] for r in results) / len(results), 3)
            for key in results[0]
            if isinstance(results[0][key], (int, float))
        }
    base = summary["default"]
    for name in VARIANTS:
        summary[name]["ratio_vs_default"] = {
            "samples_per_second": round(summary[name]["samples_per_second"] / base["samples_per_second"], 3),
            "cpu_seconds": round(summary[name]["cpu_seconds"] / base["cpu_seconds"], 3),
            "peak_rss_mb": round(summary[name]["peak_rss_mb"] / base["peak_rss_mb"], 3),
        }
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_avg": os.getloadavg()},
        "docs": docs,
        "epochs": epochs,
        "repeats": repeats,
        "variants": summary,
    }


def gpu_bench(steps: int, batch_size: int, docs: int, repeats: int, dry_run: bool = False) -> dict[str, Any]:
    """The hf backend's loop (bf16 autocast) vs transformers' Trainer (bf16=True) on the same windows.
    Each side runs `repeats` times, alternating which goes first (the first run in the process also pays
    CUDA's start-up); reported: every run's samples/s and peak GPU memory, and the ratio of the best runs.
    dry_run: the same code path on CPU with a tiny model in fp32 (checks the script, measures nothing)."""
    import torch
    from transformers import LayoutLMv3ForTokenClassification, Trainer, TrainingArguments

    from doctrain_trainer.backends.hf import HFBackend
    from doctrain_trainer.data import load_channel
    from doctrain_trainer.paths import resolve_paths
    from doctrain_trainer.stop import StopFlag
    from doctrain_trainer.train import run_training
    from tests.synthetic import ALL_LABELS
    from tests.tiny_hf import BASE_SIZES, TINY_SIZES, build_tiny_model, write_page_images

    if not dry_run and not torch.cuda.is_available():
        raise SystemExit("--gpu needs a CUDA device")
    device_name = "cpu (dry run)" if dry_run else torch.cuda.get_device_name(0)
    sizes, side = (TINY_SIZES, 32) if dry_run else (BASE_SIZES, 224)

    def reset_peak() -> None:
        if not dry_run:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()

    def peak_mb() -> float | None:
        return None if dry_run else round(torch.cuda.max_memory_allocated() / 2**20, 1)

    with tempfile.TemporaryDirectory(prefix="doctrain-gpu-bench-") as tmp:
        work = Path(tmp)
        model_dir = build_tiny_model(work / "base", "layoutlmv3", sizes=sizes, image_side=side)
        data = work / "data"
        write_dataset(data, n_train=docs, n_val=8, seed=7)
        write_page_images(data, data / "images")
        hp = {
            "backend": "hf",
            "model_id": str(model_dir),
            "precision": "fp32" if dry_run else "bf16",
            "device": "cpu" if dry_run else "cuda",
            "batch_size": str(batch_size),
            "epochs": "1000",
            "max_steps": str(steps),
            "checkpoint_every_steps": "0",
            "early_stopping_patience": "0",  # both sides run exactly `steps` steps
        }

        def run_ours(n: int) -> dict[str, Any]:
            root = work / f"opt_ml_{n}"
            (root / "input").mkdir(parents=True)
            shutil.copytree(data, root / "input" / "data")
            (root / "input" / "config").mkdir()
            (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hp), encoding="utf-8")
            reset_peak()
            run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), StopFlag(), out=sys.stderr)
            throughput = json.loads((root / "model" / "metrics.json").read_text())["throughput"]
            return {"samples_per_second": throughput["samples_per_second"], "peak_gpu_mb": peak_mb()}

        # transformers' Trainer on the very same windows (the backend's encoding and collation).
        backend = HFBackend(str(model_dir), lambda rid: data / "images" / f"{rid}.png")
        train_docs = load_channel(data / "train", "train", None)
        windows = backend.encode(train_docs, None, {lab: i for i, lab in enumerate(ALL_LABELS)}, 512)  # type: ignore[arg-type]

        def collate(items: list[Any]) -> dict[str, torch.Tensor]:
            return backend.collate(items)

        def run_trainer(n: int) -> dict[str, Any]:
            torch.manual_seed(42)
            model = LayoutLMv3ForTokenClassification.from_pretrained(model_dir, num_labels=len(ALL_LABELS))
            args = TrainingArguments(
                output_dir=str(work / f"trainer_{n}"),
                per_device_train_batch_size=batch_size,
                max_steps=steps,
                bf16=not dry_run,
                use_cpu=dry_run,
                learning_rate=5e-5,
                warmup_ratio=0.1,
                weight_decay=0.01,
                max_grad_norm=1.0,
                save_strategy="no",
                logging_strategy="no",
                report_to=[],
                remove_unused_columns=False,
                dataloader_num_workers=0,
                seed=42,
            )
            reset_peak()
            trainer = Trainer(model=model, args=args, train_dataset=windows, data_collator=collate)  # type: ignore[arg-type]
            metrics = trainer.train().metrics
            return {"samples_per_second": metrics.get("train_samples_per_second"), "peak_gpu_mb": peak_mb()}

        ours: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        for r in range(repeats):
            order = [("ours", run_ours, ours), ("trainer", run_trainer, theirs)]
            for name, fn, into in order if r % 2 == 0 else reversed(order):
                into.append(fn(r))
                print(f"[bench] {name} run {r + 1}: {into[-1]}", file=sys.stderr, flush=True)
    best_ours = max(x["samples_per_second"] for x in ours)
    best_theirs = max(x["samples_per_second"] for x in theirs)
    return {
        "device": device_name,
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "model": f"LayoutLMv3-base-shaped (random weights), image side {side}",
        "steps": steps,
        "batch_size": batch_size,
        "windows": len(windows),
        "doctrain_hf_bf16": ours,
        "transformers_trainer_bf16": theirs,
        "best_samples_per_second": {"doctrain": best_ours, "trainer": best_theirs},
        "ratio_doctrain_vs_trainer": round(best_ours / best_theirs, 3),
        "note": "doctrain times optimizer steps only; Trainer's runtime covers its whole train() loop",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--gpu-dry-run", action="store_true", help="the --gpu code path on CPU, tiny model")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.gpu or args.gpu_dry_run:
        result = gpu_bench(args.steps, args.batch_size, args.docs, args.repeats, dry_run=args.gpu_dry_run)
    else:
        result = cpu_bench(args.docs, args.epochs, args.repeats)
        print(
            f"{'variant':<10} {'samples/s':>10} {'wall s':>8} {'cpu s':>8} {'cpu %':>7} {'rss MB':>8}  ratio"
        )
        for name, v in result["variants"].items():
            r = v["ratio_vs_default"]
            print(
                f"{name:<10} {v['samples_per_second']:>10.1f} {v['wall_seconds']:>8.1f} "
                f"{v['cpu_seconds']:>8.1f} {v['cpu_percent']:>7.1f} {v['peak_rss_mb']:>8.1f}  "
                f"samples/s x{r['samples_per_second']}, "
                f"cpu x{r['cpu_seconds']}, rss x{r['peak_rss_mb']}"
            )
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
