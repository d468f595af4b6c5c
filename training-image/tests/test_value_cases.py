"""The value rules' golden table (test/fixtures/value-cases.json), run against the trainer's rules
(value_rules.py, field_names.py, fields.values_equal); test/unit/dataset/value-cases.test.ts runs the same
table against the dataset builder's, so a rule changed on one side only fails on the other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doctrain_trainer.field_names import field_keywords, word_grade
from doctrain_trainer.fields import values_equal
from doctrain_trainer.value_rules import (
    RULES,
    amounts_equal,
    compare_dates,
    date_order_of,
    find_dates,
    identifiers_equal,
    normalize_token,
    parse_amount,
    parse_date,
    same_amount,
    value_kind,
)

CASES_FILE = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "value-cases.json"
CASES: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))


def _id(case: dict[str, Any]) -> str:
    return (
        f"{case.get('value', case.get('field'))}|{case.get('print', case.get('words'))}|{case.get('order')}"
    )


def test_the_table_holds_every_month_name_of_every_language_and_each_amount_form() -> None:
    assert CASES["schemaVersion"] == 1
    assert len(CASES["dates"]) + len(CASES["amounts"]) > 500
    for language, months in RULES["months"].items():
        for name in (n for names in months for n in names):
            shown = [
                c
                for c in CASES["dates"]
                if c["expect"] == "same" and normalize_token(name) in normalize_token(c["print"])
            ]
            assert shown, f"{language} {name}"
    forms = {c["print"] for c in CASES["amounts"] if c["value"] == "1939.00" and c["same"]}
    assert {"1 939,00", "1.939,00", "1,939.00", "$1,939.00", "EUR 1.939,-", "1939"} <= forms


@pytest.mark.parametrize("case", CASES["dates"], ids=_id)
def test_dates(case: dict[str, Any]) -> None:
    annotated = parse_date(case["value"])
    assert annotated is not None, case["value"]
    printed = parse_date(case["print"])
    got = "different" if printed is None else compare_dates(annotated, printed, case["order"])
    assert got == case["expect"]
    if case["order"] is None:
        # Field metrics count a prediction that can mean the value's date (no order is in the record).
        assert values_equal(case["value"], case["print"]) == (case["expect"] != "different")


@pytest.mark.parametrize("text", CASES["notDates"])
def test_not_dates(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize("case", CASES["amounts"], ids=_id)
def test_amounts(case: dict[str, Any]) -> None:
    annotated = parse_amount(case["value"])
    assert annotated is not None, case["value"]
    printed = parse_amount(case["print"])
    assert (printed is not None and same_amount(annotated, printed)) == case["same"]
    assert (printed is not None and amounts_equal(annotated, printed)) == case["asPrinted"]
    assert values_equal(case["value"], case["print"]) == case["same"]


@pytest.mark.parametrize("text", CASES["notAmounts"])
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(("value", "kind"), CASES["kinds"])
def test_kinds(value: str, kind: str) -> None:
    assert value_kind(value) == kind


@pytest.mark.parametrize(("value", "printed", "same"), CASES["identifiers"])
def test_identifiers(value: str, printed: str, same: bool) -> None:
    assert identifiers_equal(value, printed) == same


@pytest.mark.parametrize("case", CASES["nameGrades"], ids=_id)
def test_name_grades(case: dict[str, Any]) -> None:
    norms = [normalize_token(w) for w in case["words"]]
    index = case["index"]
    before = [n for n in reversed(norms[:index]) if n]
    assert word_grade(norms[index], before, field_keywords(case["field"].upper())) == case["grade"]


@pytest.mark.parametrize("case", CASES["dateOrders"], ids=lambda c: c["text"])
def test_date_orders(case: dict[str, Any]) -> None:
    assert date_order_of(find_dates(case["text"])) == case["order"]
