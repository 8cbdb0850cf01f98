// FaceShim — dlib's face detector and shape predictor, and OpenCV's cascade
// detector, behind a pure-C header (see FaceShim.h for why and the
// conventions).
#include "FaceShim.h"
#include "ShimSupport.hpp"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

namespace {

// fs_detect_still gives the boxes of dlib's Python API, `detector(grey, 1)`
// (simple_object_detector_py.h): the grey picture upsampled once
// (pyramid_up with pyramid_down<2>), the frontal detector run on that, the
// boxes mapped back with pyramid_down<2>::rect_down. The detector
// (scan_fhog_pyramid.h) scans a pyramid_down<6> pyramid whose level k+1 is
// level k shrunk (create_fhog_pyramid) and maps a detection at level l back
// with rect_up(rect, l): doubles, rounded once (detect_from_fhog_pyramid). So
// building levels 1 ... L0 the same way and running the detector on level L0,
// with a pyramid whose rect_up adds L0 levels and with the level count dlib
// would use, reproduces levels L0, L0+1, ... and their boxes bit for bit.
// What differs: faces only found at levels below L0 (small ones) are missed,
// and so, in dlib's non-max suppression, they cannot win over a bigger box
// they lie in (IoU > 0.33 or 79 % covered): rare, as the smaller box must
// also score higher.

/// L0 is the first level whose longer side is at most this (or the last
/// level): 2 * 1024 + 2, the upsampled size of a 1024-px still, so stills up
/// to 1024 px get dlib's whole pyramid. The smallest box found is the
/// detector's 73-px box at level L0, a level 1708 ... 2050 px on its longer
/// side: 3.6 ... 4.3 % of the still's longer side (2048 px: L0 = 4, boxes
/// from 76 px; 4460 px: L0 = 9, 187 px; 8K, 7680 px: L0 = 12, 322 px).
/// dlib's own smallest, at level 0, is 37 px.
constexpr long kStillLevelSide = 2050;

/// The start level L0 of the fs_detect_still call running on this thread:
/// the pyramid objects dlib makes inside the detector have no state of their
/// own to carry it.
thread_local unsigned int still_start_level = 0;

/// dlib::pyramid_down<6> (the frontal detector's) for a detector run on level
/// `still_start_level` of a bigger picture's pyramid: rect_up(rect, l) maps
/// level l of the picture scanned to level 0 of the bigger one in one go, as
/// dlib does for level still_start_level + l.
class still_pyramid : public dlib::pyramid_down<6> {
public:
    dlib::drectangle rect_up(const dlib::drectangle &rect) const { return rect_up(rect, 1); }
    dlib::drectangle rect_up(const dlib::drectangle &rect, unsigned int levels) const {
        return dlib::pyramid_down<6>::rect_up(rect, still_start_level + levels);
    }
};

using still_scanner = dlib::scan_fhog_pyramid<still_pyramid>;

/// dlib's frontal face detector, rebuilt on still_pyramid (its serialised
/// form does not name the pyramid type).
struct still_hog {
    still_scanner scanner;  // configuration only
    dlib::test_box_overlap overlap;
    std::vector<still_scanner::feature_vector_type> weights;
    // dlib's own pyramid limits (scan_fhog_pyramid: 64 x 64, 1000 levels).
    unsigned long min_width = 0, min_height = 0, max_levels = 0;
    // The detector for `levels` pyramid levels.
    unsigned long levels = 0;
    std::unique_ptr<dlib::object_detector<still_scanner>> detector;
};

std::unique_ptr<still_hog> make_still_hog(const dlib::frontal_face_detector &hog) {
    std::stringstream bytes;
    dlib::serialize(hog, bytes);
    dlib::object_detector<still_scanner> rebuilt;
    dlib::deserialize(rebuilt, bytes);
    auto still = std::make_unique<still_hog>();
    still->scanner.copy_configuration(rebuilt.get_scanner());
    still->overlap = rebuilt.get_overlap_tester();
    for (unsigned long i = 0; i < rebuilt.num_detectors(); i++) {
        still->weights.push_back(rebuilt.get_w(i));
    }
    still->min_width = hog.get_scanner().get_min_pyramid_layer_width();
    still->min_height = hog.get_scanner().get_min_pyramid_layer_height();
    still->max_levels = hog.get_scanner().get_max_pyramid_levels();
    return still;
}

/// Sets still_start_level for one detector run, restoring it on the way out.
struct still_start_scope {
    unsigned int saved;
    explicit still_start_scope(unsigned int level) : saved(still_start_level) {
        still_start_level = level;
    }
    ~still_start_scope() { still_start_level = saved; }
};

}  // namespace

struct fs_detector {
    fs_detector_kind kind = FS_DETECTOR_HOG;
    dlib::frontal_face_detector hog;
    cv::CascadeClassifier cascade;
    cv::Mat scaled;          // the frame resized by `scale` (RGBA)
    cv::Mat grey;            // its grey levels
    cv::Mat half_grey;       // the grey levels at half size, for the cascade
    cv::Mat crop;            // a cascade proposal's surroundings, resized (RGBA)
    cv::Mat crop_grey;       // its grey levels
    std::unique_ptr<still_hog> still;  // for fs_detect_still, made on first use
};

struct fs_predictor {
    dlib::shape_predictor model;
    std::vector<float> mean_shape;  // x0 y0 x1 y1 ... in box-normalised units
};

using namespace faceshim;

namespace {

// OpenCV's LBP frontal-face cascade (lbpcascade_frontalface_improved, run at
// half the detection scale with scale factor 1.2) draws a smaller box than
// dlib's HOG detector, higher on the face. Measured on the demo, expression
// and 720p benchmark clips (56 frames where both found the face; means):
// relative to the cascade box (x, y, w), the HOG box's centre sits at
// x + 0.494 w, y + 0.562 w and its side is 1.264 w (spread about ±0.06 w for
// the centre, ±0.1 w for the side: the cascade's scale steps are 1.2).
// Other cascades give other boxes; the tracker refits boxes from landmarks,
// so the first frame after a detection absorbs the difference.
constexpr double kCascadeCentreX = 0.494;
constexpr double kCascadeCentreY = 0.562;
constexpr double kCascadeSide = 1.264;
// fs_confirm_face runs HOG on a crop kVerifyCropSides face sides wide,
// scaled so the face is kVerifyFacePixels wide (HOG's window is 80 px).
constexpr double kVerifyCropSides = 1.8;
constexpr double kVerifyFacePixels = 110;

}  // namespace

extern "C" {

int fs_detector_open(fs_detector_kind kind, const char *cascade_path, fs_detector **out,
                     char *err, size_t err_len) {
    if (out == nullptr) {
        set_error(err, err_len, "no place for the detector");
        return FS_ERR_ARGUMENT;
    }
    *out = nullptr;
    return guarded(err, err_len, "making the face detector", [&]() -> int {
        auto detector = std::make_unique<fs_detector>();
        detector->kind = kind;
        if (kind == FS_DETECTOR_CASCADE) {
            if (cascade_path == nullptr) {
                set_error(err, err_len, "the cascade detector needs a cascade file");
                return FS_ERR_ARGUMENT;
            }
            struct stat st {};
            if (stat(cascade_path, &st) != 0) {
                set_error(err, err_len, "cannot read cascade: %s", std::strerror(errno));
                return FS_ERR_FILE;
            }
            bool loaded = false;
            try {
                loaded = detector->cascade.load(cascade_path) && !detector->cascade.empty();
            } catch (const cv::Exception &) {
                loaded = false;
            }
            if (!loaded) {
                set_error(err, err_len,
                          "not an OpenCV cascade file; use e.g. "
                          "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml "
                          "(Debian opencv-data)");
                return FS_ERR_FILE;
            }
        }
        detector->hog = dlib::get_frontal_face_detector();
        *out = detector.release();
        return FS_OK;
    });
}

int fs_detect(fs_detector *detector, const uint8_t *rgba, int32_t width, int32_t height,
              size_t bytes_per_row, double scale, fs_box *boxes, int32_t max_boxes,
              int32_t *count, char *err, size_t err_len) {
    if (detector == nullptr || count == nullptr || (boxes == nullptr && max_boxes > 0) ||
        max_boxes < 0) {
        set_error(err, err_len, "bad arguments to fs_detect");
        return FS_ERR_ARGUMENT;
    }
    *count = 0;
    if (!check_image(rgba, width, height, bytes_per_row, err, err_len)) return FS_ERR_ARGUMENT;
    if (!(scale >= 0.01 && scale <= 4.0)) {
        set_error(err, err_len, "detection scale %g is outside 0.01 ... 4", scale);
        return FS_ERR_ARGUMENT;
    }
    return guarded(err, err_len, "detecting faces", [&]() -> int {
        const cv::Mat frame(height, width, CV_8UC4, const_cast<uint8_t *>(rgba), bytes_per_row);
        if (scale == 1.0) {
            to_grey(frame, detector->grey);
        } else {
            const int scaled_width = std::max(1, static_cast<int>(std::lround(width * scale)));
            const int scaled_height = std::max(1, static_cast<int>(std::lround(height * scale)));
            cv::resize(frame, detector->scaled, cv::Size(scaled_width, scaled_height), 0, 0,
                       scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
            to_grey(detector->scaled, detector->grey);
        }
        const double sx = static_cast<double>(detector->grey.cols) / width;
        const double sy = static_cast<double>(detector->grey.rows) / height;

        // Boxes in the scaled frame: left, top, right (exclusive), bottom (exclusive), score.
        struct found { double left, top, right, bottom, score; };
        std::vector<found> all;
        if (detector->kind == FS_DETECTOR_HOG) {
            dlib::cv_image<unsigned char> image(detector->grey);
            std::vector<dlib::rect_detection> detections;
            detector->hog(image, detections, 0.0);
            for (const auto &d : detections) {
                all.push_back({double(d.rect.left()), double(d.rect.top()),
                               double(d.rect.right() + 1), double(d.rect.bottom() + 1),
                               d.detection_confidence});
            }
        } else {
            // The cascade's window is 24 px: it runs on the detection image
            // halved, for faces from 40 px there (80 px at detection scale,
            // HOG's own limit), at a quarter of the cost. Measured on a 720p
            // frame (detection at 640x360): LBP cascade 5.5 ms, Haar 12 ms,
            // dlib HOG 22 ms, including the resize and grey conversion.
            cv::resize(detector->grey, detector->half_grey,
                       cv::Size(std::max(1, detector->grey.cols / 2), std::max(1, detector->grey.rows / 2)),
                       0, 0, cv::INTER_AREA);
            cv::equalizeHist(detector->half_grey, detector->half_grey);
            std::vector<cv::Rect> rects;
            detector->cascade.detectMultiScale(detector->half_grey, rects, 1.2, 3, 0, cv::Size(40, 40));
            const double hx = static_cast<double>(detector->grey.cols) / detector->half_grey.cols;
            const double hy = static_cast<double>(detector->grey.rows) / detector->half_grey.rows;
            for (auto &r : rects) {
                r = cv::Rect(static_cast<int>(std::lround(r.x * hx)), static_cast<int>(std::lround(r.y * hy)),
                             static_cast<int>(std::lround(r.width * hx)), static_cast<int>(std::lround(r.height * hy)));
            }
            for (const auto &r : rects) {
                const double side = kCascadeSide * r.width;
                const double cx = r.x + kCascadeCentreX * r.width;
                const double cy = r.y + kCascadeCentreY * r.width;
                all.push_back({cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, 0.0});
            }
        }
        // Keep the strongest (then largest) of boxes overlapping by half.
        std::vector<found> unique;
        std::stable_sort(all.begin(), all.end(),
                         [](const found &a, const found &b) { return a.score > b.score; });
        for (const auto &f : all) {
            bool duplicate = false;
            for (const auto &u : unique) {
                const double w = std::min(f.right, u.right) - std::max(f.left, u.left);
                const double h = std::min(f.bottom, u.bottom) - std::max(f.top, u.top);
                const double inter = w > 0 && h > 0 ? w * h : 0;
                const double uni = (f.right - f.left) * (f.bottom - f.top) +
                                   (u.right - u.left) * (u.bottom - u.top) - inter;
                if (uni > 0 && inter / uni > 0.5) duplicate = true;
            }
            if (!duplicate) unique.push_back(f);
        }
        all.swap(unique);
        std::stable_sort(all.begin(), all.end(), [](const found &a, const found &b) {
            return a.score > b.score ||
                   (a.score == b.score && (a.right - a.left) > (b.right - b.left));
        });
        int32_t n = 0;
        for (const auto &f : all) {
            if (n >= max_boxes) break;
            fs_box box;
            box.left = static_cast<int32_t>(std::lround(f.left / sx));
            box.top = static_cast<int32_t>(std::lround(f.top / sy));
            box.right = static_cast<int32_t>(std::lround(f.right / sx)) - 1;
            box.bottom = static_cast<int32_t>(std::lround(f.bottom / sy)) - 1;
            box.score = f.score;
            boxes[n++] = box;
        }
        *count = n;
        return FS_OK;
    });
}

int fs_confirm_face(fs_detector *detector, const uint8_t *rgba, int32_t width, int32_t height,
                    size_t bytes_per_row, fs_box proposal, fs_box *confirmed, int32_t *found,
                    char *err, size_t err_len) {
    if (detector == nullptr || confirmed == nullptr || found == nullptr) {
        set_error(err, err_len, "bad arguments to fs_confirm_face");
        return FS_ERR_ARGUMENT;
    }
    *found = 0;
    if (!check_image(rgba, width, height, bytes_per_row, err, err_len)) return FS_ERR_ARGUMENT;
    if (proposal.right < proposal.left || proposal.bottom < proposal.top) {
        set_error(err, err_len, "empty face box");
        return FS_ERR_ARGUMENT;
    }
    return guarded(err, err_len, "confirming a face", [&]() -> int {
        const cv::Mat frame(height, width, CV_8UC4, const_cast<uint8_t *>(rgba), bytes_per_row);
        const double side = std::max(1, proposal.right - proposal.left + 1);
        const double cx = (proposal.left + proposal.right + 1) / 2.0;
        const double cy = (proposal.top + proposal.bottom + 1) / 2.0;
        const double half = kVerifyCropSides * side / 2;
        const int x0 = std::max(0, static_cast<int>(std::floor(cx - half)));
        const int y0 = std::max(0, static_cast<int>(std::floor(cy - half)));
        const int x1 = std::min(width, static_cast<int>(std::ceil(cx + half)));
        const int y1 = std::min(height, static_cast<int>(std::ceil(cy + half)));
        if (x1 - x0 < 8 || y1 - y0 < 8) return FS_OK;
        const double k = kVerifyFacePixels / side;
        cv::resize(frame(cv::Rect(x0, y0, x1 - x0, y1 - y0)), detector->crop,
                   cv::Size(std::max(1, static_cast<int>(std::lround((x1 - x0) * k))),
                            std::max(1, static_cast<int>(std::lround((y1 - y0) * k)))),
                   0, 0, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        to_grey(detector->crop, detector->crop_grey);
        dlib::cv_image<unsigned char> crop(detector->crop_grey);
        std::vector<dlib::rect_detection> detections;
        detector->hog(crop, detections, 0.0);
        if (detections.empty()) return FS_OK;
        const auto best = std::max_element(
            detections.begin(), detections.end(),
            [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
                return a.detection_confidence < b.detection_confidence;
            });
        confirmed->left = static_cast<int32_t>(std::lround(x0 + best->rect.left() / k));
        confirmed->top = static_cast<int32_t>(std::lround(y0 + best->rect.top() / k));
        confirmed->right = static_cast<int32_t>(std::lround(x0 + (best->rect.right() + 1) / k)) - 1;
        confirmed->bottom = static_cast<int32_t>(std::lround(y0 + (best->rect.bottom() + 1) / k)) - 1;
        confirmed->score = best->detection_confidence;
        *found = 1;
        return FS_OK;
    });
}

int fs_detect_still(fs_detector *detector, const uint8_t *rgba, int32_t width, int32_t height,
                    size_t bytes_per_row, fs_box *boxes, int32_t max_boxes, int32_t *count,
                    char *err, size_t err_len) {
    if (detector == nullptr || count == nullptr || (boxes == nullptr && max_boxes > 0) ||
        max_boxes < 0) {
        set_error(err, err_len, "bad arguments to fs_detect_still");
        return FS_ERR_ARGUMENT;
    }
    *count = 0;
    if (!check_image(rgba, width, height, bytes_per_row, err, err_len)) return FS_ERR_ARGUMENT;
    return guarded(err, err_len, "detecting faces in a still", [&]() -> int {
        if (!detector->still) detector->still = make_still_hog(detector->hog);
        still_hog &still = *detector->still;
        const cv::Mat frame(height, width, CV_8UC4, const_cast<uint8_t *>(rgba), bytes_per_row);

        // Level 0: the grey picture upsampled once.
        const dlib::pyramid_down<2> up;
        dlib::array2d<unsigned char> level;
        {
            cv::Mat grey;
            to_grey(frame, grey);
            dlib::pyramid_up(dlib::cv_image<unsigned char>(grey), level, up);
        }
        // The number of levels dlib's detector scans on level 0
        // (create_fhog_pyramid).
        const dlib::pyramid_down<6> down;
        unsigned long total = 0;
        dlib::rectangle rect = dlib::get_rect(level);
        do {
            rect = down.rect_down(rect);
            ++total;
        } while (rect.width() >= still.min_width && rect.height() >= still.min_height &&
                 total < still.max_levels);
        // Levels 1 ... L0, each shrunk from the one before. Two levels are
        // held at a time: at 8K, 133 + 92 MB.
        unsigned int start = 0;
        {
            dlib::array2d<unsigned char> next;
            while (std::max(level.nr(), level.nc()) > kStillLevelSide && start + 1 < total) {
                down(level, next);
                dlib::swap(level, next);
                ++start;
            }
        }
        const unsigned long levels = total - start;
        if (!still.detector || still.levels != levels) {
            still.detector.reset();
            still_scanner scanner;
            scanner.copy_configuration(still.scanner);
            scanner.set_max_pyramid_levels(levels);
            // Levels are counted above, from level 0 as dlib does; the
            // count from level L0's own size may differ by one.
            scanner.set_min_pyramid_layer_size(1, 1);
            still.detector = std::make_unique<dlib::object_detector<still_scanner>>(
                scanner, still.overlap, still.weights);
            still.levels = levels;
        }
        std::vector<dlib::rect_detection> detections;
        {
            const still_start_scope scope(start);
            (*still.detector)(level, detections, 0.0);
        }
        // dlib's order: strongest first.
        int32_t n = 0;
        for (const auto &d : detections) {
            if (n >= max_boxes) break;
            const dlib::rectangle box = up.rect_down(d.rect, 1);
            boxes[n].left = static_cast<int32_t>(box.left());
            boxes[n].top = static_cast<int32_t>(box.top());
            boxes[n].right = static_cast<int32_t>(box.right());
            boxes[n].bottom = static_cast<int32_t>(box.bottom());
            boxes[n].score = d.detection_confidence;
            n++;
        }
        *count = n;
        return FS_OK;
    });
}

void fs_detector_close(fs_detector *detector) { delete detector; }

int fs_predictor_open(const char *model_path, fs_predictor **out, char *err, size_t err_len) {
    if (out == nullptr || model_path == nullptr) {
        set_error(err, err_len, "bad arguments to fs_predictor_open");
        return FS_ERR_ARGUMENT;
    }
    *out = nullptr;
    if (!check_model_file(model_path, "landmark model", ".dat", err, err_len)) return FS_ERR_FILE;
    return guarded(err, err_len, "reading the landmark model", [&]() -> int {
        auto predictor = std::make_unique<fs_predictor>();
        std::ifstream in(model_path, std::ios::binary);
        if (!in) {
            set_error(err, err_len, "cannot open landmark model: %s", std::strerror(errno));
            return FS_ERR_FILE;
        }
        try {
            dlib::deserialize(predictor->model, in);
        } catch (const dlib::serialization_error &e) {
            set_error(err, err_len,
                      "not a dlib shape predictor (%s); use e.g. "
                      "/usr/share/dlib/shape_predictor_68_face_landmarks.dat (Debian libdlib-data)",
                      e.what());
            return FS_ERR_FILE;
        }
        if (predictor->model.num_parts() == 0) {
            set_error(err, err_len, "the landmark model predicts no points");
            return FS_ERR_FILE;
        }
        // dlib keeps the mean shape private; it is the first field after the
        // version number in the serialised model (shape_predictor.h serialize).
        std::ifstream again(model_path, std::ios::binary);
        int version = 0;
        dlib::matrix<float, 0, 1> initial;
        dlib::deserialize(version, again);
        dlib::deserialize(initial, again);
        if (static_cast<unsigned long>(initial.size()) != 2 * predictor->model.num_parts()) {
            set_error(err, err_len, "the landmark model's mean shape has %ld values for %lu points",
                      static_cast<long>(initial.size()), predictor->model.num_parts());
            return FS_ERR_FILE;
        }
        predictor->mean_shape.assign(initial.begin(), initial.end());
        *out = predictor.release();
        return FS_OK;
    });
}

int32_t fs_predictor_point_count(const fs_predictor *predictor) {
    return predictor == nullptr ? 0 : static_cast<int32_t>(predictor->model.num_parts());
}

int fs_predictor_mean_shape(const fs_predictor *predictor, float *xy, size_t xy_len, char *err,
                            size_t err_len) {
    if (predictor == nullptr || xy == nullptr || xy_len < predictor->mean_shape.size()) {
        set_error(err, err_len, "bad arguments to fs_predictor_mean_shape");
        return FS_ERR_ARGUMENT;
    }
    std::copy(predictor->mean_shape.begin(), predictor->mean_shape.end(), xy);
    return FS_OK;
}

int fs_landmarks(const fs_predictor *predictor, const uint8_t *rgba, int32_t width,
                 int32_t height, size_t bytes_per_row, fs_box box, float *xy, size_t xy_len,
                 char *err, size_t err_len) {
    if (predictor == nullptr || xy == nullptr ||
        xy_len < 2 * static_cast<size_t>(predictor->model.num_parts())) {
        set_error(err, err_len, "bad arguments to fs_landmarks");
        return FS_ERR_ARGUMENT;
    }
    if (!check_image(rgba, width, height, bytes_per_row, err, err_len)) return FS_ERR_ARGUMENT;
    if (box.right < box.left || box.bottom < box.top) {
        set_error(err, err_len, "empty face box");
        return FS_ERR_ARGUMENT;
    }
    return guarded(err, err_len, "predicting landmarks", [&]() -> int {
        // The predictor samples a few hundred pixels near the box; reading
        // them in place from the RGBA frame (grey = (R+G+B)/3 per sample,
        // dlib's get_pixel_intensity) avoids converting the whole frame.
        const cv::Mat frame(height, width, CV_8UC4, const_cast<uint8_t *>(rgba), bytes_per_row);
        dlib::cv_image<dlib::rgb_alpha_pixel> image(frame);
        const dlib::rectangle rect(box.left, box.top, box.right, box.bottom);
        const dlib::full_object_detection shape = predictor->model(image, rect);
        for (unsigned long i = 0; i < shape.num_parts(); i++) {
            xy[2 * i] = static_cast<float>(shape.part(i).x());
            xy[2 * i + 1] = static_cast<float>(shape.part(i).y());
        }
        return FS_OK;
    });
}

void fs_predictor_close(fs_predictor *predictor) { delete predictor; }

}  // extern "C"
