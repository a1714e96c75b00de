/* reader_bench: reads every record of a file (or - for stdin) with the
 * record reader and walks its whole tree, touching every value; with
 * --print it also writes each record back as compact JSON (what `jq -c .`
 * does), for a like-for-like comparison. Prints counts on stderr.
 * Usage: reader_bench [--print] [--format auto|ndjson|json|csv] FILE|- */
#include <stdio.h>
#include <string.h>

#include "reader.h"

static char out_buf[1 << 16];

static void put_string(FILE *out, const char *s, size_t n)
{
    putc('"', out);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(s + from, 1, i - from, out);
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else
            fprintf(out, "\\u%04x", c);
        from = i + 1;
    }
    fwrite(s + from, 1, n - from, out);
    putc('"', out);
}

/* Walks n; returns the number of values seen. */
static size_t walk(const Reader *r, RdNode n, FILE *out, size_t *bytes)
{
    size_t len, seen = 1;
    const char *t;
    RdKind kind = rd_kind(r, n);
    switch (kind) {
    case RDK_NULL: if (out) fputs("null", out); break;
    case RDK_BOOL: if (out) fputs(rd_bool(r, n) ? "true" : "false", out); break;
    case RDK_NUM:
    case RDK_STR:
        t = rd_text(r, n, &len);
        *bytes += len;
        if (out && kind == RDK_NUM)
            fwrite(t, 1, len, out);
        else if (out)
            put_string(out, t, len);
        break;
    case RDK_ARRAY:
    case RDK_OBJECT: {
        if (out)
            putc(kind == RDK_OBJECT ? '{' : '[', out);
        bool first = true;
        for (RdNode c = rd_first(r, n); c != RD_NONE; c = rd_next_sibling(r, c)) {
            if (out && !first)
                putc(',', out);
            first = false;
            if (kind == RDK_OBJECT) {
                t = rd_key(r, c, &len);
                *bytes += len;
                if (out) {
                    put_string(out, t, len);
                    putc(':', out);
                }
            }
            seen += walk(r, c, out, bytes);
        }
        if (out)
            putc(kind == RDK_OBJECT ? '}' : ']', out);
        break;
    }
    }
    return seen;
}

int main(int argc, char **argv)
{
    bool print = false;
    RdFormat fmt = RD_AUTO;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--print") == 0)
            print = true;
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc && rd_format_parse(argv[i + 1], &fmt))
            i++;
        else if (path == NULL)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (path == NULL) {
        fprintf(stderr, "usage: reader_bench [--print] [--format auto|ndjson|json|csv] FILE|-\n");
        return 2;
    }
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (in == NULL) {
        perror(path);
        return 1;
    }
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    Reader *r = rd_open(in, fmt, NULL);
    size_t records = 0, bad = 0, values = 0, bytes = 0;
    RdStatus st;
    while ((st = rd_read(r)) != RD_END && st != RD_FATAL) {
        if (st == RD_BAD_RECORD) {
            bad++;
            continue;
        }
        records++;
        values += walk(r, rd_root(r), print ? stdout : NULL, &bytes);
        if (print)
            putc('\n', stdout);
    }
    fflush(stdout);
    fprintf(stderr, "%zu records, %zu bad, %zu values, %zu bytes of text%s%s\n", records, bad, values, bytes,
            st == RD_FATAL ? "; fatal: " : "", st == RD_FATAL ? rd_error(r) : "");
    rd_close(r);
    if (in != stdin)
        fclose(in);
    return st == RD_FATAL ? 1 : 0;
}
