"""What a job learns, as the dataset's labels.json names it (`task`; absent: token classification).

- `token-classification`: one BIO label per word (key fields, boxes, labelled words); entity and field
  metrics (evaluation.py).
- `classification`: one class per document (`labels` is the class list); every page record carries its
  document's `class`; accuracy, macro-F1 and per-class precision/recall (classification.py).
"""

from __future__ import annotations

TOKEN_CLASSIFICATION = "token-classification"
CLASSIFICATION = "classification"
TASKS = (TOKEN_CLASSIFICATION, CLASSIFICATION)
