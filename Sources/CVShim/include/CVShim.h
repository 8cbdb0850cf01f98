// CVShim — the pure-C border between Swift and OpenCV.
//
// Why this exists: OpenCV's API is C++ (classes, templates, exceptions), which
// Swift cannot import safely; a C++ exception that unwinds through Swift
// frames aborts the process. This shim keeps OpenCV behind plain C types and
// catches every exception (cv::Exception, std::bad_alloc, anything) on its
// side, turning it into a status code plus a one-line message in a buffer the
// caller owns. It can go once Swift's C++ interoperability handles exceptions.
//
// Conventions: every symbol starts with `cvs_`. Functions return a status
// code (CVS_OK, CVS_END at the end of a stream, a negative CVS_ERR_* on
// failure) and, on failure, write a NUL-terminated message of at most
// `err_len - 1` bytes into `err` (which may be NULL when `err_len` is 0).
// Messages describe what went wrong without the path; the caller adds it.
//
// A source is used from one thread at a time.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes.
enum {
    CVS_OK = 0,
    /// A read found no further frame: the clip ended cleanly.
    CVS_END = 1,
    /// The source could not be opened (not a clip OpenCV can decode, no files
    /// matching a sequence pattern, no video stream, unknown length).
    CVS_ERR_OPEN = -1,
    /// Decoding failed part way: a frame the clip promised could not be read.
    CVS_ERR_DECODE = -2,
    /// A caller mistake: null pointer, buffer too small, index out of range.
    CVS_ERR_ARGUMENT = -3,
    /// Memory ran out (std::bad_alloc).
    CVS_ERR_NO_MEMORY = -4,
    /// Any other exception from OpenCV or the C++ runtime.
    CVS_ERR_INTERNAL = -5,
};

/// What a source reads from.
typedef enum {
    /// A video file, decoded by cv::VideoCapture's FFmpeg backend.
    CVS_KIND_VIDEO = 0,
    /// Numbered image files named by a printf pattern (`shot.%04d.png`).
    CVS_KIND_IMAGE_SEQUENCE = 1,
    /// One image file (cv::imread), read as a clip of one frame.
    CVS_KIND_STILL = 2,
    /// A V4L2 camera (cv::VideoCapture's V4L2 backend): no end, no seeking.
    CVS_KIND_CAMERA = 3,
} cvs_kind;

/// A clip's properties, fixed when the source opens.
typedef struct {
    cvs_kind kind;
    int32_t width;
    int32_t height;
    /// From the container for videos; 0 for sequences and stills (no rate).
    double frames_per_second;
    /// Frames the clip promises (container's count, or duration x rate when
    /// the container has no count). For sequences: last - first + 1.
    /// Cameras: -1 (no end).
    int64_t frame_count;
    /// Sequences: the number of the first file (e.g. 1001 for shot.1001.png).
    int64_t first_file_number;
} cvs_info;

typedef struct cvs_source cvs_source;

/// Whether `path` is an image sequence pattern: exactly one `%d` or `%0Nd`
/// conversion (and no other `%`). 1 when it is, 0 when not.
int cvs_is_sequence_pattern(const char *path);

/// Opens `path`: a printf pattern with one `%d`/`%0Nd` opens an image
/// sequence, a file with an image signature opens as a still, anything else
/// opens as a video. On success `*out` receives a handle to free with
/// cvs_close.
int cvs_open(const char *path, cvs_source **out, char *err, size_t err_len);

/// Opens the V4L2 camera `device` (`/dev/videoN`), asking for `width` x
/// `height` at `fps` (0 for each: the camera's current mode; the camera may
/// choose another, which `cvs_get_info` then reports), and reads one frame
/// to check that it delivers. A camera that delivers nothing for
/// `timeout_seconds` fails the read (OpenCV's V4L2 select() timeout, set
/// through OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT unless the environment sets it).
int cvs_open_camera(const char *device, int32_t width, int32_t height, double fps, int32_t timeout_seconds,
                    cvs_source **out, char *err, size_t err_len);

/// Copies the clip's properties into `*info`.
int cvs_get_info(const cvs_source *source, cvs_info *info, char *err, size_t err_len);

/// Decodes the next frame as RGBA8 (alpha 255), rows top-down, packed
/// (width * 4 bytes per row), straight into `rgba` (at least
/// width * height * 4 bytes). Returns CVS_END after the last frame.
/// `*frame_index` receives the 0-based index of the frame written.
int cvs_read_rgba(cvs_source *source, uint8_t *rgba, size_t rgba_len,
                  int64_t *frame_index, char *err, size_t err_len);

/// Positions the source so that the next read returns frame `index`
/// (0-based, 0 <= index <= frame_count; frame_count means "at the end").
/// Exact: the frame read after a seek is the one sequential reading gives.
/// Videos seek to the previous keyframe and decode forward; where the frame
/// landed on cannot be confirmed by its timestamp (MPEG-TS), the video is
/// decoded from the start instead.
int cvs_seek(cvs_source *source, int64_t index, char *err, size_t err_len);

/// The 0-based index of the frame the next read returns.
int64_t cvs_next_frame_index(const cvs_source *source);

/// Image sequences: the first 0-based frame index in first_index...last_index
/// whose file is absent, or -1 when every file is there (and for videos and
/// stills). Costs the files present before the gap, not the numbers' span.
int64_t cvs_first_missing(const cvs_source *source, int64_t first_index, int64_t last_index);

/// Image sequences: the file of 0-based frame `index` (whether or not it
/// exists) into `path`; 0 on success, -1 for videos and stills or when
/// `path_len` is too small.
int cvs_sequence_frame_path(const cvs_source *source, int64_t index, char *path, size_t path_len);

/// Releases the source. Accepts NULL. Never fails.
void cvs_close(cvs_source *source);

/// Encodes an RGBA8 image (rows top-down, 4 bytes per pixel, no padding) as
/// a JPEG of `quality` 1-100 (OpenCV's encoder: libjpeg-turbo on Debian).
/// On success `*out` holds `*out_len` bytes the caller frees with `cvs_free`.
int cvs_encode_jpeg(const uint8_t *rgba, int32_t width, int32_t height, int32_t quality,
                    uint8_t **out, size_t *out_len, char *err, size_t err_len);

/// A V4L2 video output device (a v4l2loopback device that OBS, VLC or a
/// browser then reads as a camera). Plain V4L2 ioctls, no OpenCV; it lives
/// here because this is the project's C surface for video devices.
typedef struct cvs_v4l2_output cvs_v4l2_output;

/// Opens `device` as a video output of `width` x `height` packed RGB24
/// frames. Fails with CVS_ERR_OPEN (and a message without the path) when
/// the device cannot be opened or is not a video output.
int cvs_v4l2_output_open(const char *device, int32_t width, int32_t height, cvs_v4l2_output **out,
                         char *err, size_t err_len);

/// Writes one RGBA8 frame (width * height * 4 bytes; rows bottom-up when
/// `bottom_up` is 1) as RGB24. A device with no room (no reader keeping up)
/// drops the frame and returns CVS_END; a failed write is CVS_ERR_DECODE.
int cvs_v4l2_output_write(cvs_v4l2_output *output, const uint8_t *rgba, int32_t bottom_up, char *err, size_t err_len);

/// Closes the device. Accepts NULL.
void cvs_v4l2_output_close(cvs_v4l2_output *output);

/// An H.264 MP4 being written (OpenCV's VideoWriter on its FFmpeg backend,
/// fourcc 'avc1': libx264 in Debian's libavcodec). For previews: any browser
/// or player shows it.
typedef struct cvs_movie_writer cvs_movie_writer;

/// Opens `path` for `width` x `height` frames at `fps`. Both sizes must be
/// even (H.264 in 4:2:0 halves the chroma; OpenCV would silently drop the
/// odd row or column), else CVS_ERR_ARGUMENT. CVS_ERR_OPEN when no H.264
/// encoder is available or the file cannot be created.
int cvs_movie_open(const char *path, int32_t width, int32_t height, double fps, cvs_movie_writer **out,
                   char *err, size_t err_len);

/// Appends one RGBA8 frame of the opened size (rows top-down).
int cvs_movie_write(cvs_movie_writer *movie, const uint8_t *rgba, char *err, size_t err_len);

/// Finishes the file (flushes the encoder, writes the index). Accepts NULL.
void cvs_movie_close(cvs_movie_writer *movie);

/// Frees memory the shim allocated for the caller.
void cvs_free(void *memory);

#ifdef __cplusplus
}
#endif
