#!/usr/bin/env bash
# Generates the Python stubs of every contract under proto/ into the shared package
# (services/shared/xinyi/...). With --check, regenerates into a scratch folder and fails
# when the committed stubs differ ("did you forget to run make proto?").
set -euo pipefail
PROTO_DIR="$(cd "$(dirname "$0")" && pwd)"
OUT_DIR="$PROTO_DIR/../services/shared"
PYTHON="${PYTHON:-$PROTO_DIR/../.venv/bin/python}"

generate() {
  local out="$1"
  mapfile -t protos < <(cd "$PROTO_DIR" && find xinyi -name '*.proto' | sort)
  (cd "$PROTO_DIR" && "$PYTHON" -m grpc_tools.protoc -I . \
      --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" "${protos[@]}")
  # Make every generated folder a regular package so setuptools and mypy find it.
  find "$out/xinyi" -type d -exec touch {}/__init__.py \;
}

if [[ "${1:-}" == "--check" ]]; then
  scratch="$(mktemp -d)"; trap 'rm -rf "$scratch"' EXIT
  generate "$scratch"
  if ! diff -r -q -x __pycache__ "$scratch/xinyi" "$OUT_DIR/xinyi"; then
    echo "generated stubs are stale: run 'make proto' and commit the result" >&2
    exit 1
  fi
  echo "generated stubs are current"
else
  rm -rf "$OUT_DIR/xinyi"
  generate "$OUT_DIR"
  echo "stubs written to services/shared/xinyi"
fi
