"""The metric line and the state machine's MetricDefinitions agree: every definition finds its value."""

from __future__ import annotations

import re
from pathlib import Path

from doctrain_trainer.evaluation import metric_line

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "train-pipeline.asl.yml"


def _entry() -> dict[str, object]:
    per_field = {
        key: {"exact": value, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 4}
        for key, value in {
            "address": 0.25,
            "company": 0.5,
            "date": 0.75,
            "item_name": 0.125,
            "total": 1.0,
        }.items()
    }
    return {
        "epoch": 3,
        "step": 120,
        "train_loss": 0.2134,
        "val_loss": 0.3011,
        "val_precision": 0.9012,
        "val_recall": 0.889,
        "val_f1": 0.895,
        "val_field_exact": 0.8125,
        "val_field_f1": 0.8333,
        "val_per_field": per_field,
    }


def test_every_metric_definition_reads_its_own_value() -> None:
    definitions = re.findall(r"- Name: (\w+)\n\s+Regex: '([^']+)'", ASL.read_text(encoding="utf-8"))
    names = {name for name, _ in definitions}
    assert {"val_f1", "val_field_exact", "val_field_f1", "val_exact_total", "val_exact_company"} <= names
    entry = _entry()
    line = metric_line(entry)
    expected = {
        **{k: v for k, v in entry.items() if isinstance(v, float)},
        **{f"val_exact_{k}": v["exact"] for k, v in entry["val_per_field"].items()},  # type: ignore[attr-defined]
    }
    for name, regex in definitions:
        match = re.search(regex, line)
        assert match is not None, (name, line)
        assert float(match.group(1)) == round(float(expected[name]), 4), name


def test_field_names_become_metric_names() -> None:
    entry = _entry()
    entry["val_per_field"] = {"unit-price": {"exact": 0.5}}
    assert metric_line(entry).endswith(" val_exact_unit_price=0.5000")
