// FaceShim — the pure-C border between Swift and dlib (face detection and the
// 68-point shape predictor) plus OpenCV's cascade detector and its DNN module
// (the appearance expression model).
//
// Why this exists: dlib and OpenCV are C++ (templates, exceptions), which
// Swift cannot import safely; a C++ exception unwinding through Swift frames
// aborts the process. The shim keeps both behind plain C types and catches
// every exception (dlib::serialization_error, cv::Exception, std::bad_alloc,
// anything) on its side, turning it into a status code plus a one-line
// message. It can go once Swift's C++ interoperability handles exceptions.
//
// Conventions: every symbol starts with `fs_`. Functions return FS_OK or a
// negative FS_ERR_* and, on failure, write a NUL-terminated message of at
// most `err_len - 1` bytes into `err` (NULL allowed when `err_len` is 0).
// Images are RGBA8, rows top-down, `bytes_per_row` apart; they are read in
// place, never copied whole.
//
// Grey levels follow dlib's own rule, (R + G + B) / 3 truncated, so the shim
// gives exactly what dlib gives on the same picture loaded with
// dlib::load_image.
//
// A detector or predictor is used from one thread at a time; distinct
// objects may be used on distinct threads.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FS_OK = 0,
    /// A file could not be read or is not what it should be (model, cascade).
    FS_ERR_FILE = -1,
    /// A caller mistake: null pointer, bad size, buffer too small.
    FS_ERR_ARGUMENT = -3,
    /// Memory ran out (std::bad_alloc).
    FS_ERR_NO_MEMORY = -4,
    /// Any other exception from dlib, OpenCV or the C++ runtime.
    FS_ERR_INTERNAL = -5,
};

/// A face box in dlib's convention: inclusive pixel bounds (a box of width w
/// has right = left + w - 1), in the coordinates of the full frame.
/// `score` is the detector's confidence (HOG: SVM margin; cascade: 0).
typedef struct {
    int32_t left;
    int32_t top;
    int32_t right;
    int32_t bottom;
    double score;
} fs_box;

typedef enum {
    /// dlib's HOG frontal face detector (get_frontal_face_detector): the box
    /// convention the 68-point model was trained on.
    FS_DETECTOR_HOG = 0,
    /// An OpenCV cascade (e.g. lbpcascade_frontalface_improved.xml from
    /// opencv-data), run at half the detection scale (faces from 80 px at
    /// detection scale, as HOG); boxes are converted to the HOG convention.
    /// Faster than HOG, with more false positives: confirm new faces with
    /// fs_confirm_face.
    FS_DETECTOR_CASCADE = 1,
} fs_detector_kind;

typedef struct fs_detector fs_detector;

/// Makes a detector. `cascade_path` is needed for FS_DETECTOR_CASCADE and
/// ignored otherwise.
int fs_detector_open(fs_detector_kind kind, const char *cascade_path, fs_detector **out,
                     char *err, size_t err_len);

/// Finds faces. The frame is resized by `scale` (0.01 ... 4; < 1 is faster
/// and misses small faces: the HOG detector's smallest face is about 80 px
/// at the scaled size) before detection, and boxes are mapped back to the
/// full frame. At most `max_boxes` are written, strongest first; `*count`
/// receives the number written.
int fs_detect(fs_detector *detector, const uint8_t *rgba, int32_t width, int32_t height,
              size_t bytes_per_row, double scale, fs_box *boxes, int32_t max_boxes,
              int32_t *count, char *err, size_t err_len);

/// Looks for a face near `proposal` with dlib's HOG detector on a small crop
/// around it (1.8 box sides wide, scaled so the box is 110 px): `*found` is 1
/// and `*confirmed` receives the HOG box (full-frame pixels) when there is
/// one, else `*found` is 0. Works with either detector kind; costs a few
/// milliseconds.
int fs_confirm_face(fs_detector *detector, const uint8_t *rgba, int32_t width, int32_t height,
                    size_t bytes_per_row, fs_box proposal, fs_box *confirmed, int32_t *found,
                    char *err, size_t err_len);

/// Finds faces in a still (a single photo) as dlib's Python API does with
/// `detector(image, 1)` on the grey picture: upsampled once (pyramid_up),
/// HOG run on that, boxes mapped back to the still's pixels. The boxes are
/// dlib's own, to the pixel, strongest first; with them the shape predictor
/// (fs_landmarks on the still itself) gives dlib's landmarks. Works with
/// either detector kind (always HOG). Big stills skip the first levels of
/// dlib's pyramid: the detector starts at the first level at most 2050 px
/// on its longer side, so stills up to 1024 px get the whole pyramid (boxes
/// from 37 px) and bigger ones get boxes from 3.6 ... 4.3 % of their longer
/// side (8K, 7680 px: 322 px), in bounded time and memory (8K: about 1.4 s
/// and 215 MB besides the still, where dlib's whole pyramid takes 12 s and
/// 1.1 GB). At most `max_boxes` are written; `*count` receives the number
/// written.
int fs_detect_still(fs_detector *detector, const uint8_t *rgba, int32_t width, int32_t height,
                    size_t bytes_per_row, fs_box *boxes, int32_t max_boxes, int32_t *count,
                    char *err, size_t err_len);

/// Releases the detector. Accepts NULL.
void fs_detector_close(fs_detector *detector);

typedef struct fs_predictor fs_predictor;

/// Loads a dlib shape predictor (.dat, e.g. Debian libdlib-data's
/// /usr/share/dlib/shape_predictor_68_face_landmarks.dat).
int fs_predictor_open(const char *model_path, fs_predictor **out, char *err, size_t err_len);

/// Number of landmarks the model predicts (68 for the standard model).
int32_t fs_predictor_point_count(const fs_predictor *predictor);

/// The model's mean shape (its initial shape), in box-normalised coordinates
/// (0,0 = the box's top-left corner, 1,1 = its bottom-right), as x0 y0 x1 y1
/// ...; `xy_len` must be at least 2 * point count.
int fs_predictor_mean_shape(const fs_predictor *predictor, float *xy, size_t xy_len,
                            char *err, size_t err_len);

/// Predicts the landmarks inside `box` (dlib convention) as x0 y0 x1 y1 ...
/// in full-frame pixel coordinates; `xy_len` must be at least 2 * point count.
int fs_landmarks(const fs_predictor *predictor, const uint8_t *rgba, int32_t width,
                 int32_t height, size_t bytes_per_row, fs_box box, float *xy, size_t xy_len,
                 char *err, size_t err_len);

/// Releases the predictor. Accepts NULL.
void fs_predictor_close(fs_predictor *predictor);

// MARK: Expression model (OpenCV DNN)

typedef struct fs_expression_net fs_expression_net;

/// The input every expression model takes: a 64×64 grey face, values in
/// [-1, 1] (see models/README.md for the contract).
enum { FS_EXPRESSION_INPUT_SIDE = 64 };

/// A square face crop in frame pixels: centre, side, and the angle (radians,
/// clockwise in the image, i.e. from the frame's x axis toward its y axis)
/// of the crop's x axis. Pixels outside the frame read as black.
typedef struct {
    double centre_x;
    double centre_y;
    double side;
    double angle;
} fs_face_crop;

/// Loads an ONNX expression model with OpenCV's DNN module and checks it
/// against the contract by running it once on a blank face: input
/// 1×1×64×64, output `*class_count` scores (the caller checks the count).
int fs_expression_net_open(const char *onnx_path, fs_expression_net **out, int32_t *class_count,
                           char *err, size_t err_len);

/// Cuts `crop` out of the frame (grey by Rec. 601 luma, as OpenCV's
/// RGB→GRAY; anti-aliased when shrinking) into `input` (64×64 floats in
/// [-1, 1], rows top-down; NULL to skip), then, when `scores` is not NULL,
/// runs the model on it and writes `scores_len` raw outputs.
int fs_expression_scores(fs_expression_net *net, const uint8_t *rgba, int32_t width,
                         int32_t height, size_t bytes_per_row, fs_face_crop crop, float *input,
                         float *scores, size_t scores_len, char *err, size_t err_len);

/// Runs the model on a prepared 64×64 input (values in [-1, 1]).
int fs_expression_forward(fs_expression_net *net, const float *input, float *scores,
                          size_t scores_len, char *err, size_t err_len);

/// Releases the model. Accepts NULL.
void fs_expression_net_close(fs_expression_net *net);

#ifdef __cplusplus
}
#endif
