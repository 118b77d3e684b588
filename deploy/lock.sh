#!/usr/bin/env bash
# `make lock`: pins every third-party package, with the hashes of its files, for Python 3.11 on
# Linux x86_64.
#   requirements-dev.lock  what `make venv` (so `make up`, `make test` and CI) installs: the services'
#                          dependencies and the development tools, from requirements-dev.txt
#   requirements.lock      the services' runtime subset, at the same versions, for the Dockerfile
# The local packages (services/*) cannot carry hashes: they are left out of both, and installed
# after them with --no-deps, so nothing that is not locked comes in.
# Extra arguments go to `uv pip compile`: `make lock LOCK_ARGS=--upgrade` takes the newest versions,
# `LOCK_ARGS="--upgrade-package fastapi"` one package; without them, pinned versions are kept.
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"

UV="$REPO_DIR/.venv/bin/uv"
if [[ ! -x "$UV" ]]; then  # before the first `make venv` (uv itself is in the lock)
  if [[ ! -x "$XINYI_CACHE/uv/bin/uv" ]]; then
    log "installing uv into $XINYI_CACHE/uv"
    python3 -m venv "$XINYI_CACHE/uv"
    "$XINYI_CACHE/uv/bin/pip" install -q uv
  fi
  UV="$XINYI_CACHE/uv/bin/uv"
fi

# Every local package (its name from its pyproject.toml) stays out of the locks.
no_emit=()
for project in services/*/pyproject.toml; do
  no_emit+=(--no-emit-package "$(sed -n 's/^name = "\(.*\)"$/\1/p' "$project")")
done
common=(--quiet --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
        --custom-compile-command "make lock" "${no_emit[@]}")

log "locking requirements-dev.txt into requirements-dev.lock"
"$UV" pip compile requirements-dev.txt "${common[@]}" "$@" -o requirements-dev.lock

# The runtime: the shared library and every service (a folder with a <name>_service package), and
# the installers the Dockerfile uses; held to the versions just locked for development.
runtime=("-e services/shared")
for package in services/*/*_service; do runtime+=("-e $(dirname "$package")"); done
runtime+=("pip>=25" "setuptools>=69")
log "locking the services' runtime (${runtime[*]}) into requirements.lock"
printf '%s\n' "${runtime[@]}" \
  | "$UV" pip compile - -c requirements-dev.lock "${common[@]}" "$@" -o requirements.lock
