#!/usr/bin/env bash
# Installs everything doctrain needs on a Debian machine, and nothing twice:
#   - npm packages from package-lock.json (npm ci), when the lockfile changed since the last install;
#   - Debian packages when missing: fonts-dejavu-core (synthetic receipts), tar, python3-venv, chromium
#     (headless, for the run report's browser test; DOCTRAIN_CHROMIUM names another Chromium/Chrome), awscli (the README's local walkthrough);
#   - the project venv .venv (training-image/requirements-dev.txt: pinned trainer requirements, CPU torch,
#     pytest, ruff, mypy), when the requirements changed since the last install.
# Usage: scripts/setup.sh [--quiet]
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=false
[[ "${1:-}" == "--quiet" ]] && quiet=true
say() { $quiet || echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# Node.js: aws-local-stepfunctions and osls need >= 20.19 (Lambda itself runs nodejs22.x).
node_version=$(node -p 'process.versions.node' 2>/dev/null) || die "Node.js is not installed: install Node.js 20.19+ (or 22) and npm"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $node_version is too old: doctrain needs 20.19 or newer"

# npm packages, keyed by the lockfile's hash so an unchanged checkout skips the install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.doctrain-lock-sha256
if [[ ! -f $stamp || "$(cat "$stamp")" != "$lock_hash" ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

# Debian packages: fonts for the synthetic receipts, tar for model artifacts, python3-venv for the venv,
# chromium for the run report's test (test/integration/report.test.ts renders a report in headless Chromium).
missing=()
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
command -v tar >/dev/null || missing+=(tar)
command -v python3 >/dev/null || missing+=(python3 python3-venv python3-pip)
command -v python3 >/dev/null && ! python3 -c 'import venv, ensurepip' 2>/dev/null && missing+=(python3-venv)
command -v "${DOCTRAIN_CHROMIUM:-chromium}" >/dev/null || missing+=(chromium)
# the aws CLI for the README's local walkthrough (test/integration/walkthrough.test.ts).
command -v aws >/dev/null || missing+=(awscli)
if (( ${#missing[@]} > 0 )); then
  apt_line="apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and this is no Debian/Ubuntu machine: install Python 3.10+ with venv, tar, the DejaVu fonts and Chromium (or set DOCTRAIN_CHROMIUM to a Chrome/Chromium binary) by hand"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing ${missing[*]}: run as root: apt-get update && $apt_line"
    sudo="sudo -n"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || die "could not install ${missing[*]}; run: sudo apt-get update && sudo $apt_line"
fi

# Native tesseract for the local Textract (local/textract/readers.ts): about five times the wasm engine's
# pages/s. Optional: without it the local OCR runs on tesseract.js (the same tests pass on both).
# The local OCR calls libtesseract5 (which the package brings); bench:ocr's peer runs the command.
if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  ocr_line="apt-get install -y tesseract-ocr tesseract-ocr-eng"
  if command -v apt-get >/dev/null && { [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; }; then
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo -n"
    say "installing native tesseract (tesseract-ocr, tesseract-ocr-eng) for the local OCR"
    export DEBIAN_FRONTEND=noninteractive
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; } \
      || echo "setup: could not install native tesseract ($ocr_line); the local OCR uses tesseract.js (about 5x slower)" >&2
  else
    echo "setup: native tesseract is not installed and cannot be installed here ($ocr_line, or your platform's tesseract 4+ with English): the local OCR uses tesseract.js (about 5x slower)" >&2
  fi
fi

# The project venv (.venv): the trainer's pinned requirements + a CPU torch + pytest/ruff/mypy, keyed by the
# requirements' hash so an unchanged checkout skips the install. torch==2.13.0 resolves to a CPU build on
# machines that carry one; elsewhere set DOCTRAIN_TORCH_INDEX=https://download.pytorch.org/whl/cpu to avoid
# pip's default CUDA build (several GB).
python=.venv/bin/python
req_hash=$(cat training-image/requirements.txt training-image/requirements-dev.txt | sha256sum | cut -d' ' -f1)
venv_stamp=.venv/.doctrain-requirements-sha256
if [[ ! -f $venv_stamp || "$(cat "$venv_stamp")" != "$req_hash" ]]; then
  py_ok=$(python3 -c 'import sys; print(int(sys.version_info >= (3, 10)))')
  [[ $py_ok == 1 ]] || die "python3 $(python3 -V) is too old: the trainer needs Python 3.10 or newer"
  say "creating the Python venv .venv (pinned trainer requirements, CPU torch; about a minute)"
  [[ -x $python ]] || python3 -m venv .venv || die "python3 -m venv failed: install python3-venv (apt-get install -y python3-venv)"
  extra=()
  [[ -n "${DOCTRAIN_TORCH_INDEX:-}" ]] && extra+=(--extra-index-url "$DOCTRAIN_TORCH_INDEX")
  $python -m pip install -q --disable-pip-version-check "${extra[@]}" -r training-image/requirements-dev.txt 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  $python -c 'import torch, transformers, jsonschema, jsonschema_rs, pytest' \
    || die "the venv is incomplete; run: .venv/bin/python -m pip install -r training-image/requirements-dev.txt"
  echo "$req_hash" > "$venv_stamp"
fi
say "ready: node $node_version, $($python -c 'import torch; print("torch", torch.__version__)')"
