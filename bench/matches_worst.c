/* The time matches() takes on patterns that are slow for POSIX matchers, on
 * the longest text it accepts (4096 × "a", no match): the figures in
 * docs/builtins.md. Build and run from the repository root after a Release
 * build in build-rel:
 *   cc -O2 -D_POSIX_C_SOURCE=200809L -Iruntime/base -Iruntime/vm bench/matches_worst.c \
 *      build-rel/libcrmmap_vm.a -lcrypto -lz -lm -o /tmp/matches_worst
 *   /tmp/matches_worst */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builtins.h"

int main(void)
{
    static const char *const patterns[] = {
        "(a|aa)*c", "(a|b|ab)*c", "((a|aa)(a|aa)(a|aa)(a|aa))*c", "(.*a.*a.*a.*a){4}c",
        "a{250}c", "(a?){200}c", "^[a-z]+[0-9]+$", "(a{1,100}){1,100}c",
    };
    static char text[4096];
    memset(text, 'a', sizeof text);
    CmArena arena;
    cm_arena_init(&arena, 1 << 16);
    BiCtx cx = { .arena = &arena };
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        Value args[2] = { v_str(text, sizeof text), v_str(patterns[i], (uint32_t)strlen(patterns[i])) };
        Value out;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        bool ok = builtin_call(&cx, BI_matches, args, 2, &out);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("%-32s %8.1f ms  %s\n", patterns[i], ms, ok ? "" : cx.error);
        cm_arena_reset(&arena);
    }
    builtin_ctx_free(&cx);
    cm_arena_free(&arena);
    return 0;
}
