"""Data-parallel training over every GPU of the instance and over several instances (torchrun + DDP).

Two halves:

- **Launch** (the image's entrypoint, before any training): `plan_launch` reads SageMaker's
  `resourceconfig.json` (`current_host`, `hosts`; or `SM_CURRENT_HOST` / `SM_HOSTS`) and the GPU count
  (`DOCTRAIN_NPROC_PER_NODE`, which the state machine sets from the instance plan, else
  `torch.cuda.device_count()`). One process in all (one host, at most one GPU, or `device=cpu`): nothing
  changes, the trainer runs in this process exactly as before. Otherwise `launch_workers` runs
  `torch.distributed.run` (torchrun) with `--nnodes <hosts> --node-rank <index of current_host in the
  sorted hosts> --nproc-per-node <GPUs> --master-addr <first host>` and the trainer as its module; SIGTERM
  (a spot reclaim, StopTrainingJob) is passed to torchrun and its workers, which checkpoint and exit.
- **Workers** (`join_world`, inside the training loop): the process group (NCCL on CUDA, gloo on CPU), the
  rank's device, DDP around the model, the global batch split over the ranks, the loss scaled so that the
  averaged gradient is the one of the whole global batch, a stop agreed by every rank at the same step, and
  objects broadcast from / gathered to rank 0 (evaluation and checkpoints are rank 0's).

`batch_size` stays the global batch (documents per optimizer step, all ranks together), so the learning
rate needs no change with the world size and a run on 4 GPUs follows the same optimizer steps as one on
one GPU (README: "Multi-GPU and multi-instance").
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from .backends import IGNORE_INDEX
from .errors import UserError
from .log import log
from .paths import SageMakerPaths, read_json_file
from .stop import StopFlag

DEFAULT_MASTER_PORT = 29500
# torchrun's wait for its workers after SIGTERM before SIGKILL: the step in flight, then the checkpoint
# (SageMaker allows 120 s after a spot interruption notice; torchrun's own default is 30 s).
SHUTDOWN_TIMEOUT_SECONDS = 100
# Ranks > 0 wait in a collective while rank 0 evaluates or writes a checkpoint.
COLLECTIVE_TIMEOUT = timedelta(minutes=int(os.environ.get("DOCTRAIN_COLLECTIVE_TIMEOUT_MINUTES", "60")))

T = TypeVar("T")


# ------------------------------------------------------------------------------------------------ launch


@dataclass(frozen=True)
class LaunchPlan:
    hosts: tuple[str, ...]
    node_rank: int
    nproc_per_node: int
    master_addr: str
    master_port: int

    @property
    def world_size(self) -> int:
        return len(self.hosts) * self.nproc_per_node


def is_worker(env: Mapping[str, str]) -> bool:
    """This process was started by torchrun (it sets these for every worker)."""
    return "LOCAL_RANK" in env and "WORLD_SIZE" in env


def _hosts(paths: SageMakerPaths, env: Mapping[str, str]) -> tuple[list[str], str]:
    """(hosts, current host) from resourceconfig.json, else SM_HOSTS / SM_CURRENT_HOST, else one host."""
    if paths.resource_config_file.is_file():
        cfg = read_json_file(paths.resource_config_file, "resourceconfig.json")
        hosts, current = (
            (cfg.get("hosts"), cfg.get("current_host")) if isinstance(cfg, dict) else (None, None)
        )
        source = "resourceconfig.json"
    elif env.get("SM_HOSTS"):
        try:
            hosts = json.loads(env["SM_HOSTS"])
        except json.JSONDecodeError as exc:
            raise UserError(f"SM_HOSTS is not a JSON list of host names: {exc}") from exc
        current, source = env.get("SM_CURRENT_HOST"), "SM_HOSTS/SM_CURRENT_HOST"
    else:
        return ["algo-1"], "algo-1"
    if not (isinstance(hosts, list) and hosts and all(isinstance(h, str) and h for h in hosts)):
        raise UserError(f"{source}: hosts must be a non-empty list of host names, got {hosts!r}")
    if len(set(hosts)) != len(hosts):
        raise UserError(f"{source}: hosts {hosts} name a host twice")
    if len(hosts) == 1 and current is None:
        current = hosts[0]
    if current not in hosts:
        raise UserError(f"{source}: current_host {current!r} is not one of hosts {hosts}")
    # SageMaker names them algo-1 .. algo-N; sorted, every host derives the same ranks from the same list.
    return sorted(hosts, key=lambda h: (len(h), h)), str(current)


def _positive_int(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"{name}={raw!r}: expected a positive integer")
    return int(raw)


def plan_launch(paths: SageMakerPaths, env: Mapping[str, str], device_hyperparameter: str) -> LaunchPlan:
    """How many trainer processes this host runs, and where they meet.

    Processes per host: `DOCTRAIN_NPROC_PER_NODE` when set (the instance's GPU count from the plan; on a
    machine without CUDA any count runs on CPU with gloo, the tests' rehearsal), else every visible GPU,
    else 1; `device=cpu` means 1 unless the variable says otherwise."""
    hosts, current = _hosts(paths, env)
    gpus = torch.cuda.device_count()
    asked = _positive_int(env, "DOCTRAIN_NPROC_PER_NODE")
    if asked is not None and gpus and asked > gpus and device_hyperparameter != "cpu":
        raise UserError(
            f"DOCTRAIN_NPROC_PER_NODE={asked} but this instance has {gpus} GPUs; the instance plan and the "
            "instance type disagree"
        )
    if asked is not None:
        nproc = asked
    elif device_hyperparameter == "cpu":
        nproc = 1
    else:
        nproc = max(1, gpus)
    master = env.get("DOCTRAIN_MASTER_ADDR") or (hosts[0] if len(hosts) > 1 else "127.0.0.1")
    port = _positive_int(env, "DOCTRAIN_MASTER_PORT") or DEFAULT_MASTER_PORT
    return LaunchPlan(tuple(hosts), hosts.index(current), nproc, master, port)


def torchrun_command(plan: LaunchPlan) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nnodes={len(plan.hosts)}",
        f"--node-rank={plan.node_rank}",
        f"--nproc-per-node={plan.nproc_per_node}",
        f"--master-addr={plan.master_addr}",
        f"--master-port={plan.master_port}",
        f"--shutdown-timeout={SHUTDOWN_TIMEOUT_SECONDS}",
        "--module",
        "doctrain_trainer",
        "train",
    ]


def launch_workers(plan: LaunchPlan, stop: StopFlag, failure_file: Path) -> int:
    """Runs torchrun for `plan` and returns the trainer's exit code: 143 when stopped by SIGTERM, 2 when a
    worker wrote a user error to output/failure, 1 for any other failure (the failure file says what; when
    no worker wrote one, torchrun's exit status does), 0 on success."""
    if stop.requested:
        return 143
    log(
        f"distributed: {len(plan.hosts)} host(s) x {plan.nproc_per_node} process(es) = world size "
        f"{plan.world_size}; this host is node {plan.node_rank}, master {plan.master_addr}:{plan.master_port}"
    )
    failure_file.unlink(missing_ok=True)
    proc = subprocess.Popen(torchrun_command(plan), start_new_session=True)
    signalled: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        signalled.append(signum)
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # torchrun and its workers: each worker checkpoints, exits
        except ProcessLookupError:
            pass

    previous = signal.signal(signal.SIGTERM, forward)
    if stop.requested:  # a SIGTERM between the check above and this handler
        forward(signal.SIGTERM, None)
    try:
        rc = proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if signalled:
        return 143
    if rc == 0:
        return 0
    reason = failure_file.read_text(encoding="utf-8") if failure_file.is_file() else ""
    if reason.startswith("UserError"):
        return 2
    if not reason:
        failure_file.parent.mkdir(parents=True, exist_ok=True)
        failure_file.write_text(f"FrameworkError: torchrun exited {rc}; see the job's log", encoding="utf-8")
    return 1


# ----------------------------------------------------------------------------------------------- workers


@dataclass(frozen=True)
class Shard:
    """This rank's part of a global batch; `weight` 0 when the rank has none (it then runs one item of the
    batch with a zero loss weight, so every rank takes part in the gradient all-reduce)."""

    items: list[int]
    weight: float


@dataclass
class World:
    rank: int = 0
    local_rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def device(self, device: torch.device) -> torch.device:
        """The rank's device: its own GPU (LOCAL_RANK) on CUDA."""
        if device.type != "cuda" or not self.distributed:
            return device
        torch.cuda.set_device(self.local_rank)
        return torch.device("cuda", self.local_rank)

    def wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        """The module the training step calls: DDP around `model` (which the rest of the loop keeps using:
        evaluation, checkpoints and the model written see the plain module and its state dict)."""
        if not self.distributed:
            return model
        ids = [device.index] if device.type == "cuda" else None
        # static_graph: the same parameters take part in every step, and some never do (LayoutLM's pooler,
        # LayoutLMv3's patch embedding without page images): DDP learns that set on the first step instead
        # of failing on the second (find_unused_parameters would search the graph on every step).
        return nn.parallel.DistributedDataParallel(model, device_ids=ids, static_graph=True)

    def shard(self, items: Sequence[int]) -> Shard:
        """Contiguous, near-equal parts of the global batch, in rank order."""
        if not self.distributed:
            return Shard(list(items), 1.0)
        per, extra = divmod(len(items), self.size)
        start = self.rank * per + min(self.rank, extra)
        mine = list(items[start : start + per + (1 if self.rank < extra else 0)])
        return Shard(mine, 1.0) if mine else Shard(list(items[:1]), 0.0)

    def global_mean(
        self, loss: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None, shard: Shard
    ) -> tuple[torch.Tensor, float]:
        """(the loss to backpropagate, the global batch's loss to log). `loss` is this rank's weighted mean
        over its labelled positions (evaluation.loss_fn); DDP averages gradients over ranks, so each
        rank's loss is scaled by its share of the global denominator times the world size: the averaged
        gradient is then exactly that of the weighted mean over the whole global batch (one process)."""
        if not self.distributed:
            return loss, float(loss.detach())
        local = loss_denominator(labels, weight) * shard.weight
        sums = torch.stack([loss.detach().float() * local, local]).to(loss.device)
        dist.all_reduce(sums)
        total = float(sums[1].clamp_min(1e-12))
        return loss * (local * self.size / total), float(sums[0]) / total

    def any(self, flag: bool) -> bool:
        """True on every rank when it is on any rank (a SIGTERM seen by one worker stops them all at the
        same step)."""
        if not self.distributed:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=self._collective_device())
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)

    def broadcast(self, obj: T) -> T:
        """Rank 0's `obj` on every rank."""
        if not self.distributed:
            return obj
        box: list[Any] = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0, device=self._collective_device())
        return box[0]  # type: ignore[no-any-return]

    def gather(self, obj: T) -> list[T]:
        """Every rank's `obj`, in rank order, on rank 0 (an empty list elsewhere)."""
        if not self.distributed:
            return [obj]
        out: list[Any] | None = [None] * self.size if self.is_main else None
        dist.gather_object(obj, out, dst=0)
        return out if out is not None else []

    def agree(self, value: Any, what: str) -> None:
        """Fails unless every rank holds the same `value` (e.g. the checkpoint each one resumes from)."""
        if not self.distributed:
            return
        values: list[Any] = [None] * self.size
        dist.all_gather_object(values, value)
        if any(v != values[0] for v in values):
            raise UserError(
                f"the ranks disagree on {what}: {values}; every host must see the same checkpoint directory"
            )

    def close(self, synchronized: bool = False) -> None:
        """Leaves the process group; with `synchronized` (every rank ended its work normally), once every
        rank is here: a rank that tears gloo down while a peer still holds its connection can abort in gloo's
        own threads ("terminate called without an active exception", seen under load in CI). Never after a
        failure, where the other ranks may be inside another collective."""
        if self.distributed and dist.is_initialized():
            if synchronized:
                dist.barrier()
            dist.destroy_process_group()

    def _collective_device(self) -> torch.device:
        if dist.get_backend() == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")


def loss_denominator(labels: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """The denominator of loss_fn's weighted mean: the summed label weights of the labelled positions."""
    labelled = labels != IGNORE_INDEX
    if weight is None:
        return labelled.sum().to(torch.float32)
    return weight.to(labels.device)[labels[labelled]].sum().to(torch.float32)


def join_world(device: torch.device, env: Mapping[str, str] | None = None) -> World:
    """This process's place in the job: one process (nothing to join) unless torchrun started it."""
    env = os.environ if env is None else env
    if not is_worker(env):
        return World()
    size, rank, local_rank = int(env["WORLD_SIZE"]), int(env["RANK"]), int(env["LOCAL_RANK"])
    if size == 1:
        return World()
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend, timeout=COLLECTIVE_TIMEOUT)
    world = World(rank, local_rank, size)
    if world.is_main:
        log(f"distributed: world size {size}, backend {backend}")
    return world


def check_resume_world(saved: Mapping[str, Any], world: World) -> bool:
    """True when the checkpoint was written by as many processes as this job runs (an exact resume: each
    rank takes its own saved random state). Another world size resumes by re-sharding (README): the
    global batches, model, optimizer, scheduler and loop position do not depend on the world size, so
    training goes on at the same global batch; only the per-rank random streams (dropout) start afresh,
    so the result is not bitwise that of an uninterrupted run."""
    saved_size = int(saved.get("world_size", 1))
    if saved_size == world.size:
        return True
    if world.is_main:
        log(
            f"checkpoint written by {saved_size} process(es), this job runs {world.size}: re-sharding the "
            "global batch (same batches and optimizer state; dropout's random streams restart, so not "
            "bitwise equal to an uninterrupted run)"
        )
    return False


def check_global_batch(batch_size: int, world: World) -> None:
    if batch_size < world.size:
        raise UserError(
            f"batch_size={batch_size} is the global batch, smaller than the world size {world.size} "
            f"(GPUs x instances): raise batch_size to at least {world.size} (and scale learning_rate, "
            "README: Multi-GPU) or use fewer GPUs"
        )
