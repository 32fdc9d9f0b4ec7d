#!/bin/sh
# The commands that build sopbot's image, kept in one place: deploy/Dockerfile RUNs them, and
# scripts/check-image runs the same file on a machine without Docker, so CI exercises exactly
# what the image does.
#   image-steps.sh wheel SOURCE OUTDIR   build stage: the wheel from a source tree, into OUTDIR
#   image-steps.sh install WHEELDIR VENV final stage: a new virtual environment at VENV with the
#                                        one sopbot wheel in WHEELDIR and the PostgreSQL driver
# Needs python3 (or PYTHON) and pip's access to PyPI.
set -eu
PYTHON=${PYTHON:-python3}
PIP_FLAGS="--no-cache-dir --disable-pip-version-check --quiet"

case "${1:-}" in
wheel)
  [ $# -eq 3 ] || { echo "usage: $0 wheel SOURCE OUTDIR" >&2; exit 2; }
  tools=$(mktemp -d)
  "$PYTHON" -m venv "$tools/venv"
  # shellcheck disable=SC2086 # PIP_FLAGS is a list of flags
  "$tools/venv/bin/python" -m pip install $PIP_FLAGS "build>=1.2,<2"
  # Isolated: the build backend comes from pyproject.toml's [build-system], not from here.
  "$tools/venv/bin/python" -m build --wheel --outdir "$3" "$2"
  rm -rf "$tools"
  ;;
install)
  [ $# -eq 3 ] || { echo "usage: $0 install WHEELDIR VENV" >&2; exit 2; }
  set -- "$2"/sopbot-*.whl "$3"
  [ $# -eq 2 ] && [ -f "$1" ] || { echo "expected exactly one sopbot wheel" >&2; exit 1; }
  "$PYTHON" -m venv "$2"
  # shellcheck disable=SC2086 # PIP_FLAGS is a list of flags
  "$2/bin/python" -m pip install $PIP_FLAGS "$1[postgres]"
  ;;
*)
  echo "usage: $0 wheel SOURCE OUTDIR | install WHEELDIR VENV" >&2
  exit 2
  ;;
esac
