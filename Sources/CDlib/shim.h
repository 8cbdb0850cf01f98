// Carries dlib's pkg-config flags (dlib-1) to the C++ face shim (FaceShim).
// Swift never imports dlib's C++ headers; it talks to the shim's pure-C header.
#pragma once
