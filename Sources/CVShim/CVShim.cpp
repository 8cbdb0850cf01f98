// CVShim — OpenCV video/image input behind a pure-C header (see CVShim.h for
// why the shim exists and its conventions).
//
// Videos: cv::VideoCapture with the FFmpeg backend; the BGR frame OpenCV
// hands back is converted to RGBA straight into the caller's buffer (a
// cv::Mat wrapping it, no extra copy).
// Image sequences: the folder is listed once to find the first and last file
// matching the pattern, then each frame is decoded with cv::imread. (OpenCV's
// own sequence reader only starts at file 0 or 1 and silently stops at the
// first gap; editors' sequences often start at 1001, and a missing frame in
// the middle must be an error, not a short clip.)
// Stills: cv::imread once; the clip has one frame.
#include "CVShim.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <memory>
#include <vector>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>

struct cvs_source {
    cvs_info info{};
    int64_t next_index = 0;

    // Video
    std::string path;
    cv::VideoCapture capture;
    cv::Mat bgr;  // reused decode buffer
    /// Frames the decoder has grabbed since the start: the index of the
    /// frame the next grab() returns.
    int64_t grabbed = 0;
    /// A seek grabbed frame `next_index` to check where it landed; the next
    /// read retrieves it instead of grabbing.
    bool pending = false;

    // Image sequence: printf pattern, and the file numbers present, sorted.
    std::string pattern;
    std::vector<int64_t> numbers;

    // Still
    cv::Mat still_bgr;
};

namespace {

void set_error(char *err, size_t err_len, const char *format, ...) {
    if (err == nullptr || err_len == 0) return;
    va_list args;
    va_start(args, format);
    std::vsnprintf(err, err_len, format, args);
    va_end(args);
}

/// `text` with line breaks turned into spaces: messages are one line.
std::string one_line(std::string text) {
    for (char &c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

/// Runs `body`, turning every C++ exception into a status code and message.
template <typename Body>
int guarded(const char *operation, char *err, size_t err_len, Body body) noexcept {
    try {
        return body();
    } catch (const cv::Exception &e) {
        // e.what() spans several lines; e.err is the one-line reason.
        const std::string reason = one_line(e.err.empty() ? e.what() : e.err);
        set_error(err, err_len, "OpenCV failed to %s: %s", operation, reason.c_str());
        return CVS_ERR_INTERNAL;
    } catch (const std::bad_alloc &) {
        set_error(err, err_len, "out of memory while trying to %s", operation);
        return CVS_ERR_NO_MEMORY;
    } catch (const std::exception &e) {
        set_error(err, err_len, "failed to %s: %s", operation, one_line(e.what()).c_str());
        return CVS_ERR_INTERNAL;
    } catch (...) {
        set_error(err, err_len, "failed to %s: unknown C++ exception", operation);
        return CVS_ERR_INTERNAL;
    }
}

/// Finds a single `%d` or `%0Nd` in `path`. Returns false when there is none
/// (or more than one, or another conversion), which means "not a sequence".
bool parse_pattern(const std::string &path, std::string &prefix, int &digits,
                   std::string &suffix) {
    size_t percent = path.find('%');
    if (percent == std::string::npos) return false;
    if (path.find('%', percent + 1) != std::string::npos) return false;
    size_t i = percent + 1;
    int width = 0;
    bool zero = false;
    if (i < path.size() && path[i] == '0') { zero = true; ++i; }
    while (i < path.size() && path[i] >= '0' && path[i] <= '9') {
        width = width * 10 + (path[i] - '0');
        if (width > 18) return false;
        ++i;
    }
    if (i >= path.size() || path[i] != 'd') return false;
    if (width > 0 && !zero) return false;  // "%4d" pads with spaces: not a file name scheme
    prefix = path.substr(0, percent);
    suffix = path.substr(i + 1);
    digits = width;
    return true;
}

/// The file name of sequence file `number`, padded as the pattern says.
std::string sequence_file(const cvs_source *s, int64_t number) {
    const size_t percent = s->pattern.find('%');
    const size_t d = s->pattern.find('d', percent);
    const std::string conversion = s->pattern.substr(percent, d - percent) + "lld";
    char digits[64];
    std::snprintf(digits, sizeof digits, conversion.c_str(), (long long)number);
    return s->pattern.substr(0, percent) + digits + s->pattern.substr(d + 1);
}

int open_sequence(cvs_source *s, const std::string &path, const std::string &prefix,
                  int digits, const std::string &suffix, char *err, size_t err_len) {
    size_t slash = prefix.rfind('/');
    std::string folder = slash == std::string::npos ? "." : prefix.substr(0, slash);
    if (folder.empty()) folder = "/";
    std::string stem = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
    if (suffix.find('/') != std::string::npos) {
        set_error(err, err_len, "the frame number must be in the file name, not a folder name");
        return CVS_ERR_OPEN;
    }
    DIR *dir = opendir(folder.c_str());
    if (dir == nullptr) {
        set_error(err, err_len, "cannot list folder '%s': %s", folder.c_str(), std::strerror(errno));
        return CVS_ERR_OPEN;
    }
    int64_t first = std::numeric_limits<int64_t>::max();
    int64_t last = -1;
    int64_t found = 0;
    while (dirent *entry = readdir(dir)) {
        std::string name = entry->d_name;
        if (name.size() <= stem.size() + suffix.size()) continue;
        if (name.compare(0, stem.size(), stem) != 0) continue;
        if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        std::string number = name.substr(stem.size(), name.size() - stem.size() - suffix.size());
        if (number.size() > 18) continue;
        bool all_digits = !number.empty();
        for (char c : number) all_digits = all_digits && c >= '0' && c <= '9';
        if (!all_digits) continue;
        // With padding N the number is written with at least N digits, and a
        // leading zero only as padding.
        if ((int)number.size() < digits) continue;
        if ((int)number.size() > digits && number.size() > 1 && number[0] == '0') continue;
        if (digits == 0 && number.size() > 1 && number[0] == '0') continue;
        int64_t value = std::stoll(number);
        first = std::min(first, value);
        last = std::max(last, value);
        s->numbers.push_back(value);
        ++found;
    }
    closedir(dir);
    std::sort(s->numbers.begin(), s->numbers.end());
    if (found == 0) {
        set_error(err, err_len, "no files match the sequence pattern in folder '%s'", folder.c_str());
        return CVS_ERR_OPEN;
    }
    s->pattern = path;
    std::string first_path = sequence_file(s, first);
    cv::Mat probe = cv::imread(first_path, cv::IMREAD_COLOR);
    if (probe.empty()) {
        set_error(err, err_len, "cannot decode the first frame '%s' as an image", first_path.c_str());
        return CVS_ERR_OPEN;
    }
    s->info.kind = CVS_KIND_IMAGE_SEQUENCE;
    s->info.width = probe.cols;
    s->info.height = probe.rows;
    s->info.frames_per_second = 0;
    s->info.frame_count = last - first + 1;
    s->info.first_file_number = first;
    return CVS_OK;
}

int open_still(cvs_source *s, const std::string &path, char *err, size_t err_len) {
    s->still_bgr = cv::imread(path, cv::IMREAD_COLOR);
    if (s->still_bgr.empty()) {
        set_error(err, err_len, "it looks like an image but OpenCV cannot decode it; the file may be truncated or corrupt");
        return CVS_ERR_OPEN;
    }
    s->info.kind = CVS_KIND_STILL;
    s->info.width = s->still_bgr.cols;
    s->info.height = s->still_bgr.rows;
    s->info.frames_per_second = 0;
    s->info.frame_count = 1;
    return CVS_OK;
}

/// FFmpeg logs its own complaints about a bad file ("moov atom not found")
/// to stderr; the caller reports one clear line instead. OpenCV reads this
/// variable when its FFmpeg backend starts; a value already set (for
/// debugging, e.g. 32 for FFmpeg's info level) is kept.
void quiet_ffmpeg_log_once() {
    static std::once_flag once;
    std::call_once(once, [] { setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0); });
}

int open_video(cvs_source *s, const std::string &path, char *err, size_t err_len) {
    quiet_ffmpeg_log_once();
    s->path = path;
    if (!s->capture.open(path, cv::CAP_FFMPEG)) {
        set_error(err, err_len,
                  "not a video FFmpeg can open (wrong format, or a truncated file whose index is missing); check that it plays, or export it again");
        return CVS_ERR_OPEN;
    }
    double width = s->capture.get(cv::CAP_PROP_FRAME_WIDTH);
    double height = s->capture.get(cv::CAP_PROP_FRAME_HEIGHT);
    double fps = s->capture.get(cv::CAP_PROP_FPS);
    double count = s->capture.get(cv::CAP_PROP_FRAME_COUNT);
    if (!(width >= 1 && height >= 1 && width <= 65536 && height <= 65536)) {
        set_error(err, err_len, "has no decodable video stream");
        return CVS_ERR_OPEN;
    }
    if (!(count >= 1 && count < 1e12)) {
        set_error(err, err_len,
                  "the container gives no frame count or duration; remux it with 'ffmpeg -i IN -c copy OUT.mp4'");
        return CVS_ERR_OPEN;
    }
    s->info.kind = CVS_KIND_VIDEO;
    s->info.width = (int32_t)width;
    s->info.height = (int32_t)height;
    s->info.frames_per_second = std::isfinite(fps) && fps > 0 ? fps : 0;
    s->info.frame_count = (int64_t)std::llround(count);
    return CVS_OK;
}

int open_camera(cvs_source *s, const std::string &device, int32_t width, int32_t height, double fps,
                int32_t timeout_seconds, char *err, size_t err_len) {
    // Read by the V4L2 backend when it opens; the environment's own value wins.
    setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", std::to_string(std::max(1, timeout_seconds)).c_str(), 0);
    s->path = device;
    // The V4L2 backend warns on stderr when a device is not a camera; the caller reports that in one line.
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    if (!s->capture.open(device, cv::CAP_V4L2)) {
        set_error(err, err_len, "is not a camera V4L2 can open (busy in another program, or not a capture device); list cameras with 'v4l2-ctl --list-devices'");
        return CVS_ERR_OPEN;
    }
    if (width > 0) s->capture.set(cv::CAP_PROP_FRAME_WIDTH, width);
    if (height > 0) s->capture.set(cv::CAP_PROP_FRAME_HEIGHT, height);
    if (fps > 0) s->capture.set(cv::CAP_PROP_FPS, fps);
    if (!s->capture.read(s->bgr) || s->bgr.empty()) {
        set_error(err, err_len, "opened but delivered no frame within %d s; check that no other program holds it and that it streams ('v4l2-ctl --stream-mmap --stream-count=1')",
                  std::max(1, timeout_seconds));
        return CVS_ERR_OPEN;
    }
    const double rate = s->capture.get(cv::CAP_PROP_FPS);
    s->info.kind = CVS_KIND_CAMERA;
    s->info.width = s->bgr.cols;
    s->info.height = s->bgr.rows;
    s->info.frames_per_second = std::isfinite(rate) && rate > 0 ? rate : (fps > 0 ? fps : 30);
    s->info.frame_count = -1;
    s->pending = true;  // the check's frame is the first one read
    return CVS_OK;
}

/// Converts a decoded BGR frame into the caller's RGBA buffer.
int deliver(cvs_source *s, const cv::Mat &bgr, uint8_t *rgba, char *err, size_t err_len) {
    if (bgr.cols != s->info.width || bgr.rows != s->info.height) {
        set_error(err, err_len, "frame %lld is %dx%d but the clip is %dx%d",
                  (long long)s->next_index + 1, bgr.cols, bgr.rows, s->info.width, s->info.height);
        return CVS_ERR_DECODE;
    }
    cv::Mat out(s->info.height, s->info.width, CV_8UC4, rgba);
    if (bgr.channels() == 3) {
        cv::cvtColor(bgr, out, cv::COLOR_BGR2RGBA);
    } else if (bgr.channels() == 1) {
        cv::cvtColor(bgr, out, cv::COLOR_GRAY2RGBA);
    } else {
        set_error(err, err_len, "decoder returned %d channels", bgr.channels());
        return CVS_ERR_DECODE;
    }
    // cvtColor must not have reallocated: the caller's buffer is the output.
    if (out.data != rgba) {
        set_error(err, err_len, "internal error: RGBA conversion did not write in place");
        return CVS_ERR_INTERNAL;
    }
    return CVS_OK;
}

/// Grabs (decodes without converting) until the next read returns `index`.
int grab_to(cvs_source *s, int64_t index, char *err, size_t err_len) {
    s->pending = false;
    while (s->grabbed < index) {
        if (!s->capture.grab()) {
            s->next_index = s->grabbed;
            set_error(err, err_len,
                      "decoding stopped at frame %lld of %lld; the file is truncated or corrupt",
                      (long long)s->grabbed + 1, (long long)s->info.frame_count);
            return CVS_ERR_DECODE;
        }
        s->grabbed += 1;
    }
    s->next_index = index;
    return CVS_OK;
}

/// Positions a video exactly. Short hops forward decode through. Otherwise
/// OpenCV's seek (back to a keyframe, then decode forward) is tried and the
/// frame it lands on is checked by its timestamp, index x 1000 / rate ms:
/// OpenCV's seek is exact for MP4, MOV and Matroska but can land frames off
/// in an MPEG transport stream, whose timestamps it maps to frame numbers
/// wrongly. When the check fails (or a frame has no timestamp) the video is
/// reopened and decoded forward from the start: slow, but exact.
int seek_video(cvs_source *s, int64_t index, char *err, size_t err_len) {
    const int64_t count = s->info.frame_count;
    if (index == count) {
        // Nothing to decode: the next read reports the end. The decoder
        // stays where it is; a later seek repositions it.
        s->next_index = index;
        return CVS_OK;
    }
    const bool ready = s->pending ? s->grabbed == index + 1 : s->grabbed == index;
    if (ready) {
        s->next_index = index;
        return CVS_OK;
    }
    const int64_t hop_limit_frames = 12;
    if (index >= s->grabbed && index - s->grabbed <= hop_limit_frames) {
        return grab_to(s, index, err, err_len);
    }
    const double fps = s->info.frames_per_second;
    if (index > 0 && fps > 0) {
        s->pending = false;
        if (s->capture.set(cv::CAP_PROP_POS_FRAMES, (double)index) && s->capture.grab()) {
            const double frame_ms = 1000.0 / fps;
            const double landed_ms = s->capture.get(cv::CAP_PROP_POS_MSEC);
            if (std::fabs(landed_ms - (double)index * frame_ms) < 0.5 * frame_ms) {
                s->grabbed = index + 1;
                s->pending = true;
                s->next_index = index;
                return CVS_OK;
            }
        }
    }
    s->capture.release();
    s->pending = false;
    s->grabbed = 0;
    s->next_index = 0;
    if (!s->capture.open(s->path, cv::CAP_FFMPEG)) {
        set_error(err, err_len, "cannot reopen the video to seek to frame %lld of %lld",
                  (long long)index + 1, (long long)count);
        return CVS_ERR_DECODE;
    }
    return grab_to(s, index, err, err_len);
}

}  // namespace

extern "C" int64_t cvs_first_missing(const cvs_source *s, int64_t first_index, int64_t last_index) {
    if (s == nullptr || s->info.kind != CVS_KIND_IMAGE_SEQUENCE || first_index > last_index) return -1;
    // Walks the present numbers from the first one wanted: the cost is the
    // frames present before the first gap, never the span of the numbering.
    const int64_t base = s->info.first_file_number;
    auto it = std::lower_bound(s->numbers.begin(), s->numbers.end(), base + first_index);
    for (int64_t index = first_index; index <= last_index; ++index, ++it) {
        if (it == s->numbers.end() || *it != base + index) return index;
    }
    return -1;
}

extern "C" int cvs_sequence_frame_path(const cvs_source *s, int64_t index, char *path, size_t path_len) {
    if (s == nullptr || s->info.kind != CVS_KIND_IMAGE_SEQUENCE || path == nullptr || path_len == 0) return -1;
    try {
        const std::string file = sequence_file(s, s->info.first_file_number + index);
        if (file.size() >= path_len) return -1;
        std::memcpy(path, file.c_str(), file.size() + 1);
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" int cvs_is_sequence_pattern(const char *path) {
    if (path == nullptr) return 0;
    try {
        std::string prefix, suffix;
        int digits = 0;
        return parse_pattern(path, prefix, digits, suffix) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int cvs_open(const char *path, cvs_source **out, char *err, size_t err_len) {
    if (out == nullptr || path == nullptr) {
        set_error(err, err_len, "cvs_open needs a path and an output handle");
        return CVS_ERR_ARGUMENT;
    }
    *out = nullptr;
    return guarded("open the clip", err, err_len, [&]() -> int {
        const std::string p(path);
        // Owned here until it opens, so that a throw part way frees it.
        std::unique_ptr<cvs_source> s(new cvs_source());
        std::string prefix, suffix;
        int digits = 0;
        int status;
        if (parse_pattern(p, prefix, digits, suffix)) {
            status = open_sequence(s.get(), p, prefix, digits, suffix, err, err_len);
        } else if (cv::haveImageReader(p)) {
            status = open_still(s.get(), p, err, err_len);
        } else {
            status = open_video(s.get(), p, err, err_len);
        }
        if (status != CVS_OK) return status;
        *out = s.release();
        return CVS_OK;
    });
}

extern "C" int cvs_open_camera(const char *device, int32_t width, int32_t height, double fps, int32_t timeout_seconds,
                               cvs_source **out, char *err, size_t err_len) {
    if (out == nullptr || device == nullptr) {
        set_error(err, err_len, "cvs_open_camera needs a device and an output handle");
        return CVS_ERR_ARGUMENT;
    }
    *out = nullptr;
    return guarded("open the camera", err, err_len, [&]() -> int {
        std::unique_ptr<cvs_source> s(new cvs_source());
        const int status = open_camera(s.get(), device, width, height, fps, timeout_seconds, err, err_len);
        if (status != CVS_OK) return status;
        *out = s.release();
        return CVS_OK;
    });
}

extern "C" int cvs_get_info(const cvs_source *source, cvs_info *info, char *err, size_t err_len) {
    if (source == nullptr || info == nullptr) {
        set_error(err, err_len, "cvs_get_info needs a source and an output");
        return CVS_ERR_ARGUMENT;
    }
    *info = source->info;
    return CVS_OK;
}

extern "C" int cvs_read_rgba(cvs_source *s, uint8_t *rgba, size_t rgba_len,
                             int64_t *frame_index, char *err, size_t err_len) {
    if (s == nullptr || rgba == nullptr) {
        set_error(err, err_len, "cvs_read_rgba needs a source and a buffer");
        return CVS_ERR_ARGUMENT;
    }
    size_t needed = (size_t)s->info.width * (size_t)s->info.height * 4;
    if (rgba_len < needed) {
        set_error(err, err_len, "RGBA buffer holds %zu bytes, a %dx%d frame needs %zu",
                  rgba_len, s->info.width, s->info.height, needed);
        return CVS_ERR_ARGUMENT;
    }
    return guarded("decode a frame", err, err_len, [&]() -> int {
        const int64_t count = s->info.frame_count;
        // The clip ends where its count says, even if a container whose
        // count is an estimate (duration x rate) holds a stray frame more.
        // A camera (count -1) has no end.
        if (count >= 0 && s->next_index >= count) return CVS_END;
        int status = CVS_OK;
        switch (s->info.kind) {
        case CVS_KIND_VIDEO: {
            bool decoded;
            if (s->pending) {
                s->pending = false;
                decoded = s->capture.retrieve(s->bgr);
            } else {
                if (s->grabbed != s->next_index) {
                    set_error(err, err_len, "internal error: decoder at frame %lld, reader at %lld",
                              (long long)s->grabbed, (long long)s->next_index);
                    return CVS_ERR_INTERNAL;
                }
                decoded = s->capture.grab();
                if (decoded) s->grabbed += 1;
                decoded = decoded && s->capture.retrieve(s->bgr);
            }
            if (!decoded || s->bgr.empty()) {
                set_error(err, err_len,
                          "decoding stopped at frame %lld of %lld; the file is truncated or corrupt",
                          (long long)s->next_index + 1, (long long)count);
                return CVS_ERR_DECODE;
            }
            status = deliver(s, s->bgr, rgba, err, err_len);
            break;
        }
        case CVS_KIND_IMAGE_SEQUENCE: {
            const int64_t number = s->info.first_file_number + s->next_index;
            const std::string file = sequence_file(s, number);
            struct stat st;
            if (stat(file.c_str(), &st) != 0) {
                set_error(err, err_len, "frame %lld of %lld is missing: '%s' (%s)",
                          (long long)s->next_index + 1, (long long)count, file.c_str(),
                          std::strerror(errno));
                return CVS_ERR_DECODE;
            }
            cv::Mat bgr = cv::imread(file, cv::IMREAD_COLOR);
            if (bgr.empty()) {
                set_error(err, err_len, "frame %lld of %lld, '%s', cannot be decoded; it is truncated or not an image",
                          (long long)s->next_index + 1, (long long)count, file.c_str());
                return CVS_ERR_DECODE;
            }
            status = deliver(s, bgr, rgba, err, err_len);
            break;
        }
        case CVS_KIND_STILL:
            status = deliver(s, s->still_bgr, rgba, err, err_len);
            break;
        case CVS_KIND_CAMERA: {
            const bool fresh = s->pending ? true : s->capture.read(s->bgr);
            s->pending = false;
            if (!fresh || s->bgr.empty()) {
                set_error(err, err_len, "stopped delivering frames after frame %lld (unplugged, or no frame for the V4L2 timeout)",
                          (long long)s->next_index);
                return CVS_ERR_DECODE;
            }
            status = deliver(s, s->bgr, rgba, err, err_len);
            break;
        }
        }
        if (status != CVS_OK) return status;
        if (frame_index != nullptr) *frame_index = s->next_index;
        s->next_index += 1;
        return CVS_OK;
    });
}

extern "C" int cvs_seek(cvs_source *s, int64_t index, char *err, size_t err_len) {
    if (s == nullptr) {
        set_error(err, err_len, "cvs_seek needs a source");
        return CVS_ERR_ARGUMENT;
    }
    if (s->info.kind == CVS_KIND_CAMERA) {
        set_error(err, err_len, "a camera cannot seek");
        return CVS_ERR_ARGUMENT;
    }
    if (index < 0 || index > s->info.frame_count) {
        set_error(err, err_len, "frame index %lld is outside the clip (0 to %lld)",
                  (long long)index, (long long)s->info.frame_count);
        return CVS_ERR_ARGUMENT;
    }
    return guarded("seek", err, err_len, [&]() -> int {
        if (s->info.kind != CVS_KIND_VIDEO) {
            s->next_index = index;
            return CVS_OK;
        }
        return seek_video(s, index, err, err_len);
    });
}

extern "C" int64_t cvs_next_frame_index(const cvs_source *source) {
    return source == nullptr ? 0 : source->next_index;
}

extern "C" void cvs_close(cvs_source *source) {
    if (source == nullptr) return;
    try {
        delete source;
    } catch (...) {
        // Destructors of OpenCV objects should not throw; if one does, the
        // memory is lost rather than the process.
    }
}

extern "C" int cvs_encode_jpeg(const uint8_t *rgba, int32_t width, int32_t height, int32_t quality,
                               uint8_t **out, size_t *out_len, char *err, size_t err_len) {
    if (!rgba || !out || !out_len || width <= 0 || height <= 0 || quality < 1 || quality > 100) {
        set_error(err, err_len, "cvs_encode_jpeg needs an image, a quality from 1 to 100 and places for the result");
        return CVS_ERR_ARGUMENT;
    }
    return guarded("encode a JPEG", err, err_len, [&]() -> int {
        const cv::Mat image(height, width, CV_8UC4, const_cast<uint8_t *>(rgba));
        cv::Mat bgr;
        cv::cvtColor(image, bgr, cv::COLOR_RGBA2BGR);
        std::vector<uint8_t> bytes;
        if (!cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality})) {
            set_error(err, err_len, "OpenCV's JPEG encoder refused the image");
            return CVS_ERR_INTERNAL;
        }
        auto *copy = static_cast<uint8_t *>(std::malloc(bytes.size()));
        if (!copy) throw std::bad_alloc();
        std::memcpy(copy, bytes.data(), bytes.size());
        *out = copy;
        *out_len = bytes.size();
        return CVS_OK;
    });
}

extern "C" void cvs_free(void *memory) { std::free(memory); }

struct cvs_movie_writer {
    cv::VideoWriter writer;
    int32_t width = 0, height = 0;
    cv::Mat bgr;
};

extern "C" int cvs_movie_open(const char *path, int32_t width, int32_t height, double fps, cvs_movie_writer **out,
                              char *err, size_t err_len) {
    if (!path || !out || width <= 0 || height <= 0 || width % 2 || height % 2 || !(fps > 0 && fps <= 1000)) {
        set_error(err, err_len, "cvs_movie_open needs a path, an even width and height and a frame rate above 0");
        return CVS_ERR_ARGUMENT;
    }
    *out = nullptr;
    return guarded("open the movie", err, err_len, [&]() -> int {
        auto movie = std::make_unique<cvs_movie_writer>();
        movie->width = width;
        movie->height = height;
        if (!movie->writer.open(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('a', 'v', 'c', '1'), fps,
                                cv::Size(width, height), true)) {
            set_error(err, err_len, "cannot be written as H.264 MP4 (no H.264 encoder in FFmpeg, or the folder is not writable)");
            return CVS_ERR_OPEN;
        }
        *out = movie.release();
        return CVS_OK;
    });
}

extern "C" int cvs_movie_write(cvs_movie_writer *movie, const uint8_t *rgba, char *err, size_t err_len) {
    if (!movie || !rgba) {
        set_error(err, err_len, "cvs_movie_write needs a movie and a frame");
        return CVS_ERR_ARGUMENT;
    }
    return guarded("write a movie frame", err, err_len, [&]() -> int {
        const cv::Mat image(movie->height, movie->width, CV_8UC4, const_cast<uint8_t *>(rgba));
        cv::cvtColor(image, movie->bgr, cv::COLOR_RGBA2BGR);
        movie->writer.write(movie->bgr);
        return CVS_OK;
    });
}

extern "C" void cvs_movie_close(cvs_movie_writer *movie) {
    if (!movie) return;
    try {
        movie->writer.release();
    } catch (...) {
    }
    delete movie;
}

struct cvs_v4l2_output {
    int fd = -1;
    int32_t width = 0, height = 0;
    std::vector<uint8_t> rgb;
};

extern "C" int cvs_v4l2_output_open(const char *device, int32_t width, int32_t height, cvs_v4l2_output **out,
                                    char *err, size_t err_len) {
    if (!device || !out || width <= 0 || height <= 0) {
        set_error(err, err_len, "cvs_v4l2_output_open needs a device, a size and an output handle");
        return CVS_ERR_ARGUMENT;
    }
    *out = nullptr;
    return guarded("open the video output", err, err_len, [&]() -> int {
        const int fd = ::open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            set_error(err, err_len, "cannot be opened (%s); load v4l2loopback ('modprobe v4l2loopback') and name its /dev/videoN",
                      std::strerror(errno));
            return CVS_ERR_OPEN;
        }
        v4l2_capability caps{};
        const uint32_t device_caps = ioctl(fd, VIDIOC_QUERYCAP, &caps) == 0
            ? ((caps.capabilities & V4L2_CAP_DEVICE_CAPS) ? caps.device_caps : caps.capabilities) : 0;
        if (!(device_caps & V4L2_CAP_VIDEO_OUTPUT)) {
            ::close(fd);
            set_error(err, err_len, "is not a V4L2 video output; name a v4l2loopback device ('v4l2-ctl --list-devices')");
            return CVS_ERR_OPEN;
        }
        v4l2_format format{};
        format.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        format.fmt.pix.width = (uint32_t)width;
        format.fmt.pix.height = (uint32_t)height;
        format.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
        format.fmt.pix.field = V4L2_FIELD_NONE;
        format.fmt.pix.bytesperline = (uint32_t)width * 3;
        format.fmt.pix.sizeimage = (uint32_t)width * (uint32_t)height * 3;
        format.fmt.pix.colorspace = V4L2_COLORSPACE_SRGB;
        if (ioctl(fd, VIDIOC_S_FMT, &format) != 0 || format.fmt.pix.pixelformat != V4L2_PIX_FMT_RGB24
            || format.fmt.pix.width != (uint32_t)width || format.fmt.pix.height != (uint32_t)height) {
            ::close(fd);
            set_error(err, err_len, "does not take %dx%d RGB24 frames; is another program writing to it?", width, height);
            return CVS_ERR_OPEN;
        }
        auto output = std::make_unique<cvs_v4l2_output>();
        output->fd = fd;
        output->width = width;
        output->height = height;
        output->rgb.resize((size_t)width * (size_t)height * 3);
        *out = output.release();
        return CVS_OK;
    });
}

extern "C" int cvs_v4l2_output_write(cvs_v4l2_output *o, const uint8_t *rgba, int32_t bottom_up, char *err, size_t err_len) {
    if (!o || !rgba) {
        set_error(err, err_len, "cvs_v4l2_output_write needs an output and a frame");
        return CVS_ERR_ARGUMENT;
    }
    return guarded("write a frame to the video output", err, err_len, [&]() -> int {
        const size_t row = (size_t)o->width * 4, out_row = (size_t)o->width * 3;
        for (int32_t y = 0; y < o->height; ++y) {
            const uint8_t *from = rgba + (size_t)(bottom_up ? o->height - 1 - y : y) * row;
            uint8_t *to = o->rgb.data() + (size_t)y * out_row;
            for (int32_t x = 0; x < o->width; ++x) {
                to[3 * x] = from[4 * x];
                to[3 * x + 1] = from[4 * x + 1];
                to[3 * x + 2] = from[4 * x + 2];
            }
        }
        const ssize_t written = ::write(o->fd, o->rgb.data(), o->rgb.size());
        if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return CVS_END;
        if (written != (ssize_t)o->rgb.size()) {
            set_error(err, err_len, "stopped taking frames (%s)", written < 0 ? std::strerror(errno) : "short write");
            return CVS_ERR_DECODE;
        }
        return CVS_OK;
    });
}

extern "C" void cvs_v4l2_output_close(cvs_v4l2_output *o) {
    if (!o) return;
    if (o->fd >= 0) ::close(o->fd);
    delete o;
}
