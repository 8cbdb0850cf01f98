// libpng 1.6 and zlib, for writing and reading PNG frames.
#pragma once
#include <png.h>
#include <zlib.h>
