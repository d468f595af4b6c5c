"""The image without Docker: the Dockerfile, requirements.txt, pyproject.toml and the trainer's imports
agree, so a `docker build` on a machine with an engine produces an image whose trainer imports and runs."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import pkgutil
import re
import sys
from pathlib import Path

import tomllib

import doctrain_trainer

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "doctrain_trainer"
# What the base image provides besides the standard library (the PyTorch image ships torch with CUDA).
BASE_IMAGE_PROVIDES = {"torch"}
_PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    out = []
    for line in logical:
        op, _, args = line.partition(" ")
        out.append((op.upper(), args.strip()))
    return out


def _requirements(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        match = _PIN_RE.match(line)
        assert match, f"{name}: {line!r} is not pinned as name==version"
        pins[_canonical(match.group(1))] = match.group(2)
    return pins


def _modules() -> list[str]:
    names = [PACKAGE]
    for info in pkgutil.walk_packages(doctrain_trainer.__path__, prefix=f"{PACKAGE}."):
        names.append(info.name)
    return sorted(names)


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module names imported anywhere in the package (including lazy imports inside functions)
    that are neither the standard library nor the package itself -> the files importing them."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in (PACKAGE, "__future__"):
                    found.setdefault(top, set()).add(path.name)
    return found


BASE_IMAGE_RE = re.compile(
    r"pytorch/pytorch:(?P<torch>\d+\.\d+\.\d+)-cuda(?P<cuda>\d+\.\d+)-cudnn(?P<cudnn>\d+)-runtime"
    r"@sha256:(?P<digest>[0-9a-f]{64})"
)


def _base_image() -> re.Match[str]:
    froms = [args for op, args in _instructions() if op == "FROM"]
    assert len(froms) == 1
    match = BASE_IMAGE_RE.fullmatch(froms[0])
    assert match, (
        f"FROM {froms[0]}: expected pytorch/pytorch:<x.y.z>-cuda<x.y>-cudnn<n>-runtime@sha256:<digest>"
    )
    return match


def test_base_image_is_an_official_pytorch_gpu_image_pinned_by_digest() -> None:
    match = _base_image()
    torch_version = tuple(int(p) for p in match.group("torch").split("."))
    assert torch_version >= (2, 1, 0), "bf16 autocast and the transformers pin need torch >= 2.1"
    assert float(match.group("cuda")) >= 11.8, "ml.g5 (A10G, Ampere) bf16 needs CUDA >= 11"


def test_the_image_runs_the_torch_the_tests_run() -> None:
    """The base image's torch (its tag) is the venv's torch and requirements-dev.txt's pin, less the build's
    local suffix (`+cpu` here, the CUDA build in the image): a test passing here tested the image's torch."""
    image_torch = _base_image().group("torch")
    assert _requirements("requirements-dev.txt")["torch"] == image_torch
    installed = importlib.metadata.version("torch").split("+", 1)[0]
    assert installed == image_torch, f"the venv runs torch {installed}, the image {image_torch}"


def test_dockerfile_installs_the_pinned_requirements_then_the_package() -> None:
    steps = _instructions()
    copies = [args for op, args in steps if op == "COPY"]
    runs = [args for op, args in steps if op == "RUN"]
    assert any(c.split()[0] == "requirements.txt" for c in copies)
    assert any(re.search(r"\bpip install (.* )?-r requirements\.txt\b", r) for r in runs)
    assert any(c.split()[0] == "pyproject.toml" for c in copies)
    assert any(c.split()[0].rstrip("/") == PACKAGE for c in copies)
    assert any(re.search(r"\bpip install --no-deps \.(\s|$)", r) for r in runs)
    # Requirements come before the code, so a code change does not reinstall them.
    order = [i for i, (op, args) in enumerate(steps) if op == "RUN" and "requirements.txt" in args]
    code = [i for i, (op, args) in enumerate(steps) if op == "COPY" and args.startswith(PACKAGE)]
    assert order and code and order[0] < code[0]


def test_entrypoint_follows_the_sagemaker_contract() -> None:
    entrypoints = [args for op, args in _instructions() if op == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    argv = json.loads(entrypoints[0])  # exec form: SIGTERM reaches Python itself, not a shell
    assert argv[-2:] == ["-m", PACKAGE] and argv[0] in ("python", "python3")
    # SageMaker appends `train`: the package's __main__ accepts that (and `predict`, for local use).
    from doctrain_trainer.__main__ import USAGE

    assert USAGE.startswith(f"usage: python -m {PACKAGE} train |")


def test_every_module_of_the_package_imports() -> None:
    modules = _modules()
    assert {f"{PACKAGE}.train", f"{PACKAGE}.backends.hf", f"{PACKAGE}.backends.compact"} <= set(modules)
    for name in modules:
        importlib.import_module(name)


def test_every_third_party_import_is_required_and_pinned_in_the_venv() -> None:
    pins = _requirements("requirements.txt")
    distributions = importlib.metadata.packages_distributions()
    for module, files in sorted(_third_party_imports().items()):
        dists = {_canonical(d) for d in distributions.get(module, [module])}
        if dists & BASE_IMAGE_PROVIDES:
            continue
        assert dists & set(pins), f"{module} (imported by {sorted(files)}) is not in requirements.txt"
    # The venv runs what the image installs: the same versions.
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version, f"venv has {name} != {version}"


def test_pyproject_dependencies_are_covered_by_the_pins() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = _requirements("requirements.txt")
    for dep in pyproject["project"]["dependencies"]:
        name = _canonical(re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0])
        assert name in pins or name in BASE_IMAGE_PROVIDES, f"pyproject dependency {dep} is not pinned"
    packages = set(pyproject["tool"]["setuptools"]["packages"])
    assert packages == {m for m in _modules() if (ROOT / m.replace(".", "/")).is_dir()}
    dev = _requirements("requirements-dev.txt")
    assert "torch" in dev and not set(dev) & set(pins), "requirements-dev.txt adds to, never re-pins"


def test_every_json_file_the_package_reads_is_package_data() -> None:
    """The JSON files read at import (the hyperparameters, dataset record and labels schemas, the value
    table) ship in the wheel (and so in the image, which pip-installs the package) and in a model's code/
    (serving.write_serving_code)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"][PACKAGE]
    schemas = sorted((ROOT / PACKAGE).rglob("*.json"))
    assert {p.relative_to(ROOT / PACKAGE).as_posix() for p in schemas} >= {
        "hyperparameters.schema.json",
        "schemas/dataset-record.schema.json",
        "schemas/labels.schema.json",
        "value-rules.json",
    }
    for schema in schemas:
        assert any(schema.relative_to(ROOT / PACKAGE).match(p) for p in patterns), schema
