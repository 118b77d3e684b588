#!/usr/bin/env bash
# deploy/web.sh build|status: the pages (web/, a Vite project) built into web/dist/ (h5/ for the
# residents, console/ for the staff), which the front door (deploy/nginx.sh) serves.
#   build   `npm ci` when web/package-lock.json (or package.json, .npmrc, Node's version) changed or
#           node_modules is missing, then `npm run build` when any source under web/ changed or
#           web/dist/h5/index.html is missing; otherwise nothing (a second `make up` takes no time).
#           The hashes are kept in $XINYI_STATE/web/, npm's cache in $XINYI_CACHE/npm (outside the
#           work tree). Without web/package.json and web/package-lock.json there is nothing to build:
#           it says so and succeeds, and the front door serves a placeholder.
#   status  whether web/dist is built from the current sources.
source "$(dirname "$0")/lib.sh"

WEB_DIR="$REPO_DIR/web"
STATE="$XINYI_STATE/web"
DEPS_MARK="$STATE/npm-ci.sha256"
BUILD_MARK="$STATE/build.sha256"
mkdir -p "$STATE"

export npm_config_cache="${XINYI_NPM_CACHE:-$XINYI_CACHE/npm}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# No package may fetch a browser of its own at install (it cannot work here): the browser tests use
# Debian's chromium (tests/browser/conftest.py).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1

buildable() { [[ -f "$WEB_DIR/package.json" && -f "$WEB_DIR/package-lock.json" ]]; }

# Every file that makes the build: web/ less what npm and the build write (and tools' caches).
sources_hash() {
  ( cd "$WEB_DIR" && find . \( -name node_modules -o -name dist -o -name coverage -o -name .vite \
      -o -name test-results -o -name playwright-report -o -name '*.tsbuildinfo' \) -prune \
      -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    node --version ) | sha256sum | cut -d' ' -f1
}

deps_hash() {
  ( cd "$WEB_DIR" && cat package-lock.json package.json; cat .npmrc 2>/dev/null || true; node --version ) \
    | sha256sum | cut -d' ' -f1
}

built() { [[ -f "$WEB_DIR/dist/h5/index.html" && "$(cat "$BUILD_MARK" 2>/dev/null)" == "$(sources_hash)" ]]; }

build() {
  if ! buildable; then
    log "web/ has no package.json and package-lock.json yet: nothing to build (the front door serves a placeholder page)"
    return 0
  fi
  command -v npm >/dev/null || die "npm is needed to build web/ (Node.js 20.19 or later)"
  # One build at a time (`make up` and `make test` may run together).
  exec 9>"$STATE/build.lock"
  flock 9
  cd "$WEB_DIR"
  local deps; deps="$(deps_hash)"
  if [[ ! -f node_modules/.package-lock.json || "$(cat "$DEPS_MARK" 2>/dev/null)" != "$deps" ]]; then
    log "npm ci (npm cache in $npm_config_cache; log $STATE/npm-ci.log)"
    rm -f "$DEPS_MARK" "$BUILD_MARK"
    npm ci --prefer-offline >"$STATE/npm-ci.log" 2>&1 \
      || { tail -n 30 "$STATE/npm-ci.log" >&2; die "npm ci failed in web/ (log $STATE/npm-ci.log)"; }
    echo "$deps" > "$DEPS_MARK"
  fi
  if built; then
    log "web/dist is current"
    return 0
  fi
  log "npm run build (log $STATE/build.log)"
  rm -f "$BUILD_MARK"
  npm run build >"$STATE/build.log" 2>&1 \
    || { tail -n 40 "$STATE/build.log" >&2; die "npm run build failed in web/ (log $STATE/build.log)"; }
  [[ -f dist/h5/index.html ]] || die "npm run build wrote no web/dist/h5/index.html"
  sources_hash > "$BUILD_MARK"
  log "built web/dist ($(du -sh dist | cut -f1))"
}

status() {
  if ! buildable; then log "web/ not there yet (placeholder served)"; return 1; fi
  if built; then log "web/dist is built from the current sources"; else log "web/dist is missing or older than web/"; return 1; fi
}

case "${1:-}" in
  build) build ;; status) status ;;
  *) echo "usage: $0 build|status" >&2; exit 2 ;;
esac
