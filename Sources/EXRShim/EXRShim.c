// EXRShim — OpenEXR half-float RGBA frames through OpenEXRCore (see EXRShim.h
// for why the shim exists and its conventions).
#define _POSIX_C_SOURCE 200809L  // pwrite, lstat, O_CLOEXEC under -std=c11

#include "EXRShim.h"

#include <OpenEXR/openexr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const ex_chromaticities ex_chromaticities_rec709 = {
    0.64f, 0.33f, 0.30f, 0.60f, 0.15f, 0.06f, 0.3127f, 0.3290f,
};

// MARK: Errors

__attribute__((format(printf, 3, 4)))
static void set_error(char *err, size_t err_len, const char *format, ...) {
    if (err == NULL || err_len == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(err, err_len, format, args);
    va_end(args);
    // One line: the caller prints it as-is.
    for (size_t i = 0; i < err_len && err[i] != 0; i++) {
        if (err[i] == '\n' || err[i] == '\r') err[i] = ' ';
    }
}

// OpenEXRCore reports details through a callback (stderr by default) and
// returns only a code. The callback keeps the latest message for this thread
// so the failing call can quote it; contexts are per call, so a thread-local
// slot is enough.
static _Thread_local char last_library_message[256];

static void capture_library_message(exr_const_context_t ctxt, exr_result_t code, const char *msg) {
    (void)ctxt;
    snprintf(last_library_message, sizeof last_library_message, "%s",
             msg != NULL ? msg : exr_get_default_error_message(code));
}

static exr_context_initializer_t make_initializer(int flags) {
    exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
    init.error_handler_fn = capture_library_message;
    init.flags = flags;
    return init;
}

static int status_for(exr_result_t rv) {
    switch (rv) {
    case EXR_ERR_OUT_OF_MEMORY: return EX_ERR_NO_MEMORY;
    case EXR_ERR_FILE_ACCESS:
    case EXR_ERR_FILE_BAD_HEADER:
    case EXR_ERR_READ_IO:
    case EXR_ERR_WRITE_IO:
    case EXR_ERR_MISSING_REQ_ATTR:
    case EXR_ERR_INVALID_ATTR:
    case EXR_ERR_BAD_CHUNK_LEADER:
    case EXR_ERR_CORRUPT_CHUNK:
    case EXR_ERR_INCORRECT_PART:
    case EXR_ERR_INCORRECT_CHUNK: return EX_ERR_FILE;
    default: return EX_ERR_INTERNAL;
    }
}

/// Reports a failed OpenEXRCore call: "<what>: <library message>".
static int library_error(exr_result_t rv, const char *what, char *err, size_t err_len) {
    const char *detail = last_library_message[0] != 0 ? last_library_message
                                                      : exr_get_default_error_message(rv);
    set_error(err, err_len, "%s: %s", what, detail);
    return status_for(rv);
}

// MARK: Writing

enum { kPixelBytes = 8 };  // R, G, B, A halves
enum { kZipLevel = 4 };

// The shim opens the file itself and hands OpenEXRCore a write callback.
// OpenEXRCore's own file mode (EXR_WRITE_FILE_DIRECTLY) unlinks the path on
// any failure, whatever it names: a device such as /dev/full, or a symlink.
// Here only a regular file this call created or truncated is removed.
typedef struct {
    int fd;
    int saved_errno;  // the first write error, for the message
} output_stream;

static int64_t write_stream(exr_const_context_t ctxt, void *userdata, const void *buffer,
                            uint64_t size, uint64_t offset, exr_stream_error_func_ptr_t error_cb) {
    (void)ctxt;
    (void)error_cb;
    output_stream *out = userdata;
    const uint8_t *bytes = buffer;
    uint64_t done = 0;
    while (done < size) {
        const uint64_t left = size - done;
        const size_t step = left > (uint64_t)(1u << 30) ? (size_t)(1u << 30) : (size_t)left;
        const ssize_t n = pwrite(out->fd, bytes + done, step, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (out->saved_errno == 0) out->saved_errno = n < 0 ? errno : EIO;
            return -1;
        }
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

/// Whether `path` names the regular file open as `fd` (not a device, not
/// reached through a symlink, not replaced meanwhile): only then may a failed
/// write remove it.
static int names_open_regular_file(const char *path, int fd) {
    struct stat opened, named;
    if (fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) return 0;
    if (lstat(path, &named) != 0 || !S_ISREG(named.st_mode)) return 0;
    return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

int ex_write_rgba_half(const char *path, int32_t width, int32_t height, const uint16_t *rgba,
                       size_t bytes_per_row, int rows_bottom_up, const ex_chromaticities *chroma,
                       char *err, size_t err_len) {
    if (path == NULL || path[0] == 0 || rgba == NULL) {
        set_error(err, err_len, "bad arguments to ex_write_rgba_half");
        return EX_ERR_ARGUMENT;
    }
    if (width <= 0 || height <= 0) {
        set_error(err, err_len, "bad image size %dx%d", (int)width, (int)height);
        return EX_ERR_ARGUMENT;
    }
    if (bytes_per_row < (size_t)width * kPixelBytes || bytes_per_row > INT32_MAX ||
        bytes_per_row % 2 != 0) {
        set_error(err, err_len, "bad row length %zu bytes for %d RGBA half pixels",
                  bytes_per_row, (int)width);
        return EX_ERR_ARGUMENT;
    }
    const ex_chromaticities *c = chroma != NULL ? chroma : &ex_chromaticities_rec709;
    last_library_message[0] = 0;

    output_stream stream = {open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 0};
    if (stream.fd < 0) {
        set_error(err, err_len, "cannot create the file (%s)", strerror(errno));
        return EX_ERR_FILE;
    }
    exr_context_initializer_t init = make_initializer(0);
    init.user_data = &stream;
    init.write_fn = write_stream;
    exr_context_t ctxt = NULL;
    exr_result_t rv = exr_start_write(&ctxt, path, EXR_WRITE_FILE_DIRECTLY, &init);
    if (rv != EXR_ERR_SUCCESS) {
        int status = library_error(rv, "cannot start the file", err, err_len);
        if (ctxt != NULL) exr_finish(&ctxt);
        if (names_open_regular_file(path, stream.fd)) (void)unlink(path);
        close(stream.fd);
        return status;
    }

    int status = EX_OK;
    const char *stage = "setting up the header";
    exr_encode_pipeline_t encoder = EXR_ENCODE_PIPELINE_INITIALIZER;
    int encoder_ready = 0;
    uint8_t *flipped = NULL;  // one chunk's rows, top-down, for bottom-up input
    int part = 0;

    rv = exr_add_part(ctxt, NULL, EXR_STORAGE_SCANLINE, &part);
    // ZIP (16 scanlines a chunk, zlib): OpenEXR's default compression, and
    // the usual one for finished frames that readers decode whole; ZIPS (one
    // scanline a chunk) suits scanline-at-a-time readers but compresses less
    // and writes 16 times as many chunks. zlib level 4, the C++ library's
    // default since OpenEXR 3.1.3 (OpenEXRCore 3.1 still uses zlib's 6): at
    // 1920x1080 it writes 2.5-2.8 times as fast as 6 for files 2-8 % bigger.
    // The level is not stored in the file; every ZIP reader decodes it.
    if (rv == EXR_ERR_SUCCESS)
        rv = exr_initialize_required_attr_simple(ctxt, part, width, height, EXR_COMPRESSION_ZIP);
    if (rv == EXR_ERR_SUCCESS) rv = exr_set_zip_compression_level(ctxt, part, kZipLevel);
    // Names in file order (OpenEXR sorts channels): A, B, G, R.
    static const char *const names[4] = {"A", "B", "G", "R"};
    static const int offsets[4] = {6, 4, 2, 0};  // their halves' byte offsets in an RGBA pixel
    for (int i = 0; i < 4 && rv == EXR_ERR_SUCCESS; i++) {
        rv = exr_add_channel(ctxt, part, names[i], EXR_PIXEL_HALF, EXR_PERCEPTUALLY_LOGARITHMIC,
                             1, 1);
    }
    if (rv == EXR_ERR_SUCCESS) {
        const exr_attr_chromaticities_t attr = {
            c->red_x, c->red_y, c->green_x, c->green_y,
            c->blue_x, c->blue_y, c->white_x, c->white_y,
        };
        rv = exr_attr_set_chromaticities(ctxt, part, "chromaticities", &attr);
    }
    if (rv == EXR_ERR_SUCCESS) {
        stage = "writing the header";
        rv = exr_write_header(ctxt);
    }

    int32_t lines_per_chunk = 0;
    if (rv == EXR_ERR_SUCCESS) rv = exr_get_scanlines_per_chunk(ctxt, part, &lines_per_chunk);
    if (rv == EXR_ERR_SUCCESS && lines_per_chunk <= 0) rv = EXR_ERR_UNKNOWN;
    if (rv == EXR_ERR_SUCCESS && rows_bottom_up) {
        flipped = malloc((size_t)width * kPixelBytes * (size_t)lines_per_chunk);
        if (flipped == NULL) rv = EXR_ERR_OUT_OF_MEMORY;
    }

    const uint8_t *base = (const uint8_t *)rgba;
    for (int32_t y = 0; y < height && rv == EXR_ERR_SUCCESS; y += lines_per_chunk) {
        stage = "encoding the pixels";
        exr_chunk_info_t cinfo;
        rv = exr_write_scanline_chunk_info(ctxt, part, y, &cinfo);
        if (rv != EXR_ERR_SUCCESS) break;
        rv = encoder_ready ? exr_encoding_update(ctxt, part, &cinfo, &encoder)
                           : exr_encoding_initialize(ctxt, part, &cinfo, &encoder);
        if (rv != EXR_ERR_SUCCESS) break;

        // The chunk's first row (picture row y) and the step between rows.
        const uint8_t *rows;
        size_t row_step;
        if (!rows_bottom_up) {
            rows = base + (size_t)y * bytes_per_row;
            row_step = bytes_per_row;
        } else {
            const size_t packed = (size_t)width * kPixelBytes;
            for (int32_t line = 0; line < cinfo.height; line++) {
                const size_t source_row = (size_t)(height - 1 - (y + line));
                memcpy(flipped + (size_t)line * packed, base + source_row * bytes_per_row, packed);
            }
            rows = flipped;
            row_step = packed;
        }
        for (int i = 0; i < encoder.channel_count; i++) {
            exr_coding_channel_info_t *channel = &encoder.channels[i];
            int slot = -1;
            for (int k = 0; k < 4; k++) {
                if (strcmp(channel->channel_name, names[k]) == 0) slot = k;
            }
            if (slot < 0) {
                rv = EXR_ERR_UNKNOWN;
                break;
            }
            channel->user_bytes_per_element = 2;
            channel->user_data_type = EXR_PIXEL_HALF;
            channel->user_pixel_stride = kPixelBytes;
            channel->user_line_stride = (int32_t)row_step;
            channel->encode_from_ptr = rows + offsets[slot];
        }
        if (rv != EXR_ERR_SUCCESS) break;
        if (!encoder_ready) {
            rv = exr_encoding_choose_default_routines(ctxt, part, &encoder);
            if (rv != EXR_ERR_SUCCESS) break;
            encoder_ready = 1;
        }
        rv = exr_encoding_run(ctxt, part, &encoder);
    }

    if (encoder_ready || encoder.channels != NULL) exr_encoding_destroy(ctxt, &encoder);
    free(flipped);
    if (rv != EXR_ERR_SUCCESS) {
        char what[64];
        snprintf(what, sizeof what, "failed while %s", stage);
        status = library_error(rv, what, err, err_len);
    }
    // Writes the chunk offset table.
    exr_result_t finished = exr_finish(&ctxt);
    if (status == EX_OK && finished != EXR_ERR_SUCCESS) {
        status = library_error(finished, "failed while finishing the file", err, err_len);
    }
    if (status != EX_OK && stream.saved_errno != 0) {
        // The system's reason says more than OpenEXRCore's byte counts.
        set_error(err, err_len, "cannot write the file (%s)", strerror(stream.saved_errno));
        status = EX_ERR_FILE;
    }
    const int removable = names_open_regular_file(path, stream.fd);
    if (close(stream.fd) != 0 && status == EX_OK) {
        set_error(err, err_len, "cannot write the file (%s)", strerror(errno));
        status = EX_ERR_FILE;
    }
    // A failed write leaves nothing behind that could pass for a frame.
    if (status != EX_OK && removable) (void)unlink(path);
    return status;
}

// MARK: Checking

/// Decodes one chunk into scratch memory: proves its compressed data is whole.
static exr_result_t decode_chunk(exr_context_t ctxt, int part, const exr_chunk_info_t *cinfo) {
    exr_decode_pipeline_t decoder = EXR_DECODE_PIPELINE_INITIALIZER;
    exr_result_t rv = exr_decoding_initialize(ctxt, part, cinfo, &decoder);
    uint8_t *scratch = NULL;
    if (rv == EXR_ERR_SUCCESS) {
        size_t total = 0;
        for (int i = 0; i < decoder.channel_count; i++) {
            const exr_coding_channel_info_t *ch = &decoder.channels[i];
            total += (size_t)ch->width * (size_t)ch->height * (size_t)ch->bytes_per_element;
        }
        scratch = malloc(total > 0 ? total : 1);
        if (scratch == NULL) rv = EXR_ERR_OUT_OF_MEMORY;
    }
    if (rv == EXR_ERR_SUCCESS) {
        size_t at = 0;
        for (int i = 0; i < decoder.channel_count; i++) {
            exr_coding_channel_info_t *ch = &decoder.channels[i];
            ch->user_bytes_per_element = ch->bytes_per_element;
            ch->user_data_type = ch->data_type;
            ch->user_pixel_stride = ch->bytes_per_element;
            ch->user_line_stride = ch->width * ch->bytes_per_element;
            ch->decode_to_ptr = ch->width > 0 && ch->height > 0 ? scratch + at : NULL;
            at += (size_t)ch->width * (size_t)ch->height * (size_t)ch->bytes_per_element;
        }
        rv = exr_decoding_choose_default_routines(ctxt, part, &decoder);
    }
    if (rv == EXR_ERR_SUCCESS) rv = exr_decoding_run(ctxt, part, &decoder);
    exr_decoding_destroy(ctxt, &decoder);
    free(scratch);
    return rv;
}

int ex_is_complete(const char *path, int32_t *width, int32_t *height, char *err, size_t err_len) {
    if (width != NULL) *width = 0;
    if (height != NULL) *height = 0;
    if (path == NULL || path[0] == 0) {
        set_error(err, err_len, "bad arguments to ex_is_complete");
        return EX_ERR_ARGUMENT;
    }
    struct stat info;
    if (stat(path, &info) != 0) {
        set_error(err, err_len, "cannot read the file (%s)", strerror(errno));
        return EX_ERR_FILE;
    }
    if (!S_ISREG(info.st_mode)) {
        set_error(err, err_len, "not a regular file");
        return EX_ERR_FILE;
    }
    const uint64_t file_size = (uint64_t)info.st_size;
    last_library_message[0] = 0;

    // Without reconstruction, a damaged offset table is an error rather
    // than something OpenEXRCore repairs by scanning the chunks.
    exr_context_initializer_t init = make_initializer(EXR_CONTEXT_FLAG_DISABLE_CHUNK_RECONSTRUCTION);
    exr_context_t ctxt = NULL;
    exr_result_t rv = exr_start_read(&ctxt, path, &init);
    if (rv != EXR_ERR_SUCCESS) {
        int status = library_error(rv, "not a readable OpenEXR file", err, err_len);
        if (ctxt != NULL) exr_finish(&ctxt);
        return status == EX_ERR_NO_MEMORY ? status : EX_ERR_FILE;
    }

    int status = EX_OK;
    int parts = 0;
    exr_attr_box2i_t first_window;
    memset(&first_window, 0, sizeof first_window);
    rv = exr_get_count(ctxt, &parts);
    if (rv != EXR_ERR_SUCCESS || parts <= 0) {
        status = rv != EXR_ERR_SUCCESS ? library_error(rv, "cannot count the parts", err, err_len)
                                       : EX_ERR_FILE;
        if (rv == EXR_ERR_SUCCESS) set_error(err, err_len, "the file has no parts");
    }
    for (int part = 0; part < parts && status == EX_OK; part++) {
        exr_storage_t storage;
        exr_attr_box2i_t window;
        memset(&window, 0, sizeof window);
        int32_t chunks = 0, lines_per_chunk = 0;
        rv = exr_get_storage(ctxt, part, &storage);
        if (rv == EXR_ERR_SUCCESS && storage != EXR_STORAGE_SCANLINE) {
            set_error(err, err_len, "part %d is not a flat scanline image (tiled or deep)", part);
            status = EX_ERR_FILE;
            break;
        }
        if (rv == EXR_ERR_SUCCESS) rv = exr_get_data_window(ctxt, part, &window);
        if (rv == EXR_ERR_SUCCESS) rv = exr_get_chunk_count(ctxt, part, &chunks);
        if (rv == EXR_ERR_SUCCESS) rv = exr_get_scanlines_per_chunk(ctxt, part, &lines_per_chunk);
        if (rv != EXR_ERR_SUCCESS) {
            library_error(rv, "cannot read the header", err, err_len);
            status = rv == EXR_ERR_OUT_OF_MEMORY ? EX_ERR_NO_MEMORY : EX_ERR_FILE;
            break;
        }
        if (part == 0) first_window = window;
        const int64_t lines = (int64_t)window.max.y - window.min.y + 1;
        if (lines <= 0 || lines_per_chunk <= 0 || chunks <= 0 ||
            (lines + lines_per_chunk - 1) / lines_per_chunk != chunks) {
            set_error(err, err_len, "part %d has an inconsistent data window or chunk count", part);
            status = EX_ERR_FILE;
            break;
        }
        exr_chunk_info_t last = {0};
        uint64_t last_end = 0;
        for (int32_t index = 0; index < chunks; index++) {
            const int y = (int)(window.min.y + (int64_t)index * lines_per_chunk);
            exr_chunk_info_t cinfo;
            rv = exr_read_scanline_chunk_info(ctxt, part, y, &cinfo);
            if (rv != EXR_ERR_SUCCESS) {
                char what[96];
                snprintf(what, sizeof what, "incomplete at chunk %d of %d (scanline %d)",
                         (int)index + 1, (int)chunks, y);
                library_error(rv, what, err, err_len);
                status = rv == EXR_ERR_OUT_OF_MEMORY ? EX_ERR_NO_MEMORY : EX_ERR_FILE;
                break;
            }
            const uint64_t end = cinfo.data_offset + cinfo.packed_size;
            if (cinfo.start_y != y || cinfo.data_offset == 0 || cinfo.packed_size == 0 ||
                end < cinfo.data_offset || end > file_size) {
                set_error(err, err_len,
                          "incomplete at chunk %d of %d (scanline %d): it ends at byte %llu of %llu",
                          (int)index + 1, (int)chunks, y, (unsigned long long)end,
                          (unsigned long long)file_size);
                status = EX_ERR_FILE;
                break;
            }
            if (end > last_end) {
                last_end = end;
                last = cinfo;
            }
        }
        if (status != EX_OK) break;
        rv = decode_chunk(ctxt, part, &last);
        if (rv != EXR_ERR_SUCCESS) {
            library_error(rv, "damaged: the last chunk does not decode", err, err_len);
            status = rv == EXR_ERR_OUT_OF_MEMORY ? EX_ERR_NO_MEMORY : EX_ERR_FILE;
        }
    }
    exr_finish(&ctxt);
    if (status == EX_OK) {
        if (width != NULL) *width = first_window.max.x - first_window.min.x + 1;
        if (height != NULL) *height = first_window.max.y - first_window.min.y + 1;
    }
    return status;
}
