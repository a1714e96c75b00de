/* Nanoseconds per call of the builtins a lead mapping uses most, on typical
 * values: the figures in the builtins' report. Build and run from the
 * repository root after a Release build in build-rel:
 *   cc -O2 -D_POSIX_C_SOURCE=200809L -Iruntime/base -Iruntime/vm bench/builtins_speed.c \
 *      build-rel/libcrmmap_vm.a -lcrypto -lz -lm -o /tmp/builtins_speed
 *   /tmp/builtins_speed */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builtins.h"

#define S(text) v_str(text, (uint32_t)(sizeof text - 1))

typedef struct Bench {
    const char *label;
    BuiltinId id;
    Value args[3];
    size_t nargs;
} Bench;

int main(void)
{
    const Bench benches[] = {
        { "trim(\" Anna.Berger@Example.com \")", BI_trim, { S(" Anna.Berger@Example.com ") }, 1 },
        { "lower(\"Anna.Berger@Example.com\")", BI_lower, { S("Anna.Berger@Example.com") }, 1 },
        { "upper(\"Jürgen Müller-Lüdenscheidt\")", BI_upper, { S("Jürgen Müller-Lüdenscheidt") }, 1 },
        { "title(\"jürgen müller\")", BI_title, { S("jürgen müller") }, 1 },
        { "truncate(500 chars, 255)", BI_truncate, { { 0 }, v_num(255) }, 2 },
        { "e164(\"+49 (0)89 123 45-67\", \"DE\")", BI_e164, { S("+49 (0)89 123 45-67"), S("DE") }, 2 },
        { "date(\"29.03.2026\", \"DD.MM.YYYY\")", BI_date, { S("29.03.2026"), S("DD.MM.YYYY") }, 2 },
        { "datetime(ISO, \"\", \"Europe/Berlin\")", BI_datetime,
          { S("2026-03-29T12:00:00"), S(""), S("Europe/Berlin") }, 3 },
        { "minutes(\"PT1H30M\")", BI_minutes, { S("PT1H30M") }, 1 },
        { "street_name(\"Hauptstr. 12a\")", BI_street_name, { S("Hauptstr. 12a") }, 1 },
        { "hash(email, \"12345\")", BI_hash, { S("anna.berger@example.com"), S("12345") }, 2 },
        { "matches(email, pattern)", BI_matches,
          { S("anna.berger@example.com"), S("^[^@ ]+@[^@ ]+\\.[a-z]{2,}$") }, 2 },
        { "number(\"1.234,50\")", BI_number, { S("1.234,50") }, 1 },
    };
    static char long_text[1000];
    for (size_t i = 0; i < 250; i++)
        memcpy(long_text + 2 * i, "\xc3\xa4", 2);       /* 250 × ä, 500 bytes */
    CmArena arena;
    cm_arena_init(&arena, 1 << 16);
    BiCtx cx = { .arena = &arena, .now = 1763805600 };
    enum { N = 200000 };
    for (size_t b = 0; b < sizeof benches / sizeof benches[0]; b++) {
        Bench bench = benches[b];
        if (bench.id == BI_truncate)
            bench.args[0] = v_str(long_text, 500);
        Value out;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < N; i++) {
            if (!builtin_call(&cx, bench.id, bench.args, bench.nargs, &out)) {
                fprintf(stderr, "%s: %s\n", bench.label, cx.error);
                return 1;
            }
            if ((i & 1023) == 0)
                cm_arena_reset(&arena);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N;
        printf("%-44s %7.0f ns\n", bench.label, ns);
    }
    builtin_ctx_free(&cx);
    cm_arena_free(&arena);
    return 0;
}
