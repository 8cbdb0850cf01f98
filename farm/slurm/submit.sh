#!/usr/bin/env bash
# Submits an emotion render to Slurm: the analysis as one job, then the render
# as a job array over chunks of frames that starts once the analysis succeeded.
#
#   farm/slurm/submit.sh --clip CLIP --out DIR --frames A-B [--look NAME]
#                        [--session S | --track T] [--chunk N] [--empathy PATH]
#                        [-- extra sbatch options, e.g. --partition=render]
#
# DIR must be on storage every node sees at the same path (frames are renamed
# into place there, so it must be one file system). The tasks' logs go to
# DIR/logs/. Prints the array's job id. Resubmitting the same command after a
# failure renders only what is missing: complete frames are skipped
# ('empathy sequence check DIR --frames A-B' lists them first).
set -euo pipefail

fail() { echo "submit: $*" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
empathy=empathy look=neon-noir chunk=100 clip= out= frames= session= track=
while [ $# -gt 0 ]; do
  case "$1" in
    --clip) clip="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --frames) frames="$2"; shift 2 ;;
    --look) look="$2"; shift 2 ;;
    --session) session="$2"; shift 2 ;;
    --track) track="$2"; shift 2 ;;
    --chunk) chunk="$2"; shift 2 ;;
    --empathy) empathy="$2"; shift 2 ;;
    --) shift; break ;;
    *) fail "unknown option '$1'; see the usage at the top of $0" ;;
  esac
done
[ -n "$clip" ] && [ -n "$out" ] && [ -n "$frames" ] || fail "give --clip, --out and --frames A-B"
[[ "$frames" =~ ^([0-9]+)-([0-9]+)$ ]] || fail "--frames must be A-B (e.g. 1-150000), got '$frames'"
start="${BASH_REMATCH[1]}" end="${BASH_REMATCH[2]}"
(( start >= 1 && end >= start )) || fail "--frames $frames: the first frame must be 1 or more and not after the last"
[[ "$chunk" =~ ^[0-9]+$ ]] && (( chunk >= 1 )) || fail "--chunk must be a whole number of frames, got '$chunk'"
[ -z "$session" ] || [ -z "$track" ] || fail "give --session (analyse with it) or --track (already analysed), not both"
command -v sbatch >/dev/null || fail "sbatch not found; is this a Slurm login node (or SLURM_CONF set)?"

abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
clip="$(abs "$clip")"; mkdir -p "$out/logs"; out="$(cd "$out" && pwd)"
export EMPATHY="$empathy" CLIP="$clip" LOOK="$look" OUT="$out" FRAME_START="$start" FRAME_END="$end" CHUNK="$chunk"
tasks=$(( (end - start) / chunk + 1 ))
dependency=()
if [ -n "$track" ]; then
  export TRACK="$(abs "$track")"
else
  export TRACK="$out/track.csv" SESSION="${session:+$(abs "$session")}"
  analysis=$(sbatch --parsable --job-name=empathy-analyze -o "$out/logs/analyze-%j.log" "$@" "$here/analyze.sbatch")
  dependency=(--dependency="afterok:$analysis")
fi
sbatch --parsable --job-name=empathy-render --array="1-$tasks" "${dependency[@]}" \
  -o "$out/logs/render-%A_%a.log" "$@" "$here/render-chunk.sbatch"
