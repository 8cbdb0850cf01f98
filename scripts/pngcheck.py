#!/usr/bin/env python3
"""Checks that every PNG under the given folders decodes: chunk CRCs, the
zlib stream (inflate and its Adler-32) and the decoded size against IHDR.
A benchmark's speed means nothing if a frame is broken, so the bench scripts
run this on every output and stop on the first bad frame.

  scripts/pngcheck.py DIR...     prints "N frames OK" or names the bad file; exit 1 on any
"""
import glob
import os
import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def check(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG signature"
    i, idat, header = 8, [], None
    while i < len(data):
        if i + 8 > len(data):
            return "truncated chunk header"
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if len(body) != n or i + 12 + n > len(data):
            return f"truncated {kind!r} chunk"
        crc = struct.unpack(">I", data[i + 8 + n:i + 12 + n])[0]
        if zlib.crc32(kind + body) != crc:
            return f"bad CRC in {kind!r} chunk"
        if kind == b"IHDR":
            header = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        i += 12 + n
    else:
        return "no IEND chunk"
    if header is None:
        return "no IHDR chunk"
    width, height, depth, colour = header
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        return f"image data does not inflate ({e})"
    expected = height * (1 + width * CHANNELS.get(colour, 4) * depth // 8)
    if len(raw) != expected:
        return f"image data is {len(raw)} bytes, {width}x{height} needs {expected}"
    return None


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    count = 0
    for folder in sys.argv[1:]:
        for path in sorted(glob.glob(os.path.join(folder, "**", "*.png"), recursive=True)):
            problem = check(path)
            if problem:
                print(f"pngcheck: '{path}': {problem}", file=sys.stderr)
                sys.exit(1)
            count += 1
    print(f"{count} frames OK")


if __name__ == "__main__":
    main()
