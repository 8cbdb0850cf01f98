#!/usr/bin/env python3
"""Checks that every PNG under the given folders decodes: chunk CRCs, the
zlib stream (inflate and its Adler-32) and the decoded size against IHDR.
A benchmark's speed means nothing if a frame is broken, so the bench scripts
run this on every output and stop on the first bad frame.

  scripts/pngcheck.py [--expect N] DIR...
      prints "N frames OK" or names the bad file; exit 1 on any, or when
      the folders do not hold exactly N frames (default: at least one)
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
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(idat)) + inflater.flush()
    except zlib.error as e:
        return f"image data does not inflate ({e})"
    if not inflater.eof:
        return "image data stops before the end of its zlib stream"
    if inflater.unused_data:
        return f"{len(inflater.unused_data)} bytes after the end of the zlib stream"
    row = 1 + (width * CHANNELS.get(colour, 4) * depth + 7) // 8
    if len(raw) != height * row:
        return f"image data is {len(raw)} bytes, {width}x{height} needs {height * row}"
    filters = raw[::row]
    if max(filters, default=0) > 4:
        return f"row {max(range(height), key=lambda y: filters[y])} has filter type {max(filters)}"
    return None


def main():
    args = sys.argv[1:]
    expect = None
    if args[:1] == ["--expect"] and len(args) >= 2 and args[1].isdigit():
        expect, args = int(args[1]), args[2:]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    count = 0
    for folder in args:
        for path in sorted(glob.glob(os.path.join(folder, "**", "*.png"), recursive=True)):
            problem = check(path)
            if problem:
                print(f"pngcheck: '{path}': {problem}", file=sys.stderr)
                sys.exit(1)
            count += 1
    if count == 0 or (expect is not None and count != expect):
        wanted = "at least one" if expect is None else str(expect)
        print(f"pngcheck: {', '.join(args)}: {count} frames, expected {wanted}", file=sys.stderr)
        sys.exit(1)
    print(f"{count} frames OK")


if __name__ == "__main__":
    main()
