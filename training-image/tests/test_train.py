from __future__ import annotations

import importlib.util
import json
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
import torch

from doctrain_trainer.checkpoint import MANIFEST_FILE, STATE_FILE, CheckpointRef, CheckpointStore
from doctrain_trainer.errors import TrainingInterrupted
from doctrain_trainer.paths import resolve_paths
from doctrain_trainer.stop import StopFlag
from doctrain_trainer.train import early_stop, run_training
from tests.conftest import TINY, make_opt_ml, run_train, set_hyperparameters, start_train
from tests.test_checkpoint import CORRUPTIONS


def latest_complete(directory: Path) -> CheckpointRef | None:
    loaded = CheckpointStore(directory).load_latest()
    return loaded.ref if loaded is not None else None


METRIC_RE = re.compile(
    r"^\[metric\] epoch=(\d+) step=(\d+) train_loss=\d+\.\d{4} val_loss=\d+\.\d{4} "
    r"val_precision=[01]\.\d{4} val_recall=[01]\.\d{4} val_f1=([01]\.\d{4}) "
    r"val_field_exact=[01]\.\d{4} val_field_f1=[01]\.\d{4}( val_exact_[a-z0-9_]+=[01]\.\d{4})+$"
)


def metric_lines(stdout: str) -> list[re.Match[str]]:
    lines = [line for line in stdout.splitlines() if line.startswith("[metric]")]
    matches = [METRIC_RE.match(line) for line in lines]
    assert all(matches), lines
    return [m for m in matches if m]


def test_full_train_run_writes_model_and_metric_lines(opt_ml: Path) -> None:
    result = run_train(opt_ml)
    assert result.returncode == 0, result.stderr
    metrics = metric_lines(result.stdout)
    # 16 docs / batch 4 = 4 steps per epoch, one line per epoch; then, when the best epoch (the model
    # kept) is not the last, its line once more, so the job's final metrics describe the model written.
    steps = [(m.group(1), m.group(2)) for m in metrics]
    assert steps[:2] == [("1", "4"), ("2", "8")]
    history = json.loads((opt_ml / "model" / "metrics.json").read_text())["history"]
    best = metrics[max(range(2), key=lambda i: (history[i]["val_f1"], -i))]
    assert steps[2:] == ([] if best is metrics[1] else [(best.group(1), best.group(2))])
    assert metrics[-1].group(0) == best.group(0)
    model_dir = opt_ml / "model"
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "code",  # the SageMaker inference handler (tests/test_predict.py)
        "config.json",
        "labels.json",
        "metrics.json",
        "model.pt",
        "predictions.json",  # the model's tags on the validation records, for the run report
        "vocab.json",
    ]
    saved = json.loads((model_dir / "metrics.json").read_text())
    assert saved["final"]["step"] == int(best.group(2)) and len(saved["history"]) == 2
    assert f"{saved['final']['val_f1']:.4f}" == metrics[-1].group(3)
    labels = json.loads((model_dir / "labels.json").read_text())
    assert labels["schemaVersion"] == 1 and labels["labels"][0] == "O"
    config = json.loads((model_dir / "config.json").read_text())
    assert config["hyperparameters"]["hidden_size"] == 32
    # model.pt holds only tensors and builtins
    state = torch.load(model_dir / "model.pt", map_location="cpu")
    assert state["backend"] == "compact" and "head.weight" in state["state_dict"]
    assert latest_complete(opt_ml / "checkpoints") is not None
    assert not (opt_ml / "output" / "failure").exists()


def test_predictions_are_the_written_models_tags_on_each_validation_record(opt_ml: Path) -> None:
    # Prepare
    result = run_train(opt_ml)
    assert result.returncode == 0, result.stderr
    validation = [
        json.loads(line)
        for path in sorted((opt_ml / "input" / "data" / "validation").glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    labels = json.loads((opt_ml / "model" / "labels.json").read_text())["labels"]

    # Act
    predictions = json.loads((opt_ml / "model" / "predictions.json").read_text())

    # Assess: one tag per word of every validation record, from the labels' vocabulary
    assert predictions["schemaVersion"] == 1
    assert sorted(predictions["records"]) == sorted(record["id"] for record in validation)
    for record in validation:
        tags = predictions["records"][record["id"]]
        assert len(tags) == len(record["words"]) and set(tags) <= set(labels)


def test_predictions_keep_at_most_the_schemas_cap_and_are_validated() -> None:
    from doctrain_trainer.artifacts import predictions_payload

    many = [f"r{i}" for i in range(250)]
    payload = predictions_payload(many, [["O"]] * len(many))
    assert list(payload["records"]) == many[:200]
    with pytest.raises(Exception, match="too short|minLength|non-empty|should be non-empty"):
        predictions_payload(["r1"], [[""]])


def test_max_steps_caps_training(opt_ml: Path) -> None:
    set_hyperparameters(opt_ml, {**TINY, "max_steps": "3"})
    result = run_train(opt_ml)
    assert result.returncode == 0, result.stderr
    assert [(m.group(1), m.group(2)) for m in metric_lines(result.stdout)] == [("1", "3")]


def test_bad_data_exits_2_with_failure_reason(opt_ml: Path) -> None:
    train_file = opt_ml / "input" / "data" / "train" / "train-00000.jsonl"
    lines = train_file.read_text().splitlines()
    doc = json.loads(lines[2])
    doc["labels"] = doc["labels"][:-1]
    lines[2] = json.dumps(doc)
    train_file.write_text("\n".join(lines) + "\n")
    result = run_train(opt_ml)
    assert result.returncode == 2
    failure = (opt_ml / "output" / "failure").read_text()
    assert failure.startswith("UserError: bad dataset line train-00000.jsonl:3: ")
    assert "differ in length" in failure


def test_bad_hyperparameter_exits_2(opt_ml: Path) -> None:
    set_hyperparameters(opt_ml, {**TINY, "lr": "0.1"})
    result = run_train(opt_ml)
    assert result.returncode == 2
    assert "unknown hyperparameter 'lr'" in (opt_ml / "output" / "failure").read_text()


def test_hf_backend_without_transformers_is_a_user_error(opt_ml: Path) -> None:
    if importlib.util.find_spec("transformers") is not None:
        pytest.skip("transformers is installed here")
    set_hyperparameters(opt_ml, {**TINY, "backend": "hf"})
    result = run_train(opt_ml)
    assert result.returncode == 2
    assert "backend hf needs the transformers package" in (opt_ml / "output" / "failure").read_text()


def test_sigterm_checkpoints_exits_143_and_rerun_resumes(tmp_path: Path) -> None:
    root = make_opt_ml(tmp_path / "opt_ml", {**TINY, "epochs": "1000", "checkpoint_every_steps": "3"})
    ckpt_dir = root / "checkpoints"
    proc = start_train(root)
    try:
        deadline = time.monotonic() + 60
        while latest_complete(ckpt_dir) is None:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr
    assert not (root / "output" / "failure").exists()
    ref = latest_complete(ckpt_dir)
    assert ref is not None and ref.step > 0
    # The SIGTERM checkpoint sits at a step boundary, usually between the periodic ones.
    assert f"checkpoint {ref.path.name}" in stderr

    # A newer checkpoint whose state does not match its manifest must be skipped.
    broken = ckpt_dir / "slot-7"
    broken.mkdir()
    (broken / STATE_FILE).write_bytes(b"half a file")
    manifest = json.loads((ref.path / MANIFEST_FILE).read_text())
    (broken / MANIFEST_FILE).write_text(json.dumps({**manifest, "step": ref.step + 1000}))

    hp = {**TINY, "epochs": "1000", "checkpoint_every_steps": "3", "max_steps": str(ref.step + 2)}
    set_hyperparameters(root, hp)
    result = run_train(root)
    assert result.returncode == 0, result.stderr
    assert f"resuming from checkpoint {ref.path.name} at step {ref.step}" in result.stderr
    steps = [int(m.group(2)) for m in metric_lines(result.stdout)]
    # New evaluations only, up to the cap; then possibly the best evaluation's line again (the model kept).
    assert ref.step + 2 in steps
    evaluated = steps[: steps.index(ref.step + 2) + 1]
    assert all(s > ref.step for s in evaluated) and len(steps) - len(evaluated) <= 1


class StopAfter(StopFlag):
    """Simulates SIGTERM deterministically: reads False `checks` times, then True."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self._left = checks

    @property  # type: ignore[override]
    def requested(self) -> bool:
        self._left -= 1
        return self._left < 0

    @requested.setter
    def requested(self, value: bool) -> None:
        pass


def test_resumed_training_matches_uninterrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hp = {**TINY, "epochs": "2", "checkpoint_every_steps": "0"}
    a = make_opt_ml(tmp_path / "a", hp)
    b = make_opt_ml(tmp_path / "b", hp)
    monkeypatch.setenv("DOCTRAIN_OPT_ML", str(a))
    final_a = run_training(resolve_paths(), StopFlag())
    monkeypatch.setenv("DOCTRAIN_OPT_ML", str(b))
    with pytest.raises(TrainingInterrupted):
        # Checked before each step and after each epoch end: 4 + 1 + 2 checks pass, so it stops at step 6,
        # in the middle of the second epoch (4 steps per epoch).
        run_training(resolve_paths(), StopAfter(7))
    ref = latest_complete(b / "checkpoints")
    assert ref is not None and ref.step == 6
    final_b = run_training(resolve_paths(), StopFlag())
    assert final_b["val_f1"] == final_a["val_f1"] and final_b["val_loss"] == final_a["val_loss"]
    wa = torch.load(a / "model" / "model.pt")["state_dict"]
    wb = torch.load(b / "model" / "model.pt")["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_model_dir_reloads_and_reproduces_validation_f1(opt_ml: Path) -> None:
    from doctrain_trainer.data import load_channel
    from doctrain_trainer.inference import load_model
    from doctrain_trainer.metrics import entity_report

    result = run_train(opt_ml)
    assert result.returncode == 0, result.stderr
    loaded = load_model(opt_ml / "model")
    docs = load_channel(opt_ml / "input" / "data" / "validation", "validation", None)
    pred = [loaded.predict(d.words, d.bboxes) for d in docs]
    f1 = entity_report([list(d.labels) for d in docs], pred).micro.f1
    final = json.loads((opt_ml / "model" / "metrics.json").read_text())["final"]
    assert f1 == pytest.approx(final["val_f1"], abs=1e-6)


def test_unknown_command_exits_2(tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import PYTHON, ROOT, train_env

    result = subprocess.run(
        [PYTHON, "-m", "doctrain_trainer", "serve"], cwd=ROOT, env=train_env(tmp_path), capture_output=True
    )
    assert result.returncode == 2
    assert "unknown command serve" in (tmp_path / "output" / "failure").read_text()


def test_framework_error_exits_1_with_reason(opt_ml: Path) -> None:
    # A checkpoint directory that is a file cannot be created: not the user's data, so exit 1.
    (opt_ml / "checkpoints").write_text("not a directory")
    result = run_train(opt_ml)
    assert result.returncode == 1
    assert (opt_ml / "output" / "failure").read_text().startswith("FrameworkError: ")


@pytest.fixture(scope="module")
def uninterrupted_and_stopped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Run a: 2 epochs uninterrupted. Run b: the same, stopped at step 6 (checkpoints at steps 4 and 6)."""
    base = tmp_path_factory.mktemp("fallback")
    hp = {**TINY, "epochs": "2", "checkpoint_every_steps": "0"}
    a, b = make_opt_ml(base / "a", hp), make_opt_ml(base / "b", hp)
    run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(a)}), StopFlag())
    with pytest.raises(TrainingInterrupted):
        run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(b)}), StopAfter(7))
    return a, b


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_newest_checkpoint_falls_back_and_finishes_like_uninterrupted(
    uninterrupted_and_stopped: tuple[Path, Path], tmp_path: Path, corruption: str
) -> None:
    a, stopped = uninterrupted_and_stopped
    b = tmp_path / "b"
    shutil.copytree(stopped, b)
    store = CheckpointStore(b / "checkpoints")
    newest = store.load_latest()
    assert newest is not None and newest.ref.step == 6
    CORRUPTIONS[corruption](newest.ref.path / STATE_FILE)

    final_b = run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(b)}), StopFlag())
    final_a = json.loads((a / "model" / "metrics.json").read_text())["final"]
    assert final_b["val_f1"] == final_a["val_f1"] and final_b["val_loss"] == final_a["val_loss"]
    wa = torch.load(a / "model" / "model.pt")["state_dict"]
    wb = torch.load(b / "model" / "model.pt")["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert sorted(p.name for p in (b / "checkpoints").iterdir()) == ["slot-0", "slot-1"]


@pytest.mark.parametrize(
    ("best", "since", "patience", "reason"),
    [
        (None, 0, 10, None),  # nothing evaluated yet
        (0.93, 3, 10, None),
        (0.93, 10, 10, "has not improved for 10 evaluations"),
        (1.0, 0, 10, "reached 1.0, which no later epoch can beat"),  # a perfect score: no need to wait
        (1.0, 0, 0, None),  # patience off: every epoch runs, perfect or not
        (0.5, 40, 0, None),
    ],
)
def test_early_stop(best: float | None, since: int, patience: int, reason: str | None) -> None:
    assert early_stop(best, since, patience) == reason


def test_without_patience_a_perfect_score_does_not_stop_training(opt_ml: Path) -> None:
    set_hyperparameters(opt_ml, {**TINY, "epochs": "6", "early_stopping_patience": "0"})
    result = run_train(opt_ml)
    assert result.returncode == 0, result.stderr
    assert len(json.loads((opt_ml / "model" / "metrics.json").read_text())["history"]) == 6
