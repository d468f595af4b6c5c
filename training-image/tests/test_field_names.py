from __future__ import annotations

import pytest

from doctrain_trainer.field_names import field_keywords, name_grades, normalize_token, word_grade


def test_field_keywords_are_the_label_type_words_and_the_tables_names_in_every_language() -> None:
    total = field_keywords("TOTAL")
    assert total[0] == "total" and {"gesamt", "totaal", "montanttotal", "jumlah", "grandtotal"} <= set(total)
    assert "zwischensumme" not in total  # a subtotal's name, not a total's
    assert field_keywords("TOTAL_AMOUNT") == ("total", "amount")  # no table entry: its own words
    assert field_keywords("INVOICE_NO") == ("invoice",)
    assert field_keywords("INVOICE_NO", {"invoice_no": ["Beleg Nr"]}) == ("invoice", "belegnr")


def test_normalize_token_keeps_lowercase_ascii_letters_and_digits() -> None:
    assert normalize_token("Total:") == "total"
    assert normalize_token("Café-Nº1") == "cafeno1"


@pytest.mark.parametrize(
    ("word", "before", "grade"),
    [
        ("TOTAL", "", 3),
        ("Total:", "net", 3),
        ("lotal", "", 3),  # one OCR edit from a keyword of four or more letters
        ("TOTL", "", 3),
        ("GRANDTOTAL", "", 2),
        ("TotalRM", "", 2),
        ("TOTAL", "sub", 1),  # SUB TOTAL
        ("SUBTOTAL", "", 1),
        ("Sub-total", "", 1),
        ("CASH", "", 0),
        ("tot", "", 0),
        ("", "", 0),
    ],
)
def test_word_grade_says_how_plainly_a_word_names_the_field(word: str, before: str, grade: int) -> None:
    assert word_grade(normalize_token(word), [before] if before else [], ("total",)) == grade


def _row(words: list[str], y: int, x: int = 0) -> list[tuple[str, tuple[int, int, int, int]]]:
    out = []
    for word in words:
        out.append((word, (x, y, x + 10 * len(word), y + 20)))
        x += 10 * len(word) + 10
    return out


def test_name_grades_look_left_along_the_printed_line_and_back_three_words() -> None:
    page = (
        _row(["SUB", "TOTAL", "9.00"], 0)
        + _row(["Total", "Sales", "(Inclusive", "of", "GST)", "9.00"], 40)
        + _row(["Date:", "25/12/2018"], 80)
        + _row(["CASH", "10.00"], 120)
    )
    words = [w for w, _ in page]
    boxes = [b for _, b in page]
    grades = name_grades(words, boxes, ["DATE", "TOTAL"])
    at = {i: g for i, g in enumerate(grades)}
    assert at[2] == [0.0, pytest.approx(1 / 3)]  # the SUB TOTAL amount
    # Five words after `Total`, still on its line.
    assert at[8] == [0.0, 1.0]
    assert at[10] == [1.0, 0.0]
    # `CASH 10.00`: `Date:` is among the three content words before it, on the line above.
    assert at[12] == [1.0, 0.0]
    assert at[0] == [0.0, 0.0]


def test_name_grades_stop_at_the_start_of_the_line() -> None:
    page = _row(["TOTAL", "a", "b", "c", "d"], 0) + _row(["e", "f", "g", "9.00"], 40)
    grades = name_grades([w for w, _ in page], [b for _, b in page], ["TOTAL"])
    assert grades[4] == [1.0]  # four words after TOTAL, on its line
    assert grades[5] == [0.0]  # the next line, more than three words after it
    assert grades[8] == [0.0]
