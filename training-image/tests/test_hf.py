"""The hf backend with the real transformers classes on tiny configurations built here (no model hub)."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import transformers
from safetensors.torch import load_file

from doctrain_trainer.backends.base import IGNORE_INDEX, WordProbs, item_words
from doctrain_trainer.backends.hf import HFBackend
from doctrain_trainer.checkpoint import CheckpointStore
from doctrain_trainer.config import parse_hyperparameters
from doctrain_trainer.data import Document, load_channel
from doctrain_trainer.errors import TrainingInterrupted, UserError
from doctrain_trainer.inference import load_model
from doctrain_trainer.metrics import entity_report
from doctrain_trainer.paths import resolve_paths
from doctrain_trainer.predict import predict_fields
from doctrain_trainer.serving import input_fn, model_fn, predict_fn
from doctrain_trainer.stop import StopFlag
from doctrain_trainer.train import run_training
from tests.conftest import make_opt_ml
from tests.synthetic import ALL_LABELS
from tests.test_train import StopAfter
from tests.tiny_hf import build_tiny_model, write_page_images

ARCHITECTURES = ("layoutlm", "layoutlmv3")


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    # Tiny matrices on a shared 2-core machine: extra threads only spin (10-40x slower per step here).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tiny-models")
    return {arch: build_tiny_model(base / arch, arch) for arch in ARCHITECTURES}


# DOCTRAIN_TEST_DEVICE=cuda runs these tests on a GPU in bf16 (a device check; CI runs them on CPU), and
# DOCTRAIN_TEST_DETERMINISTIC=true with the deterministic hyperparameter.
TEST_DEVICE = {
    "device": os.environ.get("DOCTRAIN_TEST_DEVICE", "cpu"),
    "precision": "bf16" if os.environ.get("DOCTRAIN_TEST_DEVICE") == "cuda" else "fp32",
    "deterministic": os.environ.get("DOCTRAIN_TEST_DETERMINISTIC", "false"),
}


def _hp(model_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **TEST_DEVICE,
        "backend": "hf",
        "model_id": str(model_dir),
        "batch_size": "4",
        "epochs": "3",
        "max_seq_len": "128",  # synthetic receipts need ~150-250 tokens: every document makes windows
        "learning_rate": "0.003",
        "checkpoint_every_steps": "0",
        **extra,
    }


def _opt_ml(root: Path, hp: dict[str, str], images: bool) -> Path:
    make_opt_ml(root, hp, n_train=8, n_val=4)
    if images:
        write_page_images(root / "input" / "data", root / "input" / "data" / "images")
    return root


def _train(root: Path, stop: StopFlag | None = None) -> dict[str, object]:
    return run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), stop or StopFlag())


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_trains_checkpoints_resumes_exactly_and_predicts(
    tiny_models: dict[str, Path], tmp_path: Path, arch: str
) -> None:
    images = arch == "layoutlmv3"
    hp = _hp(tiny_models[arch])
    a = _opt_ml(tmp_path / "a", hp, images)
    b = _opt_ml(tmp_path / "b", hp, images)
    final_a = _train(a)

    # 8 documents make more than 12 windows (at least 4 batches an epoch); the stop flag is read before
    # each step and after each epoch end: 4 + 1 + 2 reads pass, so it stops inside epoch 2.
    with pytest.raises(TrainingInterrupted):
        _train(b, StopAfter(7))
    loaded = CheckpointStore(b / "checkpoints").load_latest()
    assert loaded is not None and loaded.state["loop"]["epoch"] == 2
    assert 0 < loaded.state["loop"]["batch_in_epoch"]
    final_b = _train(b)
    assert final_b["val_f1"] == final_a["val_f1"] and final_b["val_loss"] == final_a["val_loss"]
    wa = load_file(a / "model" / "hf" / "model.safetensors")
    wb = load_file(b / "model" / "hf" / "model.safetensors")
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)

    # The artifact: from_pretrained-loadable model + tokenizer (+ image processor), doctrain metadata.
    model_dir = a / "model"
    assert {"config.json", "labels.json", "metrics.json", "hf"} <= {p.name for p in model_dir.iterdir()}
    hf_files = {p.name for p in (model_dir / "hf").iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= hf_files
    assert ("preprocessor_config.json" in hf_files) == images
    config = json.loads((model_dir / "config.json").read_text())
    assert config["backend"] == "hf" and config["hf"] == {"dir": "hf", "architecture": arch, "images": images}
    hf_config = json.loads((model_dir / "hf" / "config.json").read_text())
    assert hf_config["id2label"]["0"] == "O" and len(hf_config["id2label"]) == len(ALL_LABELS)

    # Predicting with the loaded artifact reproduces the validation F1 the loop reported.
    loaded_model = load_model(model_dir)
    docs = load_channel(a / "input" / "data" / "validation", "validation", None)
    image_dir = a / "input" / "data" / "images"
    pred = [
        loaded_model.predict(d.words, d.bboxes, image_dir / f"{d.id}.png" if images else None) for d in docs
    ]
    assert [len(p) for p in pred] == [len(d.words) for d in docs]
    f1 = entity_report([list(d.labels) for d in docs], pred).micro.f1
    assert f1 == pytest.approx(float(str(final_a["val_f1"])), abs=1e-6)

    # Served as is: the handler and the package under code/, plus the transformers the container installs.
    requirements = (model_dir / "code" / "requirements.txt").read_text().split()
    assert requirements[0] == f"transformers=={transformers.__version__}"
    assert (model_dir / "code" / "inference.py").is_file()
    record = {"words": list(docs[0].words), "bboxes": [list(b) for b in docs[0].bboxes]}
    page = image_dir / f"{docs[0].id}.png" if images else None
    fields = predict_fields(loaded_model, record, page)
    assert fields and set(fields) <= {label[2:].lower() for label in ALL_LABELS if label != "O"}
    if not images:  # the SageMaker handler takes no page image
        served = predict_fn(input_fn(json.dumps(record), "application/json"), model_fn(str(model_dir)))
        assert served == fields


def test_long_document_windows_merge_back_to_one_label_per_word(tiny_models: dict[str, Path]) -> None:
    backend = HFBackend(str(tiny_models["layoutlm"]), images=None)
    words = tuple(f"TOTAL{i} RM{i}.50".split()[i % 2] for i in range(120))
    labels = tuple(ALL_LABELS[i % len(ALL_LABELS)] for i in range(120))
    boxes = tuple((i % 50 * 20, i // 50 * 300, i % 50 * 20 + 10, i // 50 * 300 + 10) for i in range(120))
    doc = Document("long", words, boxes, labels, "test")
    label_to_id = {lab: i for i, lab in enumerate(ALL_LABELS)}
    windows = backend.encode([doc], None, label_to_id, 32)  # type: ignore[arg-type]
    assert len(windows) > 5 and all(int(w.input_ids.shape[0]) <= 32 for w in windows)
    cls_id, sep_id = backend.tokenizer.cls_token_id, backend.tokenizer.sep_token_id
    assert all(int(w.input_ids[0]) == cls_id and int(w.input_ids[-1]) == sep_id for w in windows)
    # Labels sit on first subtokens only, and the label at a position is its word's label.
    for w in windows:
        first = w.word_index >= 0
        assert torch.equal(first, w.labels != IGNORE_INDEX)
        pairs = zip(w.word_index[first].tolist(), w.labels[first].tolist(), strict=True)
        assert all(label_to_id[labels[i]] == lab for i, lab in pairs)
        assert all(tuple(w.bbox[p].tolist()) == boxes[int(i)] for p, i in enumerate(w.word_index) if i >= 0)
    # Consecutive windows overlap, so some words are labelled in two windows.
    covered = [int(i) for w in windows for i in w.word_index if i >= 0]
    assert sorted(set(covered)) == list(range(len(words))) and len(covered) > len(words)

    # Merging each window's own labels gives back exactly one label per word, the document's.
    def merged_labels(votes: WordProbs) -> list[int]:
        return [int(row.argmax()) if row is not None else -1 for row in votes.rows[0]]

    votes = WordProbs([len(words)])
    for n, w in enumerate(windows):
        doc_index, word_index, centrality = item_words(w, n)
        one_hot = torch.nn.functional.one_hot(w.labels.clamp(min=0), len(label_to_id))
        votes.add(doc_index, word_index, centrality, one_hot)
    assert merged_labels(votes) == [label_to_id[lab] for lab in labels]

    # A word in two windows takes the prediction of the window where it is most central.
    votes = WordProbs([len(words)])
    for n, w in enumerate(windows):
        window_id = torch.nn.functional.one_hot(torch.full_like(w.labels, n), len(windows))
        votes.add(0, w.word_index, w.centrality, window_id)
    for word in range(len(words)):
        best = max(
            (float(w.centrality[p]), -n)
            for n, w in enumerate(windows)
            for p in range(int(w.word_index.shape[0]))
            if int(w.word_index[p]) == word
        )
        assert merged_labels(votes)[word] == -best[1]


def test_model_channel_tarball_is_preferred_over_model_id(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    hp = _hp(Path("/unused"), model_id="no-such-org/no-such-model")
    root = _opt_ml(tmp_path / "opt_ml", hp, False)
    channel = root / "input" / "data" / "model"
    channel.mkdir()
    with tarfile.open(channel / "model.tar.gz", "w:gz") as tar:
        tar.add(tiny_models["layoutlm"], arcname=".")
    set_hp = json.loads((root / "input" / "config" / "hyperparameters.json").read_text())
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps({**set_hp, "max_steps": "2"}))
    final = _train(root)
    assert final["step"] == 2
    assert json.loads((root / "model" / "config.json").read_text())["hf"]["architecture"] == "layoutlm"


def test_unreachable_model_id_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What a network-isolated job sees, without waiting for network retries (read at import time).
    import huggingface_hub.constants
    import transformers.utils.hub

    monkeypatch.setattr(transformers.utils.hub, "_is_offline_mode", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    root = _opt_ml(tmp_path / "opt_ml", _hp(Path("/x"), model_id="no-such-org/no-such-model"), False)
    with pytest.raises(UserError, match="pass the model as a `model` input channel"):
        _train(root)


def test_missing_page_image_is_a_blank_page_with_a_warning(
    tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _opt_ml(tmp_path / "opt_ml", _hp(tiny_models["layoutlmv3"]), True)
    next((root / "input" / "data" / "images").glob("train-0003.png")).unlink()
    _train(root)
    err = capsys.readouterr().err
    assert "warning: no page image for record 'train-0003'" in err and "using a blank page" in err
    assert "warning: no page image for record 'train-0002'" not in err
    config = json.loads((root / "model" / "config.json").read_text())
    assert config["hf"]["images"] is True


def test_precision_auto_is_fp32_on_cpu_and_keep_checkpoints_is_bounded() -> None:
    from doctrain_trainer.train import use_bf16

    cpu = torch.device("cpu")
    assert parse_hyperparameters({}).precision == "auto"
    for precision in ("auto", "bf16", "fp32"):
        assert not use_bf16(cpu, parse_hyperparameters({"precision": precision}))
    assert parse_hyperparameters({"keep_checkpoints": "3"}).keep_checkpoints == 3
    with pytest.raises(UserError, match="keep_checkpoints"):
        parse_hyperparameters({"keep_checkpoints": "1"})


def test_hf_learning_rate_default_and_model_id_checks() -> None:
    assert parse_hyperparameters({"backend": "hf"}).learning_rate == 5e-5
    assert parse_hyperparameters({}).learning_rate == 3e-3
    assert parse_hyperparameters({"backend": "hf"}).model_id == "microsoft/layoutlmv3-base"
    for bad in ("../x", "a b", "org/name/extra", "relative/../../etc"):
        with pytest.raises(UserError, match="model_id"):
            parse_hyperparameters({"backend": "hf", "model_id": bad})


def test_warm_start_takes_the_champions_hf_dir_as_model_source(
    tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    champion_root = _opt_ml(tmp_path / "champion", _hp(tiny_models["layoutlm"], max_steps="2"), False)
    _train(champion_root)
    # No model_id would load (an unreachable hub id): the job can only start from the champion's hf/, and
    # at a learning rate too small to move anything it writes the champion's weights back.
    hp = _hp(Path("/unused"), model_id="no-such-org/no-such-model", warm_start="true", learning_rate="1e-8")
    root = _opt_ml(tmp_path / "job", {**hp, "max_steps": "1"}, False)
    shutil.copytree(champion_root / "model", root / "input" / "data" / "champion")
    capsys.readouterr()
    _train(root)
    err = capsys.readouterr().err
    source = root / "input" / "data" / "champion" / "hf"
    assert f"warm start from champion (model source {source})" in err
    metrics = json.loads((root / "model" / "metrics.json").read_text())
    assert metrics["warm_start"] == {"used": True, "reason": None}
    assert metrics["champion"]["comparable"] is True
    before = load_file(champion_root / "model" / "hf" / "model.safetensors")
    after = load_file(root / "model" / "hf" / "model.safetensors")
    assert before.keys() == after.keys()
    assert all(torch.allclose(before[k], after[k], atol=1e-5) for k in before)
    base = load_file(tiny_models["layoutlm"] / "model.safetensors")
    moved = [k for k in before if k.removeprefix("layoutlm.") in base]
    assert moved and not all(torch.allclose(before[k], base[k.removeprefix("layoutlm.")]) for k in moved)
