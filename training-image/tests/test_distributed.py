"""Multi-GPU and multi-instance training (distributed.py), rehearsed on CPU: torchrun with the gloo
backend, 2 processes on one "host" and 1 process on each of 2 "hosts" (two entrypoints, as two SageMaker
instances would run them, with their own /opt/ml and one shared checkpoint directory standing in for the
job's CheckpointConfig S3 URI).

Tolerance, 2 processes against 1 with the same global batch (dropout and word dropout off, so no random
stream differs): val_loss within 1e-4 and every weight within 5e-4 absolute (a sixth of one AdamW step at
the learning rate 0.003). The global batch is split over the ranks and each rank's loss is scaled to its
share of the batch's labelled positions (World.global_mean), so the averaged gradient is the one-process
gradient up to float summation order (3.7e-8 measured on the first step's gradients); AdamW divides by the
root of the squared gradients, so where a gradient is near 0 that rounding becomes a visible step: measured
here, after 8 steps, at most 9.8e-5 on a weight (1.0e-4 for a resume re-sharded from 2 to 1), val_loss
equal to the 6 decimals metrics.json keeps, val_f1 equal.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from doctrain_trainer.distributed import LaunchPlan, World, plan_launch, torchrun_command
from doctrain_trainer.errors import UserError
from doctrain_trainer.paths import resolve_paths
from tests.conftest import PYTHON, ROOT, TINY, make_opt_ml, train_env

HOOKS = ROOT / "tests" / "fixtures" / "ddp_hooks"
WEIGHT_TOLERANCE = 5e-4
LOSS_TOLERANCE = 1e-4
# dropout 0 and no word dropout (HOOKS): one process and two would draw different random masks, which is
# not what is compared here.
HP: dict[str, Any] = {**TINY, "epochs": "2", "dropout": "0", "checkpoint_every_steps": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_resource_config(root: Path, current: str, hosts: list[str]) -> None:
    config = root / "input" / "config" / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": current, "hosts": hosts, "network_interface_name": "eth0"}))


def hooked(env: dict[str, str], **flags: str) -> dict[str, str]:
    """`env` with tests/fixtures/ddp_hooks on the path: word dropout off unless `random=on`; a hold."""
    random = flags.pop("random", "off")
    env = {**env, "PYTHONPATH": os.pathsep.join([str(HOOKS), env["PYTHONPATH"]]), **flags}
    if random == "off":
        env["DOCTRAIN_TEST_NO_WORD_DROPOUT"] = "1"
    return env


def dist_env(root: Path, nproc: int, port: int, **extra: str) -> dict[str, str]:
    env = train_env(root)
    # A rank that lost its peer fails its collective within minutes (with gloo's reason) instead of
    # waiting the trainer's default hour.
    env.update(
        {
            "DOCTRAIN_NPROC_PER_NODE": str(nproc),
            "DOCTRAIN_MASTER_PORT": str(port),
            "DOCTRAIN_COLLECTIVE_TIMEOUT_MINUTES": "3",
        }
    )
    return hooked(env, **extra)


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    """The entrypoint in its own session, so a test that gives up can end it with torchrun and workers."""
    return subprocess.Popen(
        [PYTHON, "-m", "doctrain_trainer", "train"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _end_tree(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def finish_all(procs: list[subprocess.Popen[str]], timeout: float = 300) -> list[tuple[int, str, str]]:
    """Every process's (exit code, stdout, stderr), their pipes drained side by side (one host's full pipe
    must not stall the other's collective). Past `timeout` every tree is killed and the failure shows each
    process's stderr: a failure detector, not a speed requirement."""
    results: list[tuple[int, str, str] | None] = [None] * len(procs)

    def drain(i: int) -> None:
        out, err = procs[i].communicate()
        results[i] = (procs[i].returncode, out, err)

    threads = [threading.Thread(target=drain, args=(i,), daemon=True) for i in range(len(procs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = [i for i, t in enumerate(threads) if t.is_alive()]
    if hung:
        for proc in procs:
            _end_tree(proc)
        for t in threads:
            t.join(30)
        report = "\n".join(
            f"--- process {i}{' (hung)' if i in hung else ''}: rc {r[0] if r else None}\n"
            f"{r[2][-4000:] if r else '(no output)'}"
            for i, r in enumerate(results)
        )
        raise AssertionError(f"process(es) {hung} still running after {timeout:.0f} s\n{report}")
    for proc in procs:
        _end_tree(proc)  # torchrun's workers, should any outlive their entrypoint
    return [r for r in results if r is not None]


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    return finish_all([proc], timeout)[0]


def weights(root: Path) -> dict[str, torch.Tensor]:
    return dict(torch.load(root / "model" / "model.pt")["state_dict"])


def final(root: Path) -> dict[str, Any]:
    return dict(json.loads((root / "model" / "metrics.json").read_text())["final"])


def metric_steps(stdout: str) -> list[str]:
    return [line.split()[2] for line in stdout.splitlines() if line.startswith("[metric] epoch=")]


# ----------------------------------------------------------------------------------- launch plan (unit)


def test_one_host_one_gpu_or_cpu_is_one_process(tmp_path: Path) -> None:
    root = make_opt_ml(tmp_path, dict(TINY), n_train=1, n_val=1)
    write_resource_config(root, "algo-1", ["algo-1"])
    plan = plan_launch(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), {}, "auto")
    assert plan.world_size == 1  # no CUDA here: the entrypoint trains in its own process, as before


def test_several_hosts_rank_by_sorted_name_and_meet_at_the_first(tmp_path: Path) -> None:
    root = make_opt_ml(tmp_path, dict(TINY), n_train=1, n_val=1)
    hosts = ["algo-2", "algo-10", "algo-1"]
    write_resource_config(root, "algo-10", hosts)
    paths = resolve_paths({"DOCTRAIN_OPT_ML": str(root)})
    plan = plan_launch(paths, {"DOCTRAIN_NPROC_PER_NODE": "4"}, "auto")
    assert plan == LaunchPlan(("algo-1", "algo-2", "algo-10"), 2, 4, "algo-1", 29500)
    assert plan.world_size == 12
    command = torchrun_command(plan)
    assert command[1:3] == ["-m", "torch.distributed.run"]
    assert {"--nnodes=3", "--node-rank=2", "--nproc-per-node=4", "--master-addr=algo-1"} <= set(command)
    assert command[-3:] == ["--module", "doctrain_trainer", "train"]


def test_sm_hosts_env_without_resourceconfig(tmp_path: Path) -> None:
    paths = resolve_paths({"DOCTRAIN_OPT_ML": str(tmp_path)})
    env = {"SM_HOSTS": '["algo-1","algo-2"]', "SM_CURRENT_HOST": "algo-2", "DOCTRAIN_MASTER_PORT": "4000"}
    plan = plan_launch(paths, env, "cpu")
    assert (plan.node_rank, plan.nproc_per_node, plan.master_addr, plan.master_port) == (1, 1, "algo-1", 4000)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"current_host": "algo-3", "hosts": ["algo-1", "algo-2"]}, "not one of hosts"),
        ({"current_host": "algo-1", "hosts": []}, "non-empty list"),
        ({"current_host": "algo-1", "hosts": ["algo-1", "algo-1"]}, "twice"),
    ],
)
def test_bad_resource_config_is_a_user_error(tmp_path: Path, config: dict[str, Any], message: str) -> None:
    (tmp_path / "input" / "config").mkdir(parents=True)
    (tmp_path / "input" / "config" / "resourceconfig.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match=message):
        plan_launch(resolve_paths({"DOCTRAIN_OPT_ML": str(tmp_path)}), {}, "auto")


def test_global_batch_is_split_in_rank_order_and_no_rank_is_left_empty() -> None:
    items = [7, 3, 9, 1, 4]
    shards = [World(rank, rank, 2).shard(items) for rank in range(2)]
    assert [s.items for s in shards] == [[7, 3, 9], [1, 4]]
    tail = [World(rank, rank, 4).shard([5, 6]) for rank in range(4)]
    assert [(s.items, s.weight) for s in tail] == [([5], 1.0), ([6], 1.0), ([5], 0.0), ([5], 0.0)]
    assert World().shard(items).items == items


# ------------------------------------------------------------------------------ training (2 processes)


@pytest.fixture(scope="module")
def one_and_two(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The same job with 1 process and with 2 (gloo, one host); the 2-process run's stdout."""
    base = tmp_path_factory.mktemp("ddp")
    one, two = make_opt_ml(base / "one", dict(HP)), make_opt_ml(base / "two", dict(HP))
    rc, _, stderr = finish(start(hooked(train_env(one))))
    assert rc == 0, stderr
    rc, stdout, stderr = finish(start(dist_env(two, 2, free_port())))
    assert rc == 0, stderr
    assert "world size 2, backend gloo" in stderr
    return one, two, stdout


def test_two_processes_train_like_one_with_the_same_global_batch(one_and_two: tuple[Path, Path, str]) -> None:
    one, two, stdout = one_and_two
    # Rank 0 alone evaluates and prints: one metric line per epoch (16 documents, global batch 4).
    assert metric_steps(stdout)[:2] == ["step=4", "step=8"]
    wa, wb = weights(one), weights(two)
    assert wa.keys() == wb.keys()
    worst = max(float((wa[k].float() - wb[k].float()).abs().max()) for k in wa)
    assert worst <= WEIGHT_TOLERANCE, f"largest weight difference {worst}"
    assert final(two)["val_loss"] == pytest.approx(final(one)["val_loss"], abs=LOSS_TOLERANCE)
    # Rank 0 wrote the checkpoints, recording the world size; the next resume with 2 is exact.
    state = torch.load(two / "checkpoints" / "slot-0" / "state.pt", weights_only=False)
    assert state["world_size"] == 2 and len(state["rank_rng"]) == 2


def test_two_processes_killed_and_resumed_equal_the_uninterrupted_run(
    one_and_two: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, two, _ = one_and_two
    hp = {**HP, "dropout": "0.1"}  # per-rank random streams in play: the resume restores each rank's
    uninterrupted, stopped = make_opt_ml(tmp_path / "u", hp), make_opt_ml(tmp_path / "s", hp)
    rc, _, stderr = finish(start(dist_env(uninterrupted, 2, free_port(), random="on")))
    assert rc == 0, stderr

    hold = tmp_path / "hold"
    hold.mkdir()
    proc = start(dist_env(stopped, 2, free_port(), random="on", DOCTRAIN_TEST_HOLD_DIR=str(hold)))
    deadline = time.monotonic() + 240  # a failure detector, not a speed requirement
    while not (hold / "epoch-1-ended").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "epoch 1 never ended"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # the entrypoint: SageMaker's spot reclaim goes to PID 1
    (hold / "release").touch()
    rc, _, stderr = finish(proc)
    assert rc == 143, stderr
    assert not (stopped / "model" / "model.pt").exists()
    state = torch.load(stopped / "checkpoints" / "slot-0" / "state.pt", weights_only=False)
    assert state["loop"]["step"] == 4 and state["world_size"] == 2

    rc, _, stderr = finish(start(dist_env(stopped, 2, free_port(), random="on")))
    assert rc == 0, stderr
    assert "resuming from checkpoint slot-0 at step 4" in stderr
    wa, wb = weights(uninterrupted), weights(stopped)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert final(stopped) == final(uninterrupted)


def test_resume_with_another_world_size_reshards(one_and_two: tuple[Path, Path, str], tmp_path: Path) -> None:
    """A capacity fallback to an instance with another GPU count: the 2-process checkpoint resumed by one
    process goes on at the same global batch (within the tolerance, dropout 0)."""
    one, two, _ = one_and_two
    resumed = make_opt_ml(tmp_path / "r", {**HP, "epochs": "2"})
    (resumed / "checkpoints").mkdir()
    # The 2-process run's epoch-1 checkpoint (step 4): its slot whose manifest says step 4.
    slots = [
        p
        for p in (two / "checkpoints").iterdir()
        if json.loads((p / "manifest.json").read_text())["step"] == 4
    ]
    assert len(slots) == 1
    subprocess.run(["cp", "-r", str(slots[0]), str(resumed / "checkpoints" / "slot-0")], check=True)
    rc, _, stderr = finish(start(hooked(train_env(resumed))))
    assert rc == 0, stderr
    assert "checkpoint written by 2 process(es), this job runs 1: re-sharding" in stderr
    wa, wb = weights(one), weights(resumed)
    assert max(float((wa[k].float() - wb[k].float()).abs().max()) for k in wa) <= WEIGHT_TOLERANCE
    assert final(resumed)["val_loss"] == pytest.approx(final(one)["val_loss"], abs=LOSS_TOLERANCE)


def test_two_hosts_on_one_machine_equal_two_processes_on_one_host(
    one_and_two: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, two, _ = one_and_two
    hosts = ["algo-1", "algo-2"]
    roots = [make_opt_ml(tmp_path / host, dict(HP)) for host in hosts]
    shared = tmp_path / "checkpoints"  # what every instance downloads from CheckpointConfig.S3Uri
    port = free_port()
    procs = []
    for root, host in zip(roots, hosts, strict=True):
        write_resource_config(root, host, hosts)
        env = dist_env(root, 1, port, DOCTRAIN_MASTER_ADDR="127.0.0.1", SM_CHECKPOINT_DIR=str(shared))
        procs.append(start(env))
    results = finish_all(procs)
    for rc, _, stderr in results:
        assert rc == 0, stderr
    assert "2 host(s) x 1 process(es) = world size 2; this host is node 1" in results[1][2]
    assert metric_steps(results[0][1])[:2] == ["step=4", "step=8"] and metric_steps(results[1][1]) == []
    # Rank 0 (algo-1) wrote the model and the checkpoints; algo-2 wrote no model.
    assert not (roots[1] / "model" / "model.pt").exists()
    assert sorted(p.name for p in shared.iterdir()) == ["slot-0", "slot-1"]
    wa, wb = weights(two), weights(roots[0])
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_a_user_error_in_the_workers_is_exit_2_with_its_reason(tmp_path: Path) -> None:
    root = make_opt_ml(tmp_path, {**HP, "batch_size": "1"}, n_train=4, n_val=2)
    rc, _, stderr = finish(start(dist_env(root, 2, free_port())))
    assert rc == 2, stderr
    failure = (root / "output" / "failure").read_text()
    assert failure.startswith("UserError: batch_size=1 is the global batch, smaller than the world size 2")


@pytest.mark.parametrize("arch", ["layoutlm", "layoutlmv3"])
def test_hf_models_train_on_two_processes(tmp_path: Path, arch: str) -> None:
    """LayoutLM's pooler and LayoutLMv3's patch embedding without page images get no gradient: DDP is told
    the graph is static (World.wrap), else its second step fails."""
    from tests.tiny_hf import build_tiny_model

    model = build_tiny_model(tmp_path / "model", arch)
    hp = {"backend": "hf", "model_id": str(model), "batch_size": "4", "epochs": "1", "max_seq_len": "128"}
    root = make_opt_ml(
        tmp_path / "run", {**hp, "max_steps": "3", "checkpoint_every_steps": "0"}, n_train=8, n_val=4
    )
    rc, stdout, stderr = finish(start(dist_env(root, 2, free_port())))
    assert rc == 0, stderr
    assert metric_steps(stdout) == ["step=3"]
    assert (root / "model" / "hf" / "model.safetensors").is_file()
