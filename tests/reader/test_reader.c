/* The record reader: NDJSON, JSON arrays and CSV; only registered paths
 * extracted; malformed records reported and skipped; records split across
 * read blocks; the size cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "reader.h"

static int failures;

#define CHECK(cond, ...) do {                                   \
        if (!(cond)) {                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
            printf(__VA_ARGS__);                                \
            printf("\n");                                       \
            failures++;                                         \
        }                                                       \
    } while (0)

enum { EMAIL, INTEREST, PRODUCTS, VISIT, VISIT_ID, NSLOTS };

static RdPaths *paths(void)
{
    RdPaths *p = rd_paths_new();
    const char *email[] = { "email" }, *interest[] = { "answers", "q_interest" },
               *products[] = { "answers", "q_products" }, *visit[] = { "visitreport" },
               *visit_id[] = { "visitreport", "id" };
    rd_paths_add(p, email, 1, false);
    rd_paths_add(p, interest, 2, false);
    rd_paths_add(p, products, 2, true);
    rd_paths_add(p, visit, 1, false);
    rd_paths_add(p, visit_id, 2, false);
    return p;
}

static FILE *input(const char *text)
{
    FILE *f = tmpfile();
    fputs(text, f);
    rewind(f);
    return f;
}

static bool str_is(const Value *v, const char *s)
{
    return v->type == V_STR && v->len == strlen(s) && memcmp(v->u.str, s, v->len) == 0;
}

/* Reads every record; writes one line per record to out: "N ok email|..." or
 * "N bad: reason". */
static void read_all(const char *text, RdFormat fmt, char *out, size_t outlen)
{
    RdPaths *p = paths();
    FILE *f = input(text);
    Reader *r = rd_open(f, fmt, p);
    CmArena arena;
    cm_arena_init(&arena, 1024);
    Value slots[NSLOTS];
    size_t at = 0;
    out[0] = '\0';
    for (int guard = 0; guard < 100; guard++) {
        cm_arena_reset(&arena);
        RdStatus st = rd_next(r, slots, &arena);
        if (st == RD_END)
            break;
        if (st == RD_FATAL) {
            at += (size_t)snprintf(out + at, outlen - at, "fatal: %s\n", rd_error(r));
            break;
        }
        if (st == RD_BAD_RECORD) {
            at += (size_t)snprintf(out + at, outlen - at, "%zu bad\n", rd_record_number(r));
            continue;
        }
        at += (size_t)snprintf(out + at, outlen - at, "%zu", rd_record_number(r));
        for (int i = 0; i < NSLOTS; i++) {
            const Value *v = &slots[i];
            switch (v->type) {
            case V_NULL: at += (size_t)snprintf(out + at, outlen - at, " -"); break;
            case V_STR: at += (size_t)snprintf(out + at, outlen - at, " '%.*s'", (int)v->len, v->u.str); break;
            case V_NUM: at += (size_t)snprintf(out + at, outlen - at, " %g", v->u.num); break;
            case V_BOOL: at += (size_t)snprintf(out + at, outlen - at, " %s", v->u.b ? "T" : "F"); break;
            case V_OBJECT: at += (size_t)snprintf(out + at, outlen - at, " {}"); break;
            case V_LIST:
                at += (size_t)snprintf(out + at, outlen - at, " [");
                for (uint32_t j = 0; j < v->len; j++)
                    at += (size_t)snprintf(out + at, outlen - at, "%s'%.*s'", j ? "," : "",
                                           (int)v->u.items[j].len, v->u.items[j].u.str);
                at += (size_t)snprintf(out + at, outlen - at, "]");
                break;
            default: break;
            }
        }
        at += (size_t)snprintf(out + at, outlen - at, "\n");
    }
    cm_arena_free(&arena);
    rd_close(r);
    fclose(f);
    rd_paths_free(p);
}

static void expect(const char *name, const char *text, RdFormat fmt, const char *want)
{
    char got[4096];
    read_all(text, fmt, got, sizeof got);
    CHECK(strcmp(got, want) == 0, "%s:\n--- want\n%s--- got\n%s", name, want, got);
}

static void test_formats(void)
{
    expect("ndjson",
           "{\"email\": \"a@b\", \"x\": [1, {\"y\": null}], \"answers\": {\"q_interest\": \"hot\", \"q_products\": [\"crm\", \"bi\"]}}\n"
           "\n"
           "{\"visitreport\": {\"id\": 7, \"title\": \"x\"}, \"email\": \"caf\\u00e9 \\\"q\\\"\"}\r\n"
           "{\"email\": \"x\"} trailing\n"
           "[1]\n"
           "{\"email\": \"\\ud83d\\ude00\", \"answers\": 5}",
           RD_AUTO,
           "1 'a@b' 'hot' ['crm','bi'] - -\n"
           "2 'café \"q\"' - - {} 7\n"
           "3 bad\n"
           "4 bad\n"
           "5 '\xF0\x9F\x98\x80' - - - -\n");
    expect("json array",
           " [ {\"email\": \"a\"},\n{\"email\": \"b\", \"answers\": {\"q_products\": []}} , {\"email\": 1 2}, {\"email\": true} ]",
           RD_AUTO,
           "1 'a' - - - -\n"
           "2 'b' - [] - -\n"
           "3 bad\n"
           "4 T - - - -\n");
    expect("json array not closed", "[{\"email\": \"a\"}", RD_AUTO, "1 'a' - - - -\nfatal: the JSON array is not closed\n");
    expect("json array garbage", "[{\"email\": \"a\"} x", RD_AUTO, "1 'a' - - - -\nfatal: expected ',' or ']' after record 1\n");
    expect("csv",
           "email,answers.q_products,answers.q_interest,other\r\n"
           "a@b,crm;bi,\"hot, really\",1\r\n"
           "\"multi\nline\",,\"say \"\"hi\"\"\",2\n"
           "short,row\n"
           "last,erp,,3",
           RD_AUTO,
           "1 'a@b' 'hot, really' ['crm','bi'] - -\n"
           "2 'multi\nline' 'say \"hi\"' - - -\n"
           "3 bad\n"
           "4 'last' - ['erp'] - -\n");
    expect("csv unterminated quote", "email\n\"abc\n", RD_CSV, "fatal: malformed CSV: an unterminated quote, text after a closing quote, or more than 4096 cells\n");
    expect("empty input", "", RD_AUTO, "");
    expect("bad utf-8", "{\"email\": \"\xC3\x28\"}\n{\"email\": \"ok\"}\n", RD_AUTO, "1 bad\n2 'ok' - - - -\n");
    expect("deep nesting", "{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]}\n{\"email\": \"z\"}\n",
           RD_AUTO, "1 bad\n2 'z' - - - -\n");
}

/* Records spanning the 64 KiB read blocks, and one over the size cap. */
static void test_big_input(void)
{
    RdPaths *p = paths();
    FILE *f = tmpfile();
    char pad[3000];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < 500; i++)
        fprintf(f, "{\"pad\": \"%s\", \"email\": \"r%d\"}\n", pad, i + 1);
    fputs("{\"pad\": \"", f);
    for (unsigned i = 0; i < RD_MAX_RECORD / 1000 + 10; i++)
        fprintf(f, "%.1000s", pad);
    fputs("\"}\n{\"email\": \"after\"}\n", f);
    rewind(f);
    Reader *r = rd_open(f, RD_AUTO, p);
    CmArena arena;
    cm_arena_init(&arena, 1024);
    Value slots[NSLOTS];
    int ok = 0;
    bool order = true, saw_big = false, saw_after = false;
    for (int guard = 0; guard < 1000; guard++) {
        RdStatus st = rd_next(r, slots, &arena);
        if (st == RD_END || st == RD_FATAL)
            break;
        if (st == RD_BAD_RECORD) {
            saw_big = rd_record_number(r) == 501 && strstr(rd_error(r), "larger than") != NULL;
            continue;
        }
        char want[32];
        snprintf(want, sizeof want, "r%zu", rd_record_number(r));
        if (rd_record_number(r) == 502)
            saw_after = str_is(&slots[EMAIL], "after");
        else if (!str_is(&slots[EMAIL], want))
            order = false;
        ok++;
    }
    CHECK(ok == 501 && order, "500 records across read blocks, in order (%d)", ok);
    CHECK(saw_big, "a record over the cap is a bad record, numbered");
    CHECK(saw_after, "reading goes on after it");
    cm_arena_free(&arena);
    rd_close(r);
    fclose(f);
    rd_paths_free(p);
}

int main(void)
{
    test_formats();
    test_big_input();
    if (failures == 0)
        printf("ok\n");
    return failures != 0;
}
