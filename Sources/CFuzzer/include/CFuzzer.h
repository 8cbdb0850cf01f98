// libFuzzer's driver entry, so that `empathy-fuzz` keeps its own `main`
// (SwiftPM renames an executable's main for testing, which libFuzzer's own
// main would collide with). The symbol comes from the toolchain's
// libclang_rt.fuzzer, linked with `-sanitize=fuzzer`. This header can go
// when Swift gains a fuzzing entry point of its own.
#ifndef CFUZZER_H
#define CFUZZER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

// Defined in Swift (FuzzTargets.swift, @_cdecl); declared here so that
// main passes the C symbol itself to the driver.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
