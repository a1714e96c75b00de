/* fuzz: the libFuzzer entry point every target in tests/fuzz defines.
 * Under CRMMAP_FUZZ libFuzzer calls it; otherwise replay_main.c does, once
 * per corpus file, so ctest replays the corpora in ordinary builds. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Feeds one input to the code under test; returns 0. A bug shows as a
 * crash, a sanitizer report or an abort(). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
