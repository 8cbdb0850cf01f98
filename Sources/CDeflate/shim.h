// libdeflate: a faster DEFLATE/zlib compressor and CRC-32 for PNG's IDAT.
#pragma once
#include <libdeflate.h>
