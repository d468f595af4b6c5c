from __future__ import annotations

import pytest

from doctrain_trainer.fields import (
    FieldValue,
    entity_spans,
    extract_fields,
    field_report,
    gold_fields,
    value_text,
    values_equal,
)


@pytest.mark.parametrize(
    ("key", "a", "b"),
    [
        ("total", "9.00", "RM 9.00"),
        ("total", "9.00", "9,00"),
        ("total", "1,234.50", "1234.5"),
        ("total", "$12", "12.00"),
        ("date", "25/12/2018", "25-12-2018"),
        ("date", "25/12/18", "25.12.2018"),
        ("date", "25 DEC 2018", "25/12/2018"),
        ("date", "2018-12-25", "2018/12/25"),
        ("date", "25/12/2018", "12/25/2018"),  # one calendar date, each print unambiguous
        ("date", "2014-08-03", "August 3, 2014"),
        ("date", "2014-07-02", "02 Juillet 2015".replace("2015", "2014")),
        ("date", "2014-05-07", "07.05.2014"),
        ("total", "1939.00", "EUR 1.939,-"),
        ("total", "1939.00", "1939"),
        ("total", "1939", "1,939.00"),
        ("invoice_number", "INV-0042", "0042"),
        ("company", "Book Ta .K  (Taman Daya)", "BOOK TA .K (TAMAN DAYA)"),
        ("address", "NO.53, JALAN SAGU 18,\nJOHOR", "no.53,jalan sagu 18, johor"),
    ],
)
def test_equal_after_normalisation(key: str, a: str, b: str) -> None:
    assert values_equal(a, b) and values_equal(b, a), key


@pytest.mark.parametrize(
    ("key", "a", "b"),
    [
        ("total", "9.00", "9.50"),
        ("total", "19.00", "9.00"),
        ("date", "25/12/2018", "25/12/2019"),
        ("date", "01/02/2018", "02/01/2018"),  # two prints that each read both ways, printed differently
        ("total", "1939.00", "1939.50"),
        ("invoice_number", "INV-0042", "0043"),
        ("company", "BOOK TA .K", "BOOK TA K"),
    ],
)
def test_different_after_normalisation(key: str, a: str, b: str) -> None:
    assert not values_equal(a, b), key


def test_adjacent_entities_of_one_type_merge_and_confidence_is_the_mean() -> None:
    tags = ["B-ADDRESS", "I-ADDRESS", "B-ADDRESS", "O", "B-TOTAL"]
    spans = entity_spans(tags, [0.9, 0.7, 0.8, 1.0, 0.6])
    assert spans == [("ADDRESS", 0, 2, pytest.approx(0.8)), ("TOTAL", 4, 4, 0.6)]


def test_extract_fields_puts_the_most_confident_value_first() -> None:
    words = ["TOTAL", "9.00", "CASH", "10.00"]
    tags = ["O", "B-TOTAL", "O", "B-TOTAL"]
    found = extract_fields(words, tags, [1.0, 0.55, 1.0, 0.9])
    assert found == {"total": [FieldValue("10.00", 0.9), FieldValue("9.00", 0.55)]}


@pytest.mark.parametrize(
    ("words", "value"),
    [
        # OCR reads a table rule as `|` and a speck between words as a lone dot: not part of the value.
        (["SETAPAK,", "|", "53200,", "KUALA", "LUMPUR."], "SETAPAK, 53200, KUALA LUMPUR."),
        (["Heights", ".", "50490,", "Kuala"], "Heights 50490, Kuala"),
        (["|", "JALAN", "BESAR", "¦"], "JALAN BESAR"),
        # A dot that ends the value may be its own; punctuation with content stays; so do `&` and `,`.
        (["KUALA", "LUMPUR", "."], "KUALA LUMPUR ."),
        (["19", "&", "19A", ",", "JALAN"], "19 & 19A , JALAN"),
        (["49.", "40"], "49. 40"),
        (["I|", "A.B."], "I| A.B."),
    ],
)
def test_value_text_drops_ocr_noise_words(words: list[str], value: str) -> None:
    assert value_text(words) == value


def test_extract_fields_reads_values_without_noise_words() -> None:
    words = ["NO", "7,", "|", "JALAN", "IPOH", "TOTAL", "9.00"]
    tags = ["B-ADDRESS", "I-ADDRESS", "I-ADDRESS", "I-ADDRESS", "I-ADDRESS", "O", "B-TOTAL"]
    found = extract_fields(words, tags, [0.9] * 7)
    assert found["address"] == [FieldValue("NO 7, JALAN IPOH", pytest.approx(0.9))]
    assert found["total"] == [FieldValue("9.00", 0.9)]


def test_field_report_counts_exact_matches_per_field() -> None:
    gold = [
        {"company": ("ACME SDN BHD",), "total": ("9.00",), "date": ("01/02/2019",)},
        {"company": ("BOLT",), "total": ("3.50",), "date": ("",)},  # empty = not annotated
    ]
    predicted = [
        {"company": [FieldValue("Acme Sdn  Bhd", 0.9)], "total": [FieldValue("RM9.00", 0.8)]},
        {
            "company": [FieldValue("BOLT CO", 0.9)],
            "total": [FieldValue("3.50", 0.7)],
            "date": [FieldValue("02/03/2019", 0.5)],
        },
    ]
    report = field_report(gold, predicted)
    assert report.exact("company") == 0.5
    assert report.exact("total") == 1.0
    assert report.exact("date") == 0.0  # one annotated date, not predicted
    date = report.per_field["date"]
    assert (date.correct, date.predicted, date.support) == (0, 1, 1)
    assert report.exact_micro == pytest.approx(3 / 5)
    assert report.micro.precision == pytest.approx(3 / 5)


def test_repeated_fields_compare_as_multisets() -> None:
    gold = [{"item_name": ("TEA", "CAKE")}]
    ok = [{"item_name": [FieldValue("cake", 0.9), FieldValue("tea", 0.8)]}]
    missing = [{"item_name": [FieldValue("tea", 0.8)]}]
    assert field_report(gold, ok).exact("item_name") == 1.0
    assert field_report(gold, missing).exact("item_name") == 0.0


def test_gold_fields_prefers_the_annotation_and_falls_back_to_labelled_words() -> None:
    words = ("TOTAL", "9.00")
    tags = ("O", "B-TOTAL")
    assert gold_fields({"total": ("9.00",), "date": ("x",)}, words, tags) == {
        "total": ("9.00",),
        "date": ("x",),
    }
    assert gold_fields({}, words, tags) == {"total": ("9.00",)}


def test_a_field_no_word_was_tagged_with_gets_its_likeliest_span() -> None:
    labels = ["O", "B-TOTAL", "I-TOTAL", "B-DATE", "I-DATE"]
    words = ["TOTAL", "RM", "9.00", "THANKS"]
    tags = ["O", "O", "O", "O"]
    probs = [
        [0.9, 0.05, 0.0, 0.05, 0.0],
        [0.6, 0.35, 0.0, 0.05, 0.0],
        [0.3, 0.1, 0.6, 0.0, 0.0],
        [0.95, 0.01, 0.01, 0.02, 0.01],
    ]
    found = extract_fields(words, tags, [0.9, 0.6, 0.3, 0.95], probs, labels)
    assert found["total"] == [FieldValue("RM 9.00", pytest.approx((0.35 + 0.6) / 2))]
    assert found["date"][0].value == "TOTAL"  # every field of the label set gets its likeliest span...
    assert extract_fields(words, tags, [0.9] * 4, probs, labels, min_confidence=0.1).keys() == {"total"}
    # ...unless a decoded entity of that type exists: then the decoded one stands.
    tagged = extract_fields(words, ["O", "O", "O", "B-TOTAL"], [0.9, 0.6, 0.3, 0.01], probs, labels)
    assert tagged["total"] == [FieldValue("THANKS", 0.01)]
