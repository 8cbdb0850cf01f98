// dlib's own answer, for comparing the face shim against: loads a PNG with
// dlib::load_image, finds faces with dlib's HOG frontal detector on the grey
// picture (dlib's rgb -> grey rule) and predicts landmarks on the colour
// picture, exactly as dlib's face_landmark_detection_ex does.
//
// With --upsample, the detector runs as dlib's Python API runs it with
// `detector(grey, 1)` (tools/python/src/simple_object_detector_py.h): on the
// grey picture upsampled once (pyramid_up with pyramid_down<2>), boxes mapped
// back with that pyramid's rect_down; landmarks still come from the original
// colour picture. This is what the shim's fs_detect_still must give.
//
// Usage: dlib_reference [--upsample] MODEL.dat FRAME.png
// Prints one line per face: "box L T R B" then "x y" per landmark.
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

int main(int argc, char **argv) {
    const bool upsample = argc >= 2 && std::strcmp(argv[1], "--upsample") == 0;
    if (argc != (upsample ? 4 : 3)) {
        std::fprintf(stderr, "usage: %s [--upsample] MODEL.dat FRAME.png\n", argv[0]);
        return 2;
    }
    const char *model_path = argv[upsample ? 2 : 1];
    const char *frame_path = argv[upsample ? 3 : 2];
    try {
        dlib::shape_predictor model;
        dlib::deserialize(model_path) >> model;
        dlib::array2d<dlib::rgb_pixel> colour;
        dlib::load_image(colour, frame_path);
        dlib::array2d<unsigned char> grey;
        dlib::assign_image(grey, colour);
        dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
        std::vector<dlib::rectangle> boxes;
        if (upsample) {
            const dlib::pyramid_down<2> pyramid;
            dlib::array2d<unsigned char> bigger;
            dlib::pyramid_up(grey, bigger, pyramid);
            std::vector<dlib::rect_detection> detections;
            detector(bigger, detections, 0.0);
            for (const dlib::rect_detection &d : detections) {
                boxes.push_back(pyramid.rect_down(d.rect, 1));
            }
        } else {
            boxes = detector(grey);
        }
        for (const dlib::rectangle &box : boxes) {
            std::printf("box %ld %ld %ld %ld\n", box.left(), box.top(), box.right(), box.bottom());
            const dlib::full_object_detection shape = model(colour, box);
            for (unsigned long i = 0; i < shape.num_parts(); i++) {
                std::printf("%ld %ld\n", shape.part(i).x(), shape.part(i).y());
            }
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
