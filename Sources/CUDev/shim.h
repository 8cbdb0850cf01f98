// libudev, for finding pulse sensors by their USB parent's VID:PID and
// watching hot-plug events. `udev_list_entry_foreach` is a macro Swift cannot
// call; walk lists with udev_list_entry_get_next instead.
#pragma once
#include <libudev.h>
