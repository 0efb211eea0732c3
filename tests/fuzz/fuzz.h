/* fuzz.h: the libFuzzer entry point every target defines. Built with -fsanitize=fuzzer when
 * TM_FUZZ=ON (clang); otherwise driver.c replays the corpus under CTest. */
#ifndef TM_FUZZ_H
#define TM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
