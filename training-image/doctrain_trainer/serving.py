"""SageMaker PyTorch inference handler, shipped inside model.tar.gz as `code/inference.py`.

The SageMaker PyTorch inference container (sagemaker-pytorch-inference-toolkit) unpacks model.tar.gz to
/opt/ml/model, puts `code/` on the Python path and calls `model_fn(model_dir)` once, then per request
`input_fn(body, content_type)` -> `predict_fn(data, model)` -> `output_fn(prediction, accept)`.
The trainer package itself travels in `code/doctrain_trainer/`, so the artifact needs nothing beyond the
container's torch.

Request (`application/json`): one dataset-contract record `{"words": [...], "bboxes": [[x0,y0,x1,y1]...]}`
(0..1000, reading order), or a list of them. Response (`application/json`): `{field: {"value",
"confidence"}}`, or a list of those for a list."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import UserError
from .inference import LoadedModel, load_model
from .predict import predict_fields

JSON = "application/json"
PACKAGE_DIR = Path(__file__).resolve().parent
HANDLER = '''"""SageMaker inference entry point for this doctrain model (see doctrain_trainer/serving.py)."""

from doctrain_trainer.serving import input_fn, model_fn, output_fn, predict_fn

__all__ = ["input_fn", "model_fn", "output_fn", "predict_fn"]
'''


def model_fn(model_dir: str) -> LoadedModel:
    return load_model(Path(model_dir))


def input_fn(request_body: str | bytes, request_content_type: str) -> Any:
    if request_content_type.split(";")[0].strip() != JSON:
        raise UserError(f"unsupported content type {request_content_type}; send {JSON}")
    body = request_body.decode("utf-8") if isinstance(request_body, bytes) else request_body
    return json.loads(body)


def predict_fn(input_data: Any, model: LoadedModel) -> Any:
    if isinstance(input_data, list):
        return [predict_fields(model, record) for record in input_data]
    return predict_fields(model, input_data)


def output_fn(prediction: Any, accept: str) -> str:
    if accept not in (JSON, "*/*", "") and not accept.startswith(JSON):
        raise UserError(f"unsupported accept type {accept}; ask for {JSON}")
    return json.dumps(prediction, ensure_ascii=False)


def write_serving_code(model_dir: Path, requirements: Sequence[str] = ()) -> None:
    """`code/inference.py` and a copy of this package (its .py files and the JSON files it reads at
    import: schemas, the value table) under model_dir/code/, plus
    `code/requirements.txt` when the model needs packages beyond the container's torch (hf: transformers;
    the SageMaker PyTorch inference container pip-installs that file when the endpoint starts)."""
    code = model_dir / "code"
    target = code / "doctrain_trainer"
    if target.exists():
        shutil.rmtree(target)
    for source in sorted([*PACKAGE_DIR.rglob("*.py"), *PACKAGE_DIR.rglob("*.json")]):
        dest = target / source.relative_to(PACKAGE_DIR)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    (code / "inference.py").write_text(HANDLER, encoding="utf-8")
    if requirements:
        (code / "requirements.txt").write_text("".join(f"{r}\n" for r in requirements), encoding="utf-8")
