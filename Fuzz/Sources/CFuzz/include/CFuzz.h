// C pieces for the fuzz harnesses: zlib (gzip a share of the inputs) and libFuzzer's driver entry point.
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses the libFuzzer flags in argv and runs
/// `callback` on every input. Each harness's main calls it (SwiftPM renames a Swift executable's main, so
/// libFuzzer's own main cannot be used).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
