"""The training loop: seeded, resumable, SIGTERM-aware; prints contract metric lines and writes the model."""

from __future__ import annotations

import contextlib
import math
import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import torch
from torch import nn

from . import SCHEMA_VERSION
from .artifacts import record_champion, write_model, write_predictions
from .backends import Backend, backend_class, get_backend
from .champion import CHANNEL as CHAMPION_CHANNEL
from .champion import Champion, WarmStart, open_champion, plan_warm_start, score_champion
from .checkpoint import CheckpointStore, Loaded
from .classification import SCORE_KEY as CLASS_SCORE_KEY
from .classification import (
    PageClassifier,
    class_champion_metric_line,
    class_metric_line,
    class_metrics_entry,
    dataset_task,
    evaluate_classes,
    load_class_file,
    load_pages,
    score_class_champion,
)
from .config import TrainConfig, parse_hyperparameters
from .data import (
    Document,
    Vocabulary,
    derive_labels,
    load_channel,
    load_label_file,
)
from .decoding import always_present_types, single_valued_types
from .distributed import World, check_global_batch, check_resume_world, is_worker, join_world
from .errors import TrainingInterrupted, UserError
from .evaluation import (
    champion_metric_line,
    evaluate,
    label_weights,
    loss_fn,
    metric_line,
    metrics_entry,
    tag_documents,
)
from .log import log
from .paths import SageMakerPaths, read_json_file
from .stop import StopFlag
from .tasks import CLASSIFICATION, TOKEN_CLASSIFICATION

WARMUP_FRACTION = 0.1
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0
# The best the model-selection score (an F1 or an accuracy) can be.
SCORE_CEILING = 1.0


@dataclass
class LoopState:
    step: int = 0
    epoch: int = 1  # 1-based epoch in progress
    batch_in_epoch: int = 0  # batches of `epoch` already trained
    epoch_loss_sum: float = 0.0
    epoch_loss_count: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    # The best evaluation so far by val_f1: {"entry": history entry, "model": state dict}; its model is the
    # one written at the end (early stopping keeps the best model, not the last).
    best: dict[str, Any] | None = None
    epochs_since_best: int = 0


# ------------------------------------------------------------------------------------------ job setup


def load_config(paths: SageMakerPaths) -> TrainConfig:
    f = paths.hyperparameters_file
    raw = read_json_file(f, "hyperparameters.json") if f.is_file() else {}
    return parse_hyperparameters(raw)


def check_job_setup(paths: SageMakerPaths) -> None:
    """Refuse job shapes this trainer cannot honour instead of silently misbehaving."""
    if paths.input_data_config_file.is_file():
        cfg = read_json_file(paths.input_data_config_file, "inputdataconfig.json")
        if isinstance(cfg, dict):
            for name, channel in cfg.items():
                mode = channel.get("TrainingInputMode", "File") if isinstance(channel, dict) else "File"
                if mode not in ("File", "FastFile"):
                    raise UserError(f"channel {name!r} uses input mode {mode}; use File mode")
    if paths.resource_config_file.is_file():
        cfg = read_json_file(paths.resource_config_file, "resourceconfig.json")
        hosts = cfg.get("hosts") if isinstance(cfg, dict) else None
        if isinstance(hosts, list) and len(hosts) > 1 and not is_worker(os.environ):
            raise UserError(
                f"{len(hosts)} hosts but this process was not started by torchrun: run the image's "
                "entrypoint (python -m doctrain_trainer train), which launches it (distributed.py)"
            )


def resolve_device(config: TrainConfig) -> torch.device:
    if config.device == "cuda" and not torch.cuda.is_available():
        raise UserError("hyperparameter device=cuda but no CUDA device is visible; use device=auto or cpu")
    if config.device == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA too


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        with contextlib.suppress(RuntimeError):  # a different GPU count after a restart
            torch.cuda.set_rng_state_all(state["cuda"])


# ---------------------------------------------------------------------------------------- loop pieces


def lr_lambda(total_steps: int) -> Callable[[int], float]:
    warmup = max(1, int(total_steps * WARMUP_FRACTION))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor


def to_device(batch: Mapping[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def use_bf16(device: torch.device, config: TrainConfig) -> bool:
    """bf16 autocast on CUDA: when asked for, or by default (`auto`) where the GPU supports it (A10G, A100,
    H100 do; a V100/T4 does not). Never on CPU."""
    if device.type != "cuda" or config.precision == "fp32":
        return False
    return config.precision == "bf16" or torch.cuda.is_bf16_supported()


def autocast(device: torch.device, config: TrainConfig) -> contextlib.AbstractContextManager[Any]:
    if use_bf16(device, config):
        context: contextlib.AbstractContextManager[Any] = torch.autocast(
            device_type="cuda", dtype=torch.bfloat16
        )
        return context
    return contextlib.nullcontext()


def batches_of(n: int, batch_size: int, generator: torch.Generator | None) -> list[list[int]]:
    order = torch.randperm(n, generator=generator).tolist() if generator is not None else list(range(n))
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


# ------------------------------------------------------------------------------------------- training


def early_stop(best: float | None, epochs_since_best: int, patience: int) -> str | None:
    """Why training stops before its last epoch, or None: with patience on (> 0), no better score for
    `patience` evaluations, or a best score at its ceiling (every validation entity right: no later epoch
    can beat it, so the epochs patience would wait are skipped)."""
    if patience <= 0 or best is None:
        return None
    if best >= SCORE_CEILING:
        return f"reached {SCORE_CEILING}, which no later epoch can beat"
    if epochs_since_best >= patience:
        return f"has not improved for {epochs_since_best} evaluations"
    return None


@dataclass(frozen=True)
class Scoring:
    """How a task scores an evaluation: the validation pass (evaluation.evaluate's signature), its
    history entry and metric line, and the entry's key the best model is chosen by."""

    evaluate: Callable[..., Any]
    entry: Callable[[int, int, float, Any], dict[str, Any]]
    line: Callable[[dict[str, Any]], str]
    key: str


SCORING = {
    TOKEN_CLASSIFICATION: Scoring(evaluate, metrics_entry, metric_line, "val_f1"),
    CLASSIFICATION: Scoring(evaluate_classes, class_metrics_entry, class_metric_line, CLASS_SCORE_KEY),
}


@dataclass
class Prepared:
    config: TrainConfig
    backend: Backend
    labels: list[str]
    vocab: Vocabulary
    train_docs: list[Document]
    val_docs: list[Document]
    resume_state: dict[str, Any] | None
    resume_name: str | None
    store: CheckpointStore
    warm: WarmStart  # with the champion to start from when a warm start is used (a fresh run only)
    warm_record: dict[str, Any]  # metrics.json's `warm_start`; a resumed run keeps its first run's
    task: str = TOKEN_CLASSIFICATION  # the dataset's (labels.json, tasks.py)

    @property
    def scoring(self) -> Scoring:
        return SCORING[self.task]


def prepare(paths: SageMakerPaths, champion: Champion | None = None) -> Prepared:
    config = load_config(paths)
    check_job_setup(paths)
    architecture_keys = backend_class(config.backend).architecture_keys
    task = dataset_task(paths.channel("labels"))
    if task == CLASSIFICATION:
        file_labels: list[str] | None = load_class_file(paths.channel("labels"))
        assert file_labels is not None
        train_docs = load_pages(paths.channel("train"), "train", file_labels)
        val_docs = load_pages(paths.channel("validation"), "validation", file_labels)
        dataset_labels = {d.doc_class for d in [*train_docs, *val_docs]}
    else:
        file_labels = load_label_file(paths.channel("labels"))
        known = frozenset(file_labels) if file_labels is not None else None
        train_docs = load_channel(paths.channel("train"), "train", known)
        val_docs = load_channel(paths.channel("validation"), "validation", known)
        dataset_labels = {lab for d in [*train_docs, *val_docs] for lab in d.labels}
    labels = file_labels if file_labels is not None else derive_labels([*train_docs, *val_docs])

    def compatible(loaded: Loaded) -> None:
        """A verified checkpoint written under another configuration is the user's to fix (exit 2), not a
        corrupt one to skip: resuming it silently or discarding it would both be wrong."""
        name, saved = loaded.ref.name, loaded.state["config"]
        for key in architecture_keys:
            if saved.get(key) != getattr(config, key):
                raise UserError(
                    f"checkpoint {name} was written with {key}={saved.get(key)} but the "
                    f"hyperparameters say {key}={getattr(config, key)}; restore the original value or "
                    f"start with an empty checkpoint directory ({paths.checkpoint_dir})"
                )
        saved_labels = list(loaded.state["labels"])
        if file_labels is not None and saved_labels != labels:
            raise UserError(
                f"checkpoint {name} was trained on a different label list than labels.json; "
                f"start with an empty checkpoint directory ({paths.checkpoint_dir})"
            )
        missing = sorted(dataset_labels - set(saved_labels))
        if missing:
            raise UserError(f"dataset uses labels {missing} unknown to checkpoint {name}")

    store = CheckpointStore(paths.checkpoint_dir, config.keep_checkpoints, log)
    loaded = store.load_latest(compatible)
    resume_state: dict[str, Any] | None = None
    model_channel = paths.channel("model")
    if loaded is not None:
        resume_state = loaded.state
        labels = list(resume_state["labels"])
        vocab = Vocabulary.from_json(resume_state["vocab"])  # ids must match the saved embeddings
        warm = WarmStart(False, f"resumed from checkpoint {loaded.ref.name} (a resume wins over warm start)")
        if not config.warm_start:
            warm = _plan_warm_start(task, config, champion, labels)
        saved_warm = resume_state.get("warm_start")
        if saved_warm is not None and saved_warm["used"]:
            # The run began from the champion: that is what its model is, whatever this restart says; its
            # model source (hf: the champion's tokenizer) again, as in that run.
            warm_record = saved_warm
            if champion is not None and champion.model is not None:
                model_channel = champion.model.backend.warm_source() or model_channel
        else:
            warm_record = warm.record()
        if config.warm_start:
            log(f"warm start: not used, {warm.reason}")
    else:
        warm = _plan_warm_start(task, config, champion, labels)
        warm_record = warm.record()
        vocab = Vocabulary.build(train_docs)
        if warm.model is not None:
            vocab = warm.model.vocab.extended(vocab)  # the champion's ids keep their embedding rows
            model_channel = warm.model.backend.warm_source() or model_channel
    backend = get_backend(config.backend, config, model_channel, paths.channel("images"))
    if task == CLASSIFICATION:
        backend = PageClassifier(backend)  # type: ignore[assignment]  # a Backend by delegation
    return Prepared(
        config,
        backend,
        labels,
        vocab,
        train_docs,
        val_docs,
        resume_state,
        loaded.ref.name if loaded else None,
        store,
        warm,
        warm_record,
        task,
    )


def _plan_warm_start(
    task: str, config: TrainConfig, champion: Champion | None, labels: list[str]
) -> WarmStart:
    if task == CLASSIFICATION:  # champion.py loads and scores token classifiers only
        return WarmStart(False, "warm start is not available for task classification yet")
    return plan_warm_start(config, champion, labels, backend_class(config.backend))


def _checkpoint_payload(
    prep: Prepared,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    st: LoopState,
    rank_rngs: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "config": prep.config.to_dict(),
        "labels": list(prep.labels),
        "vocab": prep.vocab.to_json(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "loop": {
            "step": st.step,
            "epoch": st.epoch,
            "batch_in_epoch": st.batch_in_epoch,
            "epoch_loss_sum": st.epoch_loss_sum,
            "epoch_loss_count": st.epoch_loss_count,
            "history": st.history,
            "best": st.best,
            "epochs_since_best": st.epochs_since_best,
        },
        "rng": rank_rngs[0],
        # Every rank's random state (rank order) and how many there were: a resume with as many ranks is
        # exact, another count re-shards (distributed.check_resume_world).
        "world_size": len(rank_rngs),
        "rank_rng": rank_rngs,
        "warm_start": prep.warm_record,
    }


def deterministic_algorithms(device: torch.device) -> None:
    """Bitwise-repeatable kernels (hyperparameter deterministic): on CUDA, cuBLAS needs a fixed workspace
    (set before its first call) and ops such as the embedding backward's scatter-add otherwise sum in
    varying order, so a resumed run drifts from the uninterrupted one. Costs speed; off by default."""
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True)


def run_training(paths: SageMakerPaths, stop: StopFlag, out: TextIO | None = None) -> dict[str, Any]:
    previous = torch.are_deterministic_algorithms_enabled()
    try:
        return _run_training(paths, stop, out)
    finally:
        torch.use_deterministic_algorithms(previous)  # a process-wide switch: leave it as found


def _run_training(paths: SageMakerPaths, stop: StopFlag, out: TextIO | None) -> dict[str, Any]:
    with open_champion(paths.channel(CHAMPION_CHANNEL)) as champion:
        return _train(paths, stop, out if out is not None else sys.stdout, champion)


def _train(paths: SageMakerPaths, stop: StopFlag, out: TextIO, champion: Champion | None) -> dict[str, Any]:
    started = time.monotonic()
    prep = prepare(paths, champion)
    device = resolve_device(prep.config)
    world = join_world(device)
    ended = False
    try:
        result = _train_in(world, world.device(device), prep, started, paths, stop, out, champion)
        ended = True
        return result
    finally:
        world.close(synchronized=ended)


def _train_in(
    world: World,
    device: torch.device,
    prep: Prepared,
    started: float,
    paths: SageMakerPaths,
    stop: StopFlag,
    out: TextIO,
    champion: Champion | None,
) -> dict[str, Any]:
    config, backend = prep.config, prep.backend
    check_global_batch(config.batch_size, world)
    world.agree(prep.resume_name, "the checkpoint to resume")
    if config.precision == "bf16" and device.type != "cuda":
        log("precision=bf16 applies to CUDA only; training in fp32 on CPU")
    log(f"precision: {'bf16 autocast' if use_bf16(device, config) else 'fp32'}")
    if config.deterministic:
        deterministic_algorithms(device)
        log("deterministic algorithms: on")
    label_to_id = {lab: i for i, lab in enumerate(prep.labels)}
    scoring = prep.scoring
    classify = prep.task == CLASSIFICATION
    single_valued = frozenset() if classify else single_valued_types(d.labels for d in prep.train_docs)
    always_present = always_present_types((d.labels for d in prep.train_docs), single_valued)
    weights = None if classify else label_weights(prep.labels, config.entity_loss_weight)
    weights = weights.to(device) if weights is not None else None
    train_enc = backend.encode(prep.train_docs, prep.vocab, label_to_id, config.max_seq_len)
    val_enc = backend.encode(prep.val_docs, prep.vocab, label_to_id, config.max_seq_len)
    truncated = backend.truncated([*prep.train_docs, *prep.val_docs], config.max_seq_len)
    if truncated:
        log(f"{truncated} documents are longer than max_seq_len={config.max_seq_len} and were truncated")
    log(
        f"task={prep.task} backend={config.backend} device={device} train_docs={len(prep.train_docs)} "
        f"validation_docs={len(prep.val_docs)} labels={len(prep.labels)} vocab={len(prep.vocab.words)}"
    )

    seed_everything(config.seed)
    model = backend.build_model(config, prep.vocab, prep.labels)
    if prep.warm.model is not None:
        backend.warm_start(model, prep.warm.model.model)
        source = prep.warm.model.backend.warm_source()
        kept = len(prep.warm.model.vocab.words)
        # hf has no word vocabulary of its own: the champion's hf/ brings its tokenizer.
        detail = (
            f"model source {source}" if source else f"{kept} words kept, {len(prep.vocab.words) - kept} new"
        )
        log(f"warm start from champion ({detail})")
    model = model.to(device)
    if world.distributed:  # the same initial weights on every rank (above), then each its own dropout
        torch.manual_seed(config.seed + 1_000_003 * world.rank)
    train_model = world.wrap(model, device)  # DDP on several ranks; `model` itself everywhere else
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=WEIGHT_DECAY)
    steps_per_epoch = math.ceil(len(train_enc) / config.batch_size)
    if len(train_enc) != len(prep.train_docs):
        log(f"{len(prep.train_docs)} training documents make {len(train_enc)} windows")
    total_steps = config.epochs * steps_per_epoch
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(total_steps))

    st = LoopState()
    if prep.resume_state is not None:
        rs = prep.resume_state
        model.load_state_dict(rs["model"])
        optimizer.load_state_dict(rs["optimizer"])
        scheduler.load_state_dict(rs["scheduler"])
        st = LoopState(**rs["loop"])
        if check_resume_world(rs, world):
            restore_rng_state(rs.get("rank_rng", [rs["rng"]])[world.rank])
        elif not world.distributed:
            restore_rng_state(rs["rng"])
        log(f"resuming from checkpoint {prep.resume_name} at step {st.step} (epoch {st.epoch})")
    model.train()

    def checkpoint() -> str:
        """Rank 0 writes (with every rank's random state); the others wait for its name."""
        rank_rngs = world.gather(rng_state())
        name = None
        if world.is_main:
            name = prep.store.save(
                st.step, _checkpoint_payload(prep, model, optimizer, scheduler, st, rank_rngs)
            ).name
        return str(world.broadcast(name))

    def stop_if_requested() -> None:
        if world.any(stop.requested):
            name = checkpoint()
            raise TrainingInterrupted(st.step, name)

    def capped() -> bool:
        return config.max_steps > 0 and st.step >= config.max_steps

    # What the validation pass and the predictions pass are given (evaluation.py's signature).
    validation_args = (
        model,
        backend,
        val_enc,
        prep.val_docs,
        prep.labels,
        config.batch_size,
        lambda batch: to_device(batch, device),
        lambda: autocast(device, config),
        single_valued,
        always_present,
    )

    def validate() -> Any:
        return scoring.evaluate(*validation_args)

    def evaluate_and_record() -> None:
        """Rank 0 evaluates and prints; every rank then holds its history and early-stopping count."""
        if world.is_main:
            record(validate())
        if world.distributed:
            best_entry = st.best["entry"] if st.best is not None else None
            st.history, st.epochs_since_best, best_entry = world.broadcast(
                (st.history, st.epochs_since_best, best_entry)
            )
            if not world.is_main:
                st.best = {"entry": best_entry, "model": None}

    def record(result: Any) -> None:
        train_loss = st.epoch_loss_sum / max(1, st.epoch_loss_count)
        entry = scoring.entry(st.epoch, st.step, train_loss, result)
        print(scoring.line(entry), file=out, flush=True)
        st.history.append(entry)
        if st.best is None or entry[scoring.key] > st.best["entry"][scoring.key]:
            state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            st.best = {"entry": entry, "model": state}
            st.epochs_since_best = 0
        else:
            st.epochs_since_best += 1

    def stop_reason() -> str | None:
        """Why training stops early now (early_stop), or None."""
        best = st.best["entry"][scoring.key] if st.best is not None else None
        return early_stop(best, st.epochs_since_best, config.early_stopping_patience)

    # Throughput of this process (not carried over a resume): optimizer steps only, no evaluation/checkpoints.
    train_seconds = 0.0
    train_samples = 0
    while st.epoch <= config.epochs and not capped() and stop_reason() is None:
        # The epoch's order depends only on (seed, epoch), so a resumed epoch replays the same batches.
        gen = torch.Generator().manual_seed(config.seed * 100_003 + st.epoch)
        plan = batches_of(len(train_enc), config.batch_size, gen)
        epoch_started = time.monotonic()
        while st.batch_in_epoch < len(plan) and not capped():
            stop_if_requested()
            step_started = time.perf_counter()
            items = plan[st.batch_in_epoch]
            shard = world.shard(items)  # the whole global batch on one process
            batch = to_device(backend.collate([train_enc[i] for i in shard.items]), device)
            with autocast(device, config):
                logits = train_model(batch)
            loss, global_loss = world.global_mean(
                loss_fn(logits, batch["labels"], weights), batch["labels"], weights, shard
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]  # untyped in torch 1.13's stubs
            torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
            optimizer.step()
            scheduler.step()
            st.step += 1
            st.batch_in_epoch += 1
            st.epoch_loss_sum += global_loss  # a host sync: the step is done when timed below
            st.epoch_loss_count += 1
            train_seconds += time.perf_counter() - step_started
            train_samples += len(items)
            if config.checkpoint_every_steps and st.step % config.checkpoint_every_steps == 0:
                checkpoint()
        if st.batch_in_epoch < len(plan):
            break  # max_steps reached mid-epoch: final evaluation below
        evaluate_and_record()
        log(f"epoch {st.epoch} took {time.monotonic() - epoch_started:.1f}s")
        st.epoch += 1
        st.batch_in_epoch = 0
        st.epoch_loss_sum = 0.0
        st.epoch_loss_count = 0
        checkpoint()
        stop_if_requested()

    if not st.history or st.history[-1]["step"] != st.step:
        evaluate_and_record()
    reason = stop_reason()
    if reason is not None:
        log(f"early stop: {scoring.key} {reason}")
    assert st.best is not None
    final: dict[str, Any] = st.best["entry"]
    if not world.is_main:
        return final  # rank 0 writes the model and scores the champion
    if final != st.history[-1]:
        # The model written is the best one; its line goes last so the job's final metrics describe it.
        log(
            f"keeping the best model: epoch {final['epoch']} step {final['step']} "
            f"({scoring.key}={final[scoring.key]:.4f})"
        )
        model.load_state_dict(st.best["model"])
        print(scoring.line(final), file=out, flush=True)
    write_model(
        paths.model_dir,
        warm_start=prep.warm_record,
        backend=backend,
        config=config,
        labels=prep.labels,
        vocab=prep.vocab,
        model=model,
        final=final,
        history=st.history,
        documents={"train": len(prep.train_docs), "validation": len(prep.val_docs)},
        truncated=truncated,
        seconds=time.monotonic() - started,
        single_valued=single_valued,
        always_present=always_present,
        throughput={
            "train_seconds": round(train_seconds, 3),
            "train_samples": train_samples,
            "samples_per_second": round(train_samples / train_seconds, 2) if train_seconds else 0.0,
        },
    )
    if not classify:
        # The written model's tags on the validation records: the run report draws them by the true fields.
        tagged, _, _ = tag_documents(*validation_args)
        write_predictions(paths.model_dir, [doc.id for doc in prep.val_docs], [t.tags for t in tagged])
    if champion is not None:  # after the challenger's last line and its model are out
        scoring_args = (
            champion,
            prep.val_docs,
            prep.labels,
            config.batch_size,
            device,
            lambda batch: to_device(batch, device),
            lambda: autocast(device, config),
        )
        if classify:
            compared = score_class_champion(*scoring_args)
            line = class_champion_metric_line(compared)
        else:
            compared = score_champion(*scoring_args, paths.channel("images"))
            line = champion_metric_line(compared)
        print(line, file=out, flush=True)
        record_champion(paths.model_dir, compared)
    rate = train_samples / train_seconds if train_seconds else 0.0
    log(
        f"done: step {st.step}, {scoring.key}={final[scoring.key]:.4f}, {time.monotonic() - started:.1f}s, "
        f"{rate:.1f} training samples/s"
    )
    return final
