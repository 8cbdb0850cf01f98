// EXRShim — the pure-C border between Swift and OpenEXRCore (OpenEXR 3's C
// library, libOpenEXRCore-3_1), for writing frames as OpenEXR half-float RGBA.
//
// Why this exists: OpenEXRCore is already C, but its write path is a
// multi-step protocol (context, part, required attributes, channels, header,
// then one encode pipeline per chunk whose channel slots are filled by name,
// then a finish that writes the offset table) with library-owned buffers and
// an error callback that prints to stderr unless replaced. The shim runs that
// protocol in one call, turns every failure into a status code plus a one-line
// message, and keeps the library's headers (which need the OpenEXR include
// directory) and its C++ siblings (pkg-config's OpenEXR also links Iex,
// IlmThread, Imath and the C++ OpenEXR library) out of the Swift targets: only
// libOpenEXRCore-3_1 and zlib are linked. It can go if Swift calls
// OpenEXRCore directly, at the cost of re-creating this protocol in Swift.
//
// Conventions: every symbol starts with `ex_`. Functions return EX_OK or a
// negative EX_ERR_* and, on failure, write a NUL-terminated message of at
// most `err_len - 1` bytes into `err` (NULL allowed when `err_len` is 0).
// Messages describe what went wrong without the path; the caller adds it.
// Nothing is printed to stderr. OpenEXRCore is C: there are no exceptions to
// catch, and the shim checks every argument before the library sees it.
//
// Images are interleaved RGBA IEEE 754 binary16 ("half") values, 8 bytes a
// pixel, `bytes_per_row` apart; they are read in place, never copied whole.
// Values are stored bit for bit: negative values, values above 1, infinities
// and NaNs are written as given.
//
// Functions may be called from several threads at once on distinct files.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    EX_OK = 0,
    /// A file could not be written or read, or is not a complete OpenEXR
    /// image (truncated, offset table missing, chunk damaged).
    EX_ERR_FILE = -1,
    /// A caller mistake: null pointer, bad size, buffer too small.
    EX_ERR_ARGUMENT = -3,
    /// Memory ran out.
    EX_ERR_NO_MEMORY = -4,
    /// Any other failure inside OpenEXRCore.
    EX_ERR_INTERNAL = -5,
};

/// CIE 1931 xy chromaticities of the RGB primaries and the white point, as
/// the OpenEXR `chromaticities` attribute stores them.
typedef struct {
    float red_x, red_y;
    float green_x, green_y;
    float blue_x, blue_y;
    float white_x, white_y;
} ex_chromaticities;

/// Rec. ITU-R BT.709 (= sRGB) primaries with a D65 white: red 0.64 0.33,
/// green 0.30 0.60, blue 0.15 0.06, white 0.3127 0.3290. What
/// ex_write_rgba_half writes when `chroma` is NULL (and OpenEXR's own
/// default for files without the attribute).
extern const ex_chromaticities ex_chromaticities_rec709;

/// Writes a single-part scanline OpenEXR file at `path` (created or
/// truncated; written in place, so the caller writes to a temporary name and
/// renames). The file has:
///   - channels A, B, G, R, all HALF (OpenEXR stores channels sorted by name;
///     readers map them back to RGBA);
///   - ZIP compression (zlib, 16 scanlines a chunk: OpenEXR's default and
///     the usual choice for finished frames that are read whole), at zlib
///     level 4 (the C++ library's default since 3.1.3; about 0.2-0.4 s for a
///     1920x1080 frame on one core);
///   - data and display windows (0, 0) - (width - 1, height - 1), pixel
///     aspect ratio 1, line order increasing Y;
///   - a `chromaticities` attribute from `chroma`, or Rec. 709 / D65
///     (ex_chromaticities_rec709) when `chroma` is NULL.
/// `rgba` holds `height` rows of `width` pixels (R, G, B, A halves),
/// `bytes_per_row` apart (at least width * 8). Rows are top-down (the first
/// row is the picture's top) unless `rows_bottom_up` is non-zero, in which
/// case the first row is the picture's bottom (OpenGL's glReadPixels order);
/// the file is top-down either way. The file is created with mode 0644
/// (before umask). On failure, `path` is removed when it is the regular file
/// this call created or truncated (never a device or a symlink).
int ex_write_rgba_half(const char *path, int32_t width, int32_t height, const uint16_t *rgba,
                       size_t bytes_per_row, int rows_bottom_up, const ex_chromaticities *chroma,
                       char *err, size_t err_len);

/// Whether `path` is a complete OpenEXR scanline image: it opens with
/// OpenEXRCore (header parsed, no chunk-table reconstruction), every entry
/// of every part's chunk offset table points at a chunk whose leader matches
/// its position and whose data lies inside the file, and the chunk that ends
/// last in the file decodes. A truncated file, or one whose writer stopped
/// before the offset table was written, fails with EX_ERR_FILE. Tiled and
/// deep files are not checked and fail with EX_ERR_FILE. On EX_OK, `*width`
/// and `*height` receive the first part's data-window size (either pointer
/// may be NULL); on failure they are set to 0. Reads the header, the offset
/// table, one leader per chunk and the last chunk: about a millisecond for a
/// 1920x1080 frame.
int ex_is_complete(const char *path, int32_t *width, int32_t *height, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
