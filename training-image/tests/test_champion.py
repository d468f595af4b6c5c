"""The `champion` channel: the champion scored on the job's validation documents, and warm start from it."""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from doctrain_trainer.data import load_channel
from doctrain_trainer.errors import TrainingInterrupted
from doctrain_trainer.evaluation import _metric_name, document_fields
from doctrain_trainer.fields import field_report
from doctrain_trainer.inference import load_model
from doctrain_trainer.metrics import entity_report
from doctrain_trainer.paths import resolve_paths
from doctrain_trainer.stop import StopFlag
from doctrain_trainer.train import run_training
from tests.conftest import TINY, make_opt_ml, run_train
from tests.synthetic import ALL_LABELS
from tests.test_train import METRIC_RE, StopAfter

CHAMPION_RE = re.compile(
    r"^\[metric\] champion_comparable=1 champion_val_f1=([01]\.\d{4}) champion_val_precision=[01]\.\d{4} "
    r"champion_val_recall=[01]\.\d{4} champion_val_field_exact=[01]\.\d{4}"
    r"((?: champion_val_exact_[a-z0-9_]+=[01]\.\d{4})+)$"
)
NOT_COMPARABLE = "[metric] champion_comparable=0"
ONE_EPOCH = {**TINY, "epochs": "1", "checkpoint_every_steps": "0"}


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def champion(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model dir of a first tiny run (6 epochs on the seed-0 dataset): the lineage's champion."""
    root = make_opt_ml(tmp_path_factory.mktemp("champion"), {**TINY, "epochs": "6"})
    run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), StopFlag(), io.StringIO())
    return root / "model"


def add_champion(root: Path, model_dir: Path | None = None, archive: bytes | None = None) -> Path:
    """The job's champion channel: `model_dir` tarred as SageMaker does (members at the top), or the bytes
    `archive` as its model.tar.gz."""
    channel = root / "input" / "data" / "champion"
    channel.mkdir(parents=True)
    if archive is not None:
        (channel / "model.tar.gz").write_bytes(archive)
    else:
        assert model_dir is not None
        with tarfile.open(channel / "model.tar.gz", "w:gz") as tar:
            for path in sorted(model_dir.iterdir()):
                tar.add(path, arcname=path.name)
    return channel


def train(root: Path, stop: StopFlag | None = None) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """(final entry, stdout metric lines, metrics.json) of one in-process job."""
    out = io.StringIO()
    final = run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), stop or StopFlag(), out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("[metric]")]
    return final, lines, json.loads((root / "model" / "metrics.json").read_text())


def test_champion_is_scored_on_the_jobs_validation_documents(champion: Path, tmp_path: Path) -> None:
    root = make_opt_ml(tmp_path / "job", ONE_EPOCH, seed=1)  # other documents than the champion's
    add_champion(root, champion)
    final, lines, metrics = train(root)

    # The challenger's lines keep their names; the champion's comes once, after its final line.
    *challenger, last = lines
    assert challenger and all(METRIC_RE.match(line) for line in challenger)
    match = CHAMPION_RE.match(last)
    assert match is not None, last
    exact_names = re.findall(r" (val_exact_[a-z0-9_]+)=", challenger[-1])
    assert re.findall(r" champion_(val_exact_[a-z0-9_]+)=", last) == exact_names
    assert metrics["final"] == final and metrics["warm_start"]["used"] is False

    # The figures are the champion's, tagging this job's validation documents itself.
    scored = metrics["champion"]
    assert scored["comparable"] is True and scored["reason"] is None
    loaded = load_model(champion)
    docs = load_channel(root / "input" / "data" / "validation", "validation", None)
    tagged = [loaded.tag(d.words, d.bboxes) for d in docs]
    entities = entity_report([list(d.labels) for d in docs], [t.tags for t in tagged]).micro
    fields = field_report(*document_fields(docs, tagged, loaded.labels))
    assert scored["val_f1"] == pytest.approx(entities.f1, abs=1e-6)
    assert scored["val_precision"] == pytest.approx(entities.precision, abs=1e-6)
    assert scored["val_recall"] == pytest.approx(entities.recall, abs=1e-6)
    assert scored["val_field_exact"] == pytest.approx(fields.exact_micro, abs=1e-6)
    assert {k: v["exact"] for k, v in scored["val_per_field"].items()} == pytest.approx(
        {k: fields.exact(k) for k in fields.per_field}, abs=1e-6
    )
    assert match.group(1) == f"{scored['val_f1']:.4f}" and entities.f1 > 0.3
    assert [f"val_exact_{_metric_name(k)}" for k in scored["val_per_field"]] == exact_names


def test_corrupt_champion_is_not_comparable_and_the_job_succeeds(tmp_path: Path) -> None:
    root = make_opt_ml(tmp_path / "job", {**ONE_EPOCH, "max_steps": "1", "warm_start": "true"})
    add_champion(root, archive=b"\x1f\x8b not really a gzip stream")
    result = run_train(root)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[metric]")]
    assert lines[-1] == NOT_COMPARABLE and all(METRIC_RE.match(line) for line in lines[:-1])
    metrics = json.loads((root / "model" / "metrics.json").read_text())
    reason = metrics["champion"]["reason"]
    assert metrics["champion"]["comparable"] is False and reason.startswith("the champion cannot be loaded: ")
    assert metrics["champion"]["val_f1"] is None
    assert metrics["warm_start"] == {"used": False, "reason": reason}
    assert f"champion not comparable: {reason}" in result.stderr
    assert "training from scratch" in result.stderr


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/doctrain-absolute-member.txt"])
def test_champion_archive_with_a_member_outside_is_rejected(tmp_path: Path, member: str) -> None:
    root = make_opt_ml(tmp_path / "job", {**ONE_EPOCH, "max_steps": "1"})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    channel = add_champion(root, archive=buffer.getvalue())
    _, lines, metrics = train(root)
    assert lines[-1] == NOT_COMPARABLE
    assert f"model archive member {member!r} is not a plain file" in metrics["champion"]["reason"]
    assert not (channel.parent / "escaped.txt").exists() and not Path(member).exists()


def test_champion_with_other_labels_is_not_comparable_nor_a_warm_start(
    champion: Path, tmp_path: Path
) -> None:
    root = make_opt_ml(tmp_path / "job", {**ONE_EPOCH, "max_steps": "1", "warm_start": "true"})
    labels = root / "input" / "data" / "labels" / "labels.json"  # the dataset's, two labels more
    labels.write_text(json.dumps({"labels": [*ALL_LABELS, "B-EXTRA", "I-EXTRA"]}))
    add_champion(root, champion)
    _, lines, metrics = train(root)
    assert lines[-1] == NOT_COMPARABLE
    reason = metrics["champion"]["reason"]
    assert "only the champion: [], only this job: ['B-EXTRA', 'I-EXTRA']" in reason
    assert metrics["warm_start"] == {"used": False, "reason": reason}


def test_warm_start_keeps_the_champions_ids_and_weights(
    champion: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A learning rate too small to move anything: what the job writes is what it started from.
    root = make_opt_ml(tmp_path / "job", {**ONE_EPOCH, "warm_start": "true", "learning_rate": "1e-8"}, seed=1)
    shutil.copytree(champion, root / "input" / "data" / "champion")  # an extracted model dir as channel
    _, lines, metrics = train(root)
    assert metrics["warm_start"] == {"used": True, "reason": None}
    old_vocab = json.loads((champion / "vocab.json").read_text())
    new_vocab = json.loads((root / "model" / "vocab.json").read_text())
    kept, new = len(old_vocab["words"]), len(new_vocab["words"]) - len(old_vocab["words"])
    assert new > 0 and new_vocab["words"][:kept] == old_vocab["words"]
    assert new_vocab["shapes"][: len(old_vocab["shapes"])] == old_vocab["shapes"]
    assert f"warm start from champion ({kept} words kept, {new} new)" in capsys.readouterr().err
    before = torch.load(champion / "model.pt")["state_dict"]
    after = torch.load(root / "model" / "model.pt")["state_dict"]
    assert before.keys() == after.keys()
    for name, value in before.items():
        assert torch.allclose(after[name][: value.shape[0]], value, atol=1e-5), name
    fresh = after["word.weight"][kept:]
    assert fresh.shape[0] == new and float(fresh.std()) > 1e-3  # new words: their own fresh rows
    assert CHAMPION_RE.match(lines[-1])


def test_one_warm_epoch_is_far_above_one_cold_epoch(champion: Path, tmp_path: Path) -> None:
    results = {}
    for warm in ("true", "false"):
        root = make_opt_ml(tmp_path / warm, {**ONE_EPOCH, "warm_start": warm}, seed=1)
        add_champion(root, champion)
        final, _, metrics = train(root)
        assert metrics["warm_start"]["used"] is (warm == "true")
        results[warm] = final["val_f1"]
    # 4 steps from scratch leave the tiny model near F1 0; from the champion (F1 ~0.6 here) they do not.
    assert results["true"] >= results["false"] + 0.3, results


def test_warm_start_without_a_champion_trains_from_scratch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_opt_ml(tmp_path / "job", {**ONE_EPOCH, "max_steps": "1", "warm_start": "true"})
    _, lines, metrics = train(root)
    assert metrics["warm_start"] == {"used": False, "reason": "there is no champion channel"}
    assert metrics["champion"] is None and not lines[-1].startswith("[metric] champion")
    assert (
        "warm start: not used (there is no champion channel); training from scratch"
        in capsys.readouterr().err
    )


def test_checkpoint_resume_wins_over_warm_start(
    champion: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = make_opt_ml(tmp_path / "cold", ONE_EPOCH)
    final_cold, _, _ = train(cold)
    root = make_opt_ml(tmp_path / "job", ONE_EPOCH)
    with pytest.raises(TrainingInterrupted):
        train(root, StopAfter(2))  # a checkpoint at step 2 of 4, written without a champion
    (root / "input" / "config" / "hyperparameters.json").write_text(
        json.dumps({**ONE_EPOCH, "warm_start": "true"})
    )
    add_champion(root, champion)
    capsys.readouterr()
    final, lines, metrics = train(root)
    err = capsys.readouterr().err
    assert "resuming from checkpoint" in err and "warm start from champion" not in err
    assert metrics["warm_start"]["used"] is False
    assert metrics["warm_start"]["reason"].startswith("resumed from checkpoint slot-")
    # Exactly the cold run it continues; the champion is still scored.
    assert final["val_f1"] == final_cold["val_f1"] and final["val_loss"] == final_cold["val_loss"]
    wa = torch.load(cold / "model" / "model.pt")["state_dict"]
    wb = torch.load(root / "model" / "model.pt")["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert CHAMPION_RE.match(lines[-1])
