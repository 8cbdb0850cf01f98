#!/usr/bin/env python3
"""What OpenTimelineIO reads from a marker export, as one JSON object.

    .venv-tools/bin/python scripts/review/read_markers.py FILE --rate R

FILE is an .otio (read with OpenTimelineIO's own JSON adapter) or a CMX 3600
.edl (read with the 'cmx_3600' adapter at rate R). The tests compare this
output with what they exported, so it is an independent reader: it uses only
the standard library and opentimelineio (installed by
scripts/install-test-tools.sh).

Output (stdout, one line):
  {"timeline": name, "global_start_frame": int or null,
   "clips": [{"name", "source_start_frame", "duration_frames",
              "source_start_tc", "media", "comments", "markers": [MARKER]}],
   "track_markers": [MARKER]}
  MARKER = {"name", "color", "start_frame", "duration_frames", "start_tc",
            "timeline_frame", "metadata"}

All frames are the time rescaled to R and rounded. A clip marker's
start_frame is as stored (the clip's source time); its timeline_frame is that
time transformed into the timeline's tracks (global_start_time not added). A
track marker's timeline_frame is its time transformed the same way. Timecodes
are HH:MM:SS:FF at rate R. "comments" are the EDL comment lines the cmx_3600
adapter keeps in metadata['cmx_3600']['comments'] ([] when none).

Any read error: one line on stderr naming FILE, exit 2.
"""

import argparse
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence

PROG = "read_markers"


def die(message):
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import opentimelineio as otio
except ImportError as error:
    die(f"cannot import opentimelineio ({error}); run scripts/install-test-tools.sh "
        "and use .venv-tools/bin/python")


def frames(rational_time, rate):
    return int(round(rational_time.rescaled_to(rate).value))


def timecode(rational_time, rate):
    return otio.opentime.to_timecode(rational_time.rescaled_to(rate), rate)


def plain(value):
    """OTIO metadata (AnyDictionary, AnyVector, RationalTime …) as plain JSON values."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, otio.opentime.RationalTime):
        return {"value": value.value, "rate": value.rate}
    if isinstance(value, otio.opentime.TimeRange):
        return {"start_time": plain(value.start_time), "duration": plain(value.duration)}
    if isinstance(value, otio.core.SerializableObject):
        return json.loads(otio.core.serialize_json_to_string(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [plain(v) for v in value]
    return str(value)


def marker_json(marker, item, timeline, rate):
    start = marker.marked_range.start_time
    return {
        "name": marker.name,
        "color": str(marker.color),
        "start_frame": frames(start, rate),
        "duration_frames": frames(marker.marked_range.duration, rate),
        "start_tc": timecode(start, rate),
        "timeline_frame": frames(item.transformed_time(start, timeline.tracks), rate),
        "metadata": plain(marker.metadata),
    }


def clip_json(clip, timeline, rate):
    source = clip.trimmed_range()
    reference = clip.media_reference
    media = reference.target_url if isinstance(reference, otio.schema.ExternalReference) else None
    cmx = clip.metadata.get("cmx_3600", {})
    comments = cmx.get("comments", []) if isinstance(cmx, Mapping) else []
    return {
        "name": clip.name,
        "source_start_frame": frames(source.start_time, rate),
        "duration_frames": frames(source.duration, rate),
        "source_start_tc": timecode(source.start_time, rate),
        "media": media,
        "comments": [str(c) for c in comments],
        "markers": [marker_json(m, clip, timeline, rate) for m in clip.markers],
    }


def read(path, rate):
    extension = os.path.splitext(path)[1].lower()
    if extension == ".otio":
        timeline = otio.adapters.read_from_file(path)
    elif extension == ".edl":
        timeline = otio.adapters.read_from_file(path, adapter_name="cmx_3600", rate=rate)
    else:
        raise ValueError(f"unknown extension {extension or '(none)'!r}; expected .otio or .edl")
    if not isinstance(timeline, otio.schema.Timeline):
        raise ValueError(f"holds a {type(timeline).__name__}, not a Timeline")
    start = timeline.global_start_time
    return {
        "timeline": timeline.name,
        "global_start_frame": None if start is None else frames(start, rate),
        "clips": [clip_json(c, timeline, rate) for c in timeline.find_clips()],
        "track_markers": [marker_json(m, track, timeline, rate)
                          for track in timeline.tracks for m in track.markers],
    }


def main():
    parser = argparse.ArgumentParser(
        prog=PROG, description="Print what OpenTimelineIO reads from an .otio or CMX 3600 .edl file.")
    parser.add_argument("file", help=".otio or .edl file")
    parser.add_argument("--rate", type=float, required=True, help="frame rate, e.g. 24")
    args = parser.parse_args()
    if not (math.isfinite(args.rate) and args.rate > 0):
        die(f"--rate must be a positive number, not {args.rate}")
    try:
        result = read(args.file, args.rate)
        text = json.dumps(result, allow_nan=False)
    except Exception as error:  # any failure to read is one line and exit 2
        message = " ".join(str(error).split()) or "(no message)"
        die(f"{args.file}: {type(error).__name__}: {message}")
    print(text)


if __name__ == "__main__":
    main()
