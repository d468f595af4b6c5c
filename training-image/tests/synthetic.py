"""Synthetic OCR'd receipts in the dataset JSONL format (CONTRACTS.md §3), for tests and tuning.

Layout follows a till receipt: company on top, address below, date, item lines (name left, price right),
then SUBTOTAL/TAX/TOTAL with their keywords (labelled O) before the amounts, then O-only footer lines.
OCR noise: character confusions, split/merged tokens, box jitter, a slight skew and varied scale/offset.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LABELS = ["COMPANY", "ADDRESS", "DATE", "ITEM_NAME", "ITEM_PRICE", "SUBTOTAL", "TAX", "TOTAL"]
ALL_LABELS = ["O"] + [f"{p}-{t}" for t in sorted(LABELS) for p in ("B", "I")]

_ADJ = [
    "BLUE",
    "GOLDEN",
    "RED",
    "GREEN",
    "SILVER",
    "ROYAL",
    "HAPPY",
    "SUNNY",
    "OLD",
    "NEW",
    "BRIGHT",
    "LUCKY",
    "URBAN",
    "COASTAL",
    "NORTHERN",
    "MAPLE",
    "CEDAR",
    "IVORY",
    "CRIMSON",
    "AMBER",
    "PINE",
]
_NOUN = [
    "HERON",
    "OAK",
    "RIVER",
    "LANTERN",
    "BRIDGE",
    "HARBOUR",
    "GARDEN",
    "FOX",
    "MILL",
    "STAR",
    "ANCHOR",
    "ORCHARD",
    "TIGER",
    "PEARL",
    "MEADOW",
    "CASTLE",
    "VALLEY",
    "FALCON",
    "LOTUS",
    "BAY",
]
_KIND = [
    "MARKET",
    "MART",
    "BAKERY",
    "CAFE",
    "STORE",
    "TRADING",
    "HARDWARE",
    "PHARMACY",
    "GROCER",
    "BOOKSHOP",
    "KITCHEN",
    "DELI",
    "SUPPLIES",
    "STATIONERY",
    "RESTAURANT",
]
_SUFFIX = ["LTD", "SDN BHD", "INC", "& CO", "PLC", "ENTERPRISE", "LLC"]
_STREET = [
    "HARBOUR",
    "MAIN",
    "HIGH",
    "STATION",
    "JALAN",
    "MILL",
    "CHURCH",
    "PARK",
    "KING",
    "QUEEN",
    "BRIDGE",
    "MARKET",
    "ELM",
    "CEDAR",
    "RIVERSIDE",
    "TAMAN",
    "VICTORIA",
    "GEORGE",
]
_ST_KIND = ["ST", "STREET", "RD", "ROAD", "AVE", "LANE", "JLN", "WAY", "DRIVE"]
_CITY = [
    "PORTSMOUTH",
    "LEEDS",
    "KUALA LUMPUR",
    "PETALING JAYA",
    "BRISTOL",
    "JOHOR BAHRU",
    "YORK",
    "SHAH ALAM",
    "NORWICH",
    "IPOH",
    "BATH",
    "KLANG",
    "DERBY",
    "MELAKA",
    "CARDIFF",
    "SEREMBAN",
]
_ITEM_A = [
    "OAT",
    "WHOLE",
    "FRESH",
    "SOURDOUGH",
    "ORGANIC",
    "SPICY",
    "GREEN",
    "DARK",
    "MINI",
    "LARGE",
    "SMOKED",
    "ROASTED",
    "PLAIN",
    "CHEDDAR",
    "HONEY",
    "LEMON",
    "GARLIC",
    "SWEET",
    "BROWN",
    "CHOC",
]
_ITEM_B = [
    "MILK",
    "LOAF",
    "EGGS",
    "COFFEE",
    "TEA",
    "RICE",
    "NOODLES",
    "CHICKEN",
    "BEANS",
    "APPLES",
    "BANANAS",
    "CHEESE",
    "BUTTER",
    "SOAP",
    "PENCIL",
    "NOTEBOOK",
    "BATTERY",
    "TAPE",
    "GLUE",
    "SCREWS",
    "MUFFIN",
    "SANDWICH",
    "LATTE",
    "JUICE",
    "WATER",
    "CHIPS",
    "SAUCE",
    "FLOUR",
    "SUGAR",
    "PAPER",
]
_ITEM_C = ["1L", "500G", "6PK", "2KG", "(L)", "XL", "250ML", "12S", "A4", "PACK", "BTL", "PCS"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_HEADER_O = [["TAX", "INVOICE"], ["RECEIPT"], ["SIMPLIFIED", "TAX", "INVOICE"], ["CASH", "SALE"]]
_FOOTER_O = [
    ["THANK", "YOU"],
    ["PLEASE", "COME", "AGAIN"],
    ["GOODS", "SOLD", "ARE", "NOT", "RETURNABLE"],
    ["HAVE", "A", "NICE", "DAY"],
    ["KEEP", "THIS", "RECEIPT"],
]
_SUBTOTAL_KW = [["SUBTOTAL"], ["SUB", "TOTAL"], ["Sub-Total"], ["Subtotal:"], ["TOTAL", "EXCL", "TAX"]]
_TAX_KW = [["TAX"], ["GST", "6%"], ["VAT", "20%"], ["Sales", "Tax"], ["SST", "8%"], ["Tax:"]]
_TOTAL_KW = [
    ["TOTAL"],
    ["TOTAL", "DUE"],
    ["Grand", "Total"],
    ["AMOUNT", "DUE"],
    ["TOTAL:"],
    ["NETT", "TOTAL"],
]
_CONFUSE = {
    "O": "0",
    "0": "O",
    "I": "1",
    "1": "I",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "l": "1",
    "E": "F",
    "G": "6",
    "6": "G",
    ".": ",",
    ",": ".",
}


@dataclass
class _Line:
    words: list[tuple[str, str]] = field(default_factory=list)  # (text, entity type or "")
    align: str = "left"  # left | right-last | center


def _entity(words: list[str], etype: str) -> list[tuple[str, str]]:
    return [(w, etype) for w in words]


def _money(rng: random.Random, value: float, currency: str) -> str:
    text = f"{value:.2f}"
    return f"{currency}{text}" if currency and rng.random() < 0.5 else text


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(2018, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}/{m:02d}/{y}",
            f"{d:02d}-{_MONTHS[m - 1]}-{y}",
            f"{m:02d}/{d:02d}/{y % 100:02d}",
            f"{d:02d}.{m:02d}.{y}",
            f"{d}/{m}/{y}",
        ]
    )


def _receipt_lines(rng: random.Random) -> list[_Line]:
    lines: list[_Line] = []
    currency = rng.choice(["", "$", "RM", "£"])
    company = [rng.choice(_ADJ), rng.choice(_NOUN)]
    if rng.random() < 0.7:
        company.append(rng.choice(_KIND))
    if rng.random() < 0.5:
        company.extend(rng.choice(_SUFFIX).split())
    lines.append(_Line(_entity(company, "COMPANY"), "center"))
    if rng.random() < 0.3:
        reg_no = f"({rng.randint(100000, 999999)}-{rng.choice('ABCDKMPTX')})"
        lines.append(_Line(_entity([reg_no], ""), "center"))
    addr1 = [str(rng.randint(1, 250)), rng.choice(_STREET), rng.choice(_ST_KIND) + rng.choice([",", ""])]
    addr2 = rng.choice(_CITY).split()
    if rng.random() < 0.6:
        addr2 = [str(rng.randint(10000, 99999))] + addr2
    addr_lines = [addr1, addr2] if rng.random() < 0.7 else [addr1 + addr2]
    for aw in addr_lines:
        lines.append(_Line(_entity(aw, "ADDRESS"), "center"))
    if rng.random() < 0.6:
        tel = ["Tel:", f"0{rng.randint(1, 9)}-{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"]
        lines.append(_Line(_entity(" ".join(tel).split(), ""), "center"))
    if rng.random() < 0.5:
        lines.append(_Line(_entity(rng.choice(_HEADER_O), ""), "center"))
    date_line = _Line()
    if rng.random() < 0.7:
        date_line.words.append((rng.choice(["Date:", "DATE", "Date"]), ""))
    date_line.words.append((_date(rng), "DATE"))
    if rng.random() < 0.6:
        date_line.words.append((f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}", ""))
    lines.append(date_line)
    if rng.random() < 0.5:
        lines.append(
            _Line(
                _entity(
                    [
                        rng.choice(["Cashier:", "Staff:", "Till"]),
                        rng.choice(["AMY", "JOHN", "01", "SITI", "RAJ", "KIM"]),
                    ],
                    "",
                )
            )
        )
    total = 0.0
    for _ in range(rng.randint(2, 6)):
        name = [rng.choice(_ITEM_A), rng.choice(_ITEM_B)] if rng.random() < 0.7 else [rng.choice(_ITEM_B)]
        if rng.random() < 0.25:
            name.append(rng.choice(_ITEM_C))
        price = round(rng.uniform(0.5, 60.0), 2)
        line = _Line(align="right-last")
        if rng.random() < 0.25:
            qty = rng.randint(2, 5)
            line.words += [(str(qty), ""), ("x", "")]
            price = round(price * qty, 2)
        line.words += _entity(name, "ITEM_NAME")
        line.words.append((_money(rng, price, currency), "ITEM_PRICE"))
        total += price
        lines.append(line)
    subtotal = round(total, 2)
    tax = round(subtotal * rng.choice([0.0, 0.06, 0.08, 0.2]), 2)
    grand = round(subtotal + tax, 2)
    for kws, amount, etype, p in (
        (_SUBTOTAL_KW, subtotal, "SUBTOTAL", 0.8),
        (_TAX_KW, tax, "TAX", 0.8),
        (_TOTAL_KW, grand, "TOTAL", 1.0),
    ):
        if rng.random() < p:
            lines.append(
                _Line(_entity(rng.choice(kws), "") + [(_money(rng, amount, currency), etype)], "right-last")
            )
    if rng.random() < 0.7:
        cash = float(int(grand) + rng.choice([1, 5, 10, 20]))
        # Amounts labelled O: the model must use the keyword, not just "a number on the right".
        cash_kw, change_kw = rng.choice(["CASH", "Cash", "TENDERED"]), rng.choice(["CHANGE", "Change"])
        lines.append(_Line([(cash_kw, ""), (f"{cash:.2f}", "")], "right-last"))
        lines.append(_Line([(change_kw, ""), (f"{cash - grand:.2f}", "")], "right-last"))
    for _ in range(rng.randint(0, 2)):
        lines.append(_Line(_entity(rng.choice(_FOOTER_O), ""), "center"))
    return lines


def _noisy(rng: random.Random, text: str, rate: float) -> str:
    if rng.random() >= rate:
        return text
    chars = list(text)
    i = rng.randrange(len(chars))
    op = rng.random()
    if op < 0.6 and chars[i] in _CONFUSE:
        chars[i] = _CONFUSE[chars[i]]
    elif op < 0.8 and len(chars) > 2:
        del chars[i]
    else:
        chars.insert(i, rng.choice(".,'-:"))
    return "".join(chars) or text


def make_document(rng: random.Random, doc_id: str, noise: float = 0.08) -> dict[str, Any]:
    lines = _receipt_lines(rng)
    scale = rng.uniform(0.75, 1.15)  # receipt size on the page
    char_w = 9.0 * scale
    line_h = 22.0 * scale
    width = rng.uniform(330, 480) * scale
    left = rng.uniform(20, max(30, 980 - width))
    top = rng.uniform(10, 120)
    skew = rng.uniform(-0.02, 0.02)  # slight rotation: y drifts with x
    words: list[str] = []
    boxes: list[list[int]] = []
    labels: list[str] = []
    prev_type = ""
    y = top
    for line in lines:
        y += line_h * rng.uniform(0.95, 1.3)
        texts = [t for t, _ in line.words]
        widths = [max(1, len(t)) * char_w for t in texts]
        gaps = char_w * rng.uniform(0.8, 1.4)
        line_w = sum(widths) + gaps * (len(texts) - 1)
        if line.align == "center":
            x = left + max(0.0, (width - line_w) / 2)
        else:
            x = left + rng.uniform(0, 12)
        positions: list[float] = []
        for w in widths:
            positions.append(x)
            x += w + gaps
        if line.align == "right-last" and len(texts) > 1:
            positions[-1] = max(positions[-1], left + width - widths[-1] - rng.uniform(0, 10))
        line_prev = ""
        for (text, etype), x0, w in zip(line.words, positions, widths, strict=False):
            # Entities spanning lines (address) continue; a new line of items starts a new entity.
            multi_line = etype in ("ADDRESS", "COMPANY")
            continues = etype and etype == prev_type and (multi_line or line_prev == etype)
            tag = "O" if not etype else (f"I-{etype}" if continues else f"B-{etype}")
            prev_type = etype
            line_prev = etype
            jx, jy = rng.uniform(-3, 3), rng.uniform(-2, 2)
            yy = y + skew * x0 + jy
            box = [x0 + jx, yy, x0 + jx + w, yy + line_h * 0.75]
            ocr = _noisy(rng, text, noise)
            if rng.random() < noise / 3 and len(ocr) > 5 and not etype:
                cut = len(ocr) // 2  # OCR split one word into two (only O words, keeping labels simple)
                words += [ocr[:cut], ocr[cut:]]
                mid = box[0] + (box[2] - box[0]) / 2
                boxes += [[box[0], box[1], mid, box[3]], [mid, box[1], box[2], box[3]]]
                labels += [tag, tag]
                continue
            words.append(ocr)
            boxes.append(box)
            labels.append(tag)
    norm = [[int(min(1000, max(0, round(c)))) for c in b] for b in boxes]
    norm = [[b[0], b[1], max(b[0], b[2]), max(b[1], b[3])] for b in norm]
    return {
        "id": doc_id,
        "words": words,
        "bboxes": norm,
        "labels": labels,
        "page": {"width": 1000, "height": 1000},
        "source": f"synthetic://{doc_id}.png",
    }


def write_dataset(
    data_dir: Path, n_train: int = 64, n_val: int = 16, seed: int = 0, with_labels_file: bool = True
) -> None:
    """Writes <data_dir>/train/train-00000.jsonl, validation/validation-00000.jsonl, labels/labels.json."""
    rng = random.Random(seed)
    for channel, count in (("train", n_train), ("validation", n_val)):
        (data_dir / channel).mkdir(parents=True, exist_ok=True)
        with (data_dir / channel / f"{channel}-00000.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(count):
                fh.write(json.dumps(make_document(rng, f"{channel}-{i:04d}")) + "\n")
    if with_labels_file:
        (data_dir / "labels").mkdir(parents=True, exist_ok=True)
        (data_dir / "labels" / "labels.json").write_text(
            json.dumps({"schemaVersion": 1, "labels": ALL_LABELS}), encoding="utf-8"
        )


if __name__ == "__main__":
    import sys

    write_dataset(Path(sys.argv[1]), seed=int(sys.argv[2]) if len(sys.argv) > 2 else 0)
