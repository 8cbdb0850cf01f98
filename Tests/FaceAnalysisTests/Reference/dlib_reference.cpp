// dlib's own answer, for comparing the face shim against: loads a PNG with
// dlib::load_image, finds faces with dlib's HOG frontal detector on the grey
// picture (dlib's rgb -> grey rule) and predicts landmarks on the colour
// picture, exactly as dlib's face_landmark_detection_ex does.
//
// Usage: dlib_reference MODEL.dat FRAME.png
// Prints one line per face: "box L T R B" then "x y" per landmark.
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include <cstdio>
#include <exception>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s MODEL.dat FRAME.png\n", argv[0]);
        return 2;
    }
    try {
        dlib::shape_predictor model;
        dlib::deserialize(argv[1]) >> model;
        dlib::array2d<dlib::rgb_pixel> colour;
        dlib::load_image(colour, argv[2]);
        dlib::array2d<unsigned char> grey;
        dlib::assign_image(grey, colour);
        dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
        for (const dlib::rectangle &box : detector(grey)) {
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
