#!/usr/bin/env bash
# Installs the Python tools the tests run into .venv-tools/: OpenTimelineIO,
# the independent reader of the marker export (scripts/review/read_markers.py),
# and the Open Job Description CLI and model, which check and run the farm
# bundle. This is the only place they are downloaded; nothing downloads at
# run time, and nothing of them ships with the engine.
#
#   1. a fresh venv .venv-tools/ is made with $PYTHON (default /usr/bin/python3)
#   2. pip installs the pinned wheels of scripts/test-tools-requirements.txt
#      (--require-hashes, --no-deps, --only-binary=:all:)
#   3. the venv must import opentimelineio and list the 'cmx_3600' adapter,
#      and `openjd --version` must run
#
# Idempotent: does nothing (no pip, no network) when .venv-tools/.stamp holds
# the sha256 of the requirements file. A venv without that stamp (half made,
# or built from other pins) is removed and made again. Every failure is one
# line on stderr and a non-zero exit, and leaves no venv behind.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${PYTHON:-/usr/bin/python3}"
REQUIREMENTS=scripts/test-tools-requirements.txt
READER=scripts/review/read_markers.py
VENV=.venv-tools
VPY="$VENV/bin/python"
STAMP="$VENV/.stamp"

fail() { echo "install-test-tools: $*" >&2; exit 1; }
# shellcheck source=scripts/lib/pip-errors.sh
. scripts/lib/pip-errors.sh
sha256() { sha256sum "$1" | cut -d' ' -f1; }

for f in "$REQUIREMENTS" "$READER"; do
  [ -f "$f" ] || fail "$f is missing; restore it from git (git checkout -- $f)"
done
grep -q '^opentimelineio==[^ ]* --hash=sha256:[0-9a-f]\{64\}' "$REQUIREMENTS" \
  && grep -q '^otio-cmx3600-adapter==[^ ]* --hash=sha256:[0-9a-f]\{64\}' "$REQUIREMENTS" \
  && grep -q '^openjd-cli==[^ ]* --hash=sha256:[0-9a-f]\{64\}' "$REQUIREMENTS" \
  || fail "$REQUIREMENTS does not pin opentimelineio, otio-cmx3600-adapter and openjd-cli with --hash=sha256:…; pin them again"

expected_stamp="$(sha256 "$REQUIREMENTS")"
if [ -x "$VPY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$expected_stamp" ]; then
  exit 0
fi

command -v "$PY" >/dev/null 2>&1 || fail "$PY not found; run scripts/install-deps.sh (make deps)"
"$PY" -c 'import venv, ensurepip' 2>/dev/null \
  || fail "$PY cannot import venv and ensurepip; install python3-venv (apt-get install python3-venv)"

# From here on a failure removes the venv, so the next run starts again.
rm -rf "$VENV"
done_ok=
tmp="$(mktemp -d "${TMPDIR:-/tmp}/install-test-tools.XXXXXX")"
trap 'rm -rf "$tmp"; [ -n "$done_ok" ] || rm -rf "$VENV"' EXIT
log="$tmp/log"
# The last non-empty line of a step's log, for a one-line message.
last_line() { log_last_line "$log"; }

# 1. The venv.
"$PY" -m venv "$VENV" >"$log" 2>&1 \
  || fail "cannot make the venv $VENV with $PY: $(last_line); install python3-venv (apt-get install python3-venv)"
[ -x "$VPY" ] || fail "$PY -m venv made no $VPY; install python3-venv (apt-get install python3-venv)"

# 2. The pinned wheels.
echo "install-test-tools: installing $(grep -o '^[a-z0-9-]*==[^ ]*' "$REQUIREMENTS" | tr '\n' ' ')from PyPI into $VENV" >&2
if ! "$VPY" -m pip install --no-deps --only-binary=:all: --require-hashes \
      --disable-pip-version-check --no-input --retries 2 --timeout 20 -q \
      -r "$REQUIREMENTS" >"$log" 2>&1; then
  if got="$(pip_hash_mismatch "$log")"; then
    what="$(grep -m1 -o '^ *[A-Za-z0-9_.-]*==[^ ]* from' "$log" | sed 's/^ *//; s/ from$//' || true)"
    fail "the wheel ${what:+of $what }on PyPI has sha256 $got, not the one pinned in $REQUIREMENTS; do not use it until the new wheel has been checked"
  fi
  why="$(pip_failure "$log")"
  fail "cannot install $REQUIREMENTS into $VENV: $why; run scripts/install-test-tools.sh once with network access"
fi

# 3. The check: the library imports and the EDL adapter is registered.
"$VPY" -m pip check --disable-pip-version-check >"$log" 2>&1 \
  || fail "pip check in $VENV failed: $(last_line); check the pins in $REQUIREMENTS"
"$VPY" - >"$log" 2>&1 <<'EOF' \
  || fail "OpenTimelineIO in $VENV is not usable: $(last_line); check the pins in $REQUIREMENTS"
import sys
import opentimelineio as otio
names = otio.adapters.available_adapter_names()
if "cmx_3600" not in names:
    sys.exit(f"no 'cmx_3600' adapter among {names} (otio-cmx3600-adapter not registered)")
print(f"opentimelineio {otio.__version__}, adapters {names}")
EOF
summary="$(last_line)"
"$VENV/bin/openjd" --version >"$log" 2>&1 \
  || fail "the openjd CLI in $VENV does not run: $(last_line); check the pins in $REQUIREMENTS"
summary="$summary, $(last_line)"

echo "$expected_stamp" >"$STAMP"
done_ok=1
echo "install-test-tools: $VENV ready: $summary" >&2
