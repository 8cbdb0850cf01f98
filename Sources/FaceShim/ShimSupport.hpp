// Internal helpers shared by the FaceShim translation units: one-line error
// messages, the exception guard, and dlib's grey rule. Not part of the C
// surface (FaceShim.h).
#pragma once

#include "FaceShim.h"

#include <dlib/serialize.h>
#include <opencv2/core.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <cstring>
#include <new>

namespace faceshim {

inline void set_error(char *err, size_t err_len, const char *format, ...) {
    if (err == nullptr || err_len == 0) return;
    va_list args;
    va_start(args, format);
    std::vsnprintf(err, err_len, format, args);
    va_end(args);
    // One line: the caller prints it as-is.
    for (size_t i = 0; i < err_len && err[i] != 0; i++) {
        if (err[i] == '\n' || err[i] == '\r') err[i] = ' ';
    }
}

/// Runs `body`, turning every exception into a status code and a message.
template <typename Body>
int guarded(char *err, size_t err_len, const char *what, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        set_error(err, err_len, "out of memory while %s", what);
        return FS_ERR_NO_MEMORY;
    } catch (const dlib::serialization_error &e) {
        set_error(err, err_len, "%s: %s", what, e.what());
        return FS_ERR_FILE;
    } catch (const cv::Exception &e) {
        set_error(err, err_len, "OpenCV failed while %s: %s", what, e.what());
        return FS_ERR_INTERNAL;
    } catch (const std::exception &e) {
        set_error(err, err_len, "failed while %s: %s", what, e.what());
        return FS_ERR_INTERNAL;
    } catch (...) {
        set_error(err, err_len, "unknown failure while %s", what);
        return FS_ERR_INTERNAL;
    }
}

/// dlib's rgb -> grey rule (dlib/pixel.h assign_pixel): (R + G + B) / 3,
/// truncated.
inline void to_grey(const cv::Mat &rgba, cv::Mat &grey) {
    grey.create(rgba.rows, rgba.cols, CV_8UC1);
    for (int y = 0; y < rgba.rows; y++) {
        const uint8_t *src = rgba.ptr<uint8_t>(y);
        uint8_t *dst = grey.ptr<uint8_t>(y);
        for (int x = 0; x < rgba.cols; x++) {
            dst[x] = static_cast<uint8_t>(
                (static_cast<unsigned>(src[4 * x]) + src[4 * x + 1] + src[4 * x + 2]) / 3);
        }
    }
}

inline bool check_image(const uint8_t *rgba, int32_t width, int32_t height, size_t bytes_per_row,
                 char *err, size_t err_len) {
    if (rgba == nullptr || width <= 0 || height <= 0 ||
        bytes_per_row < static_cast<size_t>(width) * 4) {
        set_error(err, err_len, "bad image: %dx%d, %zu bytes per row", width, height,
                  bytes_per_row);
        return false;
    }
    return true;
}

/// Checks that a model file can be read and is not a folder: false, with
/// "cannot read WHAT: REASON" or "the WHAT is a folder; name the EXT file",
/// otherwise.
inline bool check_model_file(const char *path, const char *what, const char *extension, char *err,
                             size_t err_len) {
    struct stat st {};
    if (stat(path, &st) != 0) {
        set_error(err, err_len, "cannot read %s: %s", what, std::strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        set_error(err, err_len, "the %s is a folder; name the %s file", what, extension);
        return false;
    }
    return true;
}

}  // namespace faceshim
