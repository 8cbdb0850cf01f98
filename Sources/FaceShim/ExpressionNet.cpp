// FaceShim — the appearance expression model through OpenCV's DNN module
// (see FaceShim.h for why the shim exists and its conventions).
#include "FaceShim.h"
#include "ShimSupport.hpp"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

using namespace faceshim;

struct fs_expression_net {
    cv::dnn::Net net;
    int32_t class_count = 0;
    cv::Mat grey;     // the crop's bounding box in grey levels
    cv::Mat source;   // that, area-shrunk for a big face
    cv::Mat upright;  // the crop, de-rotated, at most 128 px a side
    cv::Mat small;    // 64×64 grey
    cv::Mat input;    // 1×1×64×64 float blob
};

namespace {

constexpr int kSide = FS_EXPRESSION_INPUT_SIDE;
// Crops are de-rotated at no more than this many pixels a side (twice the
// input), then shrunk to 64 with area averaging: FER2013's faces are smooth,
// low-resolution pictures, and bilinear shrinking by large factors aliases.
// Rotating a bigger crop at full size cost up to 1.2 ms a face at 720p.
constexpr int kMaxUprightSide = 128;

int forward(fs_expression_net *net, float *scores, size_t scores_len, char *err, size_t err_len) {
    net->net.setInput(net->input);
    const cv::Mat out = net->net.forward();
    if (static_cast<size_t>(out.total()) != scores_len) {
        set_error(err, err_len, "the expression model gave %zu scores, expected %zu",
                  static_cast<size_t>(out.total()), scores_len);
        return FS_ERR_FILE;
    }
    const cv::Mat flat = out.reshape(1, 1);
    cv::Mat as_float;
    flat.convertTo(as_float, CV_32F);
    std::memcpy(scores, as_float.ptr<float>(0), scores_len * sizeof(float));
    return FS_OK;
}

}  // namespace

extern "C" {

int fs_expression_net_open(const char *onnx_path, fs_expression_net **out, int32_t *class_count,
                           char *err, size_t err_len) {
    if (out == nullptr || onnx_path == nullptr || class_count == nullptr) {
        set_error(err, err_len, "bad arguments to fs_expression_net_open");
        return FS_ERR_ARGUMENT;
    }
    *out = nullptr;
    *class_count = 0;
    if (!check_model_file(onnx_path, "expression model", ".onnx", err, err_len)) return FS_ERR_FILE;
    return guarded(err, err_len, "loading the expression model", [&]() -> int {
        auto model = std::make_unique<fs_expression_net>();
        try {
            model->net = cv::dnn::readNetFromONNX(onnx_path);
        } catch (const cv::Exception &e) {
            set_error(err, err_len, "not an ONNX model OpenCV can run (%s)", e.err.c_str());
            return FS_ERR_FILE;
        }
        if (model->net.empty()) {
            set_error(err, err_len, "not an ONNX model OpenCV can run (empty network)");
            return FS_ERR_FILE;
        }
        model->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        model->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        const int shape[4] = {1, 1, kSide, kSide};
        model->input.create(4, shape, CV_32F);
        model->input.setTo(0);
        cv::Mat probe;
        try {
            model->net.setInput(model->input);
            probe = model->net.forward();
        } catch (const cv::Exception &e) {
            set_error(err, err_len,
                      "does not take a 1x1x64x64 grey face (OpenCV: %s); see models/README.md for "
                      "the input contract",
                      e.err.c_str());
            return FS_ERR_FILE;
        }
        model->class_count = static_cast<int32_t>(probe.total());
        *class_count = model->class_count;
        *out = model.release();
        return FS_OK;
    });
}

int fs_expression_scores(fs_expression_net *net, const uint8_t *rgba, int32_t width,
                         int32_t height, size_t bytes_per_row, fs_face_crop crop, float *input,
                         float *scores, size_t scores_len, char *err, size_t err_len) {
    if (net == nullptr || (scores == nullptr && input == nullptr)) {
        set_error(err, err_len, "bad arguments to fs_expression_scores");
        return FS_ERR_ARGUMENT;
    }
    if (!check_image(rgba, width, height, bytes_per_row, err, err_len)) return FS_ERR_ARGUMENT;
    if (!(crop.side >= 4 && crop.side < 1e6) || !std::isfinite(crop.centre_x) ||
        !std::isfinite(crop.centre_y) || !std::isfinite(crop.angle)) {
        set_error(err, err_len, "bad face crop (side %g)", crop.side);
        return FS_ERR_ARGUMENT;
    }
    return guarded(err, err_len, "scoring an expression", [&]() -> int {
        const cv::Mat frame(height, width, CV_8UC4, const_cast<uint8_t *>(rgba), bytes_per_row);
        // Only the crop's bounding box (clipped to the frame) is read: it is
        // turned grey, and a big face is shrunk with area averaging to about
        // kMaxUprightSide pixels a crop side; the rotation then samples that
        // (bilinear at about 1:1, no aliasing).
        const double reach = crop.side * (std::abs(std::cos(crop.angle)) + std::abs(std::sin(crop.angle))) / 2 + 2;
        const cv::Rect box = cv::Rect(cv::Point(static_cast<int>(std::floor(crop.centre_x - reach)),
                                                static_cast<int>(std::floor(crop.centre_y - reach))),
                                      cv::Point(static_cast<int>(std::ceil(crop.centre_x + reach)),
                                                static_cast<int>(std::ceil(crop.centre_y + reach)))) &
                             cv::Rect(0, 0, width, height);
        if (box.width < 1 || box.height < 1) {
            net->source.create(1, 1, CV_8UC1);  // the face lies wholly outside the frame: black
            net->source.setTo(0);
        } else {
            cv::cvtColor(frame(box), net->grey, cv::COLOR_RGBA2GRAY);
            if (crop.side > kMaxUprightSide) {
                const double k = kMaxUprightSide / crop.side;
                cv::resize(net->grey, net->source,
                           cv::Size(std::max(1, static_cast<int>(std::lround(box.width * k))),
                                    std::max(1, static_cast<int>(std::lround(box.height * k)))),
                           0, 0, cv::INTER_AREA);
            } else {
                cv::swap(net->grey, net->source);
            }
        }
        const double origin_x = box.x, origin_y = box.y;
        const double scale_x = box.width > 0 ? static_cast<double>(net->source.cols) / box.width : 1;
        const double scale_y = box.height > 0 ? static_cast<double>(net->source.rows) / box.height : 1;
        // The upright crop, n×n: the affine map takes the crop square's
        // centre to the middle of the n×n image and its axes (angle θ) to the
        // image axes. Output pixel centre (u + ½, v + ½) maps to
        // c + R(θ)·((u + ½, v + ½) − n/2)·(side / n) in the frame, then into
        // the grey source as (p − origin)·scale.
        const int n = std::max(kSide, std::min(kMaxUprightSide, static_cast<int>(std::lround(crop.side))));
        const double k = crop.side / n;
        const double c = std::cos(crop.angle) * k, s = std::sin(crop.angle) * k;
        const double half = n / 2.0 - 0.5;
        // Frame pixel index of output pixel (u, v): centre − ½ + R·k·((u, v) − half).
        const double fx = crop.centre_x - 0.5 - c * half + s * half;
        const double fy = crop.centre_y - 0.5 - s * half - c * half;
        // Into the source picture: index' = (index + ½ − origin)·scale − ½.
        cv::Matx23d to_source(c * scale_x, -s * scale_x, (fx + 0.5 - origin_x) * scale_x - 0.5,
                              s * scale_y, c * scale_y, (fy + 0.5 - origin_y) * scale_y - 0.5);
        cv::warpAffine(net->source, net->upright, to_source, cv::Size(n, n),
                       cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(0));
        if (n == kSide) {
            net->upright.copyTo(net->small);
        } else {
            cv::resize(net->upright, net->small, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
        }
        // [0, 255] → [-1, 1], as the model was trained: (x / 255 − 0.5) · 2.
        cv::Mat plane(kSide, kSide, CV_32F, net->input.ptr<float>());
        net->small.convertTo(plane, CV_32F, 2.0 / 255.0, -1.0);
        if (input != nullptr) std::memcpy(input, plane.ptr<float>(), sizeof(float) * kSide * kSide);
        if (scores == nullptr) return FS_OK;
        return forward(net, scores, scores_len, err, err_len);
    });
}

int fs_expression_forward(fs_expression_net *net, const float *input, float *scores,
                          size_t scores_len, char *err, size_t err_len) {
    if (net == nullptr || input == nullptr || scores == nullptr) {
        set_error(err, err_len, "bad arguments to fs_expression_forward");
        return FS_ERR_ARGUMENT;
    }
    return guarded(err, err_len, "running the expression model", [&]() -> int {
        std::memcpy(net->input.ptr<float>(), input, sizeof(float) * kSide * kSide);
        return forward(net, scores, scores_len, err, err_len);
    });
}

void fs_expression_net_close(fs_expression_net *net) { delete net; }

}  // extern "C"
