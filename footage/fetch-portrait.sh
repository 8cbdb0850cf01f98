#!/bin/sh
# Prints the path of astronaut.png (NASA, public domain), fetched from
# Debian's python3-skimage package without installing it. The file is cached
# in ${XDG_CACHE_HOME:-~/.cache}/empathy/astronaut.png and checked against
# its known SHA-256 (python3-skimage 0.19.3, Debian bookworm).
set -eu

sha256=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
cache="${XDG_CACHE_HOME:-$HOME/.cache}/empathy"
png="$cache/astronaut.png"

if [ -f "$png" ] && echo "$sha256  $png" | sha256sum -c --status; then
    echo "$png"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download runs as the unprivileged _apt user where it can; let it
# write into the folder.
chmod 0777 "$work"
(cd "$work" && apt-get download -q python3-skimage >&2) || {
    echo "cannot download python3-skimage with apt-get; run 'apt-get update' and retry" >&2
    exit 1
}
dpkg-deb -x "$work"/python3-skimage_*.deb "$work/x"
found=$(find "$work/x" -name astronaut.png -path '*skimage/data/*' | head -n 1)
if [ -z "$found" ]; then
    echo "astronaut.png not found in python3-skimage; the package layout changed" >&2
    exit 1
fi
if ! echo "$sha256  $found" | sha256sum -c --status; then
    echo "warning: astronaut.png differs from the known version (sha256 $sha256); the clips will differ too" >&2
fi
mkdir -p "$cache"
cp "$found" "$png.tmp"
mv "$png.tmp" "$png"
echo "$png"
