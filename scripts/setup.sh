#!/usr/bin/env bash
# Installs everything doctrain needs on a Debian machine, and nothing twice:
#   - npm packages from package-lock.json (npm ci), when the lockfile changed since the last install;
#   - Debian packages for the trainer and the synthetic receipts, when missing:
#     python3-torch + libopenblas0-pthread (without it torch on CPU is ~11x slower), python3-pytest, fonts-dejavu-core,
#     black and python3-mypy (format and type checks of the trainer).
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

# Debian packages. The trainer runs on Debian's python3 (/usr/bin/python3), which is where apt puts torch.
python=/usr/bin/python3
missing=()
[[ -x $python ]] && $python -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || missing+=(libopenblas0-pthread)
[[ -x $python ]] && $python -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
# The trainer's format and type checks (npm run lint:py).
command -v black >/dev/null || missing+=(black)
[[ -x $python ]] && $python -c 'import mypy' 2>/dev/null || missing+=(python3-mypy)
command -v tar >/dev/null || missing+=(tar)
if (( ${#missing[@]} > 0 )); then
  apt_line="apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and this is no Debian/Ubuntu machine: install PyTorch (CPU), pytest and the DejaVu fonts for /usr/bin/python3 by hand"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing ${missing[*]}: run as root: apt-get update && $apt_line"
    sudo="sudo -n"
  fi
  say "installing Debian packages: ${missing[*]} (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || die "could not install ${missing[*]}; run: sudo apt-get update && sudo $apt_line"
  $python -c 'import torch, numpy, pytest' || die "python3-torch is installed but /usr/bin/python3 cannot import torch"
fi
say "ready: node $node_version, $($python -c 'import torch; print("torch", torch.__version__)')"
