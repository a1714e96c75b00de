/* Compile + verify + load of a mapping inside one process, without the
 * process start that `crmmap compile` and `crmmap run` also pay (dynamic
 * linking of libcurl, OpenSSL and SQLite alone takes milliseconds). Each
 * round reads the .map, parses, loads the schemas and users, checks,
 * generates the bytecode, and loads and verifies it as `run` does; then the
 * load and verify of the bytes alone. Prints medians of wall clock and CPU
 * time. Build and run from the repository root after a Release build in
 * build-rel:
 *   cc -O2 -D_POSIX_C_SOURCE=200809L -Icli -Icompiler -Iruntime bench/load_speed.c \
 *      build-rel/libcrmmap_cli.a build-rel/libcrmmap_compiler.a build-rel/libcrmmap_runtime.a \
 *      -lcurl -lcrypto -lcjson -lsqlite3 -lz -lm -o /tmp/load_speed
 *   /tmp/load_speed examples/salesforce/fair-leads.map [ROUNDS] 2>/dev/null
 * (each round renders the mapping's warnings on stderr, as `compile` does). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "mapc_cli.h"

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: load_speed FILE.map [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    if (rounds < 1 || rounds > 100000)
        rounds = 200;
    double *wall = malloc(sizeof *wall * (size_t)rounds), *cpu = malloc(sizeof *cpu * (size_t)rounds);
    double *lwall = malloc(sizeof *lwall * (size_t)rounds), *lcpu = malloc(sizeof *lcpu * (size_t)rounds);
    size_t size = 0;
    for (int i = 0; i < rounds; i++) {
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        CmBuf bytes = CM_BUF_INIT;
        if (mapc_cli_compile(argv[1], DIAG_TEXT, &bytes) != EXIT_OK)
            return 1;
        char err[300];
        double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_PROCESS_CPUTIME_ID);
        Mapc *m = mapc_load((const uint8_t *)bytes.data, bytes.len, err, sizeof err);
        double w2 = now(CLOCK_MONOTONIC), c2 = now(CLOCK_PROCESS_CPUTIME_ID);
        if (m == NULL) {
            fprintf(stderr, "%s: %s\n", argv[1], err);
            return 1;
        }
        wall[i] = w2 - w0;
        cpu[i] = c2 - c0;
        lwall[i] = w2 - w1;
        lcpu[i] = c2 - c1;
        size = bytes.len;
        mapc_free(m);
        cm_buf_free(&bytes);
    }
    printf("%s: %zu bytes of bytecode, median of %d rounds\n", argv[1], size, rounds);
    printf("  compile + verify + load: %.3f ms wall, %.3f ms CPU\n", median(wall, rounds) * 1e3,
           median(cpu, rounds) * 1e3);
    printf("  verify + load alone:     %.3f ms wall, %.3f ms CPU\n", median(lwall, rounds) * 1e3,
           median(lcpu, rounds) * 1e3);
    free(wall);
    free(cpu);
    free(lwall);
    free(lcpu);
    return 0;
}
