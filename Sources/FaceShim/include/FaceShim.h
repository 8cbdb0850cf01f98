// FaceShim — the pure-C border between Swift and dlib (face detection and the
// 68-point shape predictor) plus OpenCV's cascade detector.
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

/// Finds faces. The frame is resized by `scale` (0.25 ... 4; < 1 is faster
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

#ifdef __cplusplus
}
#endif
