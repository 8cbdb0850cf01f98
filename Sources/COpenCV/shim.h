// Carries OpenCV's pkg-config flags to the C++ shim (CVShim). Swift never
// imports OpenCV's C++ headers; it talks to the shim's pure-C header.
#pragma once
