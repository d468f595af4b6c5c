r"""Validates AWS API requests against the real service models (botocore's), offline.

stdin:  {"requests": [{"label": str, "service": "sagemaker", "operation": "CreateTrainingJob",
                       "params": {...}}]}
        Blob members are written as {"$base64": "..."} (JSON has no bytes).
stdout: {"botocore": version, "results": [{"label": str, "errors": [str, ...]}]}

Two passes per request:
  1. botocore.validate.ParamValidator, as boto3 runs it before sending: required members, unknown
     members, types, and the `min` constraints;
  2. the constraints ParamValidator leaves to the service (it checks `min` only): `max` (string and
     blob length, list length, map entries, numeric range), `pattern` (matched against the whole value,
     as the services' Java validators do; the `regex` package, as the models use Java's \p{L} classes)
     and `enum`. botocore has no validator for these, so this walk is written here; a pattern that does
     not compile is reported as an error, never skipped.

Used by test/unit/aws/requests.test.ts; run by hand: python scripts/validate_aws_requests.py < requests.json
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import botocore
import botocore.session
import regex
from botocore.model import Shape
from botocore.validate import ParamValidator


def decode_blobs(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$base64"}:
            return base64.b64decode(value["$base64"])
        return {key: decode_blobs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_blobs(item) for item in value]
    return value


def pattern_problem(pattern: str, value: str) -> str | None:
    """Why `value` does not match the model's `pattern` as a whole, or None when it does."""
    try:
        matched = regex.fullmatch(pattern, value, regex.DOTALL) is not None
    except regex.error as error:
        return f"the model's pattern {pattern!r} does not compile ({error})"
    return None if matched else f"{value[:80]!r} does not match the model's pattern {pattern!r}"


def service_constraints(value: Any, shape: Shape, path: str, errors: list[str]) -> None:
    """The `max`, `pattern` and `enum` constraints of the model, which ParamValidator does not check."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                service_constraints(value[name], member, f"{path}.{name}", errors)
        return
    if kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} items, the model allows at most {meta['max']}")
        for index, item in enumerate(value):
            service_constraints(item, shape.member, f"{path}[{index}]", errors)
        return
    if kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} entries, the model allows at most {meta['max']}")
        for key, item in value.items():
            service_constraints(key, shape.key, f"{path} (key {key[:40]!r})", errors)
            service_constraints(item, shape.value, f"{path}.{key[:40]}", errors)
        return
    if kind in ("string", "blob") and isinstance(value, (str, bytes)):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: length {len(value)}, the model allows at most {meta['max']}")
        if kind == "string" and isinstance(value, str):
            if shape.enum and value not in shape.enum:
                errors.append(f"{path}: {value!r} is not one of the model's {len(shape.enum)} values")
            if "pattern" in meta:
                problem = pattern_problem(meta["pattern"], value)
                if problem is not None:
                    errors.append(f"{path}: {problem}")
        return
    numeric = kind in ("integer", "long", "float", "double") and isinstance(value, (int, float))
    if numeric and "max" in meta and value > meta["max"]:
        errors.append(f"{path}: {value}, the model allows at most {meta['max']}")


def validate(session: botocore.session.Session, request: dict[str, Any]) -> list[str]:
    model = session.get_service_model(request["service"])
    shape = model.operation_model(request["operation"]).input_shape
    params = decode_blobs(request["params"])
    report = ParamValidator().validate(params, shape)
    # One line per error; empty when there is none.
    errors = [line.strip() for line in report.generate_report().splitlines() if line.strip()]
    service_constraints(params, shape, request["operation"], errors)
    return errors


def main() -> int:
    payload = json.load(sys.stdin)
    session = botocore.session.get_session()
    results = [{"label": r["label"], "errors": validate(session, r)} for r in payload["requests"]]
    json.dump({"botocore": botocore.__version__, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
