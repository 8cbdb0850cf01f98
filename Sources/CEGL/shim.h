// EGL 1.5 and OpenGL ES 3.2, imported as-is. Macros such as
// EGL_DEFAULT_DISPLAY do not import into Swift; pass nil instead.
#pragma once
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl32.h>
