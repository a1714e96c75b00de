/* Streaming: a million NDJSON records through a pipe, then 100,000 as a
 * JSON array and as CSV, with memory that does not grow. A child process writes the
 * records; the reader's peak resident size is taken once the largest
 * record (900 KB, early in the stream) has been read and again at the end:
 * the two must agree within 1 MiB. (Under AddressSanitizer the freed-memory
 * quarantine makes RSS meaningless: 200,000 records are read and checked,
 * RSS is not.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "reader.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

enum { BIG_AT = 10, WARM = 20000 };

static int failures;

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void write_records(FILE *out, RdFormat fmt, long records)
{
    static char big[900 * 1000];
    memset(big, 'x', sizeof big - 1);
    if (fmt == RD_JSON_ARRAY)
        fputs("[\n", out);
    if (fmt == RD_CSV)
        fputs("email,answers.q_interest,answers.q_products,n\r\n", out);
    for (long i = 1; i <= records; i++) {
        const char *pad = i == BIG_AT ? big : "";
        if (fmt == RD_CSV)
            fprintf(out, "lead%ld@example.com%s,\"hot, \"\"very\"\"\",crm;bi,%ld\r\n", i, pad, i);
        else
            fprintf(out, "%s{\"email\": \"lead%ld@example.com%s\", \"answers\": {\"q_interest\": \"J\\u00fcrgen\", "
                         "\"q_products\": [\"crm\", \"bi\"]}, \"n\": %ld}\n",
                    fmt == RD_JSON_ARRAY && i > 1 ? "," : "", i, pad, i);
    }
    if (fmt == RD_JSON_ARRAY)
        fputs("]\n", out);
}

static void stream(RdFormat fmt, const char *name, long records)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        write_records(out, fmt, records);
        fclose(out);
        _exit(0);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    RdPaths *paths = rd_paths_new();
    const char *email[] = { "email" }, *products[] = { "answers", "q_products" }, *n[] = { "n" };
    size_t s_email = rd_paths_add(paths, email, 1, false);
    size_t s_products = rd_paths_add(paths, products, 2, true);
    size_t s_n = rd_paths_add(paths, n, 1, false);
    Reader *r = rd_open(in, fmt, paths);
    CmArena arena;
    cm_arena_init(&arena, 4096);
    Value slots[3];
    long count = 0, wrong = 0, warm_kb = 0;
    char want[64];
    RdStatus st;
    while ((st = rd_next(r, slots, &arena)) == RD_RECORD) {
        count++;
        int len = snprintf(want, sizeof want, "lead%ld@example.com", count);
        const Value *e = &slots[s_email];
        if (e->type != V_STR || (count != BIG_AT && (e->len != (uint32_t)len || memcmp(e->u.str, want, (size_t)len) != 0))
            || slots[s_products].type != V_LIST || slots[s_products].len != 2
            || rd_kind(r, rd_get_path(r, "answers.q_interest")) != RDK_STR)
            wrong++;
        if (fmt != RD_CSV && (slots[s_n].type != V_NUM || slots[s_n].u.num != (double)count))
            wrong++;
        if (count == WARM)
            warm_kb = peak_rss_kb();
        cm_arena_reset(&arena);
    }
    long end_kb = peak_rss_kb();
    if (st != RD_END || count != records || wrong) {
        printf("FAIL %s: status %d after %ld records (%ld wrong): %s\n", name, st, count, wrong, rd_error(r));
        failures++;
    }
    if (!UNDER_ASAN && end_kb - warm_kb > 1024) {
        printf("FAIL %s: peak RSS grew from %ld KB to %ld KB while streaming\n", name, warm_kb, end_kb);
        failures++;
    }
    printf("%s: %ld records, peak RSS %ld KB after %d records, %ld KB at the end%s\n", name, count, warm_kb, WARM,
           end_kb, UNDER_ASAN ? " (not checked under ASan)" : "");
    cm_arena_free(&arena);
    rd_close(r);
    rd_paths_free(paths);
    fclose(in);
    int status;
    waitpid(pid, &status, 0);
}

int main(void)
{
    stream(RD_NDJSON, "ndjson", UNDER_ASAN ? 200000 : 1000000);
    stream(RD_JSON_ARRAY, "json array", 100000);
    stream(RD_CSV, "csv", 100000);
    return failures ? 1 : 0;
}
