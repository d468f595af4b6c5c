"""The metric line's field names. The MetricDefinitions that read the line are derived from the dataset's
labels on the TypeScript side (src/contracts/metric-line.ts); test/unit/contracts/metric-line.test.ts
runs `metric_line` and `_metric_name` from here to check its regexes and naming rule against them."""

from __future__ import annotations

from doctrain_trainer.evaluation import champion_metric_line, metric_line


def _entry() -> dict[str, object]:
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
        "val_per_field": {},
    }


def _champion() -> dict[str, object]:
    entry = _entry()
    return {
        "comparable": True,
        "reason": None,
        **{
            k: entry[k] for k in ("val_f1", "val_precision", "val_recall", "val_field_exact", "val_per_field")
        },
    }


def test_field_names_become_metric_names() -> None:
    entry = _entry()
    entry["val_per_field"] = {"unit-price": {"exact": 0.5}}
    assert metric_line(entry).endswith(" val_exact_unit_price=0.5000")


def test_champion_line_names_its_scores_after_the_challengers() -> None:
    champion = _champion()
    champion["val_per_field"] = {"unit-price": {"exact": 0.5}, "total": {"exact": 1.0}}
    assert champion_metric_line(champion) == (
        "[metric] champion_comparable=1 champion_val_f1=0.8950 champion_val_precision=0.9012 "
        "champion_val_recall=0.8890 champion_val_field_exact=0.8125 champion_val_exact_unit_price=0.5000 "
        "champion_val_exact_total=1.0000"
    )
    assert champion_metric_line({"comparable": False, "reason": "x"}) == "[metric] champion_comparable=0"
