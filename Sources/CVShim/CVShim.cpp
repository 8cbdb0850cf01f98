#include "CVShim.h"
