#!/usr/bin/env bash
# The Debian packages the test suite needs beyond PyPI: Emacs with eglot, for the Emacs client's
# tests; the Go and Rust standard libraries' sources, real code the property test of the
# target stage selects in; and the Go toolchain, which Write tests runs Go tests with. Installs them when this user can (root, or sudo without a password);
# otherwise stops at once with the one command to run.
set -euo pipefail
packages=(emacs-nox elpa-eglot golang-go golang-1.19-src rust-src)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "make test needs ${missing[*]}: run  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} (the editor and property tests need them)…" >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
