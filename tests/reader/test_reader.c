/* The record reader: every record of an input dumped as a line (the tree as
 * compact JSON, or the error with its position) and compared with what the
 * formats' specifications say it must be; then the slot interface the VM
 * uses, records across read blocks, and the size cap for each format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "reader.h"

static int failures, checks;

#define CHECK(cond, ...) do {                                   \
        checks++;                                               \
        if (!(cond)) {                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
            printf(__VA_ARGS__);                                \
            printf("\n");                                       \
            failures++;                                         \
        }                                                       \
    } while (0)

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static FILE *input(const char *text, size_t n)
{
    FILE *f = tmpfile();
    fwrite(text, 1, n, f);
    rewind(f);
    return f;
}

/* Strings are written with only '"', '\' and control bytes escaped, so
 * expectations stay readable. */
static void dump_str(CmBuf *b, const char *s, size_t n)
{
    cm_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            cm_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            cm_buf_printf(b, "\\u%04x", c);
        else
            cm_buf_putc(b, (char)c);
    }
    cm_buf_putc(b, '"');
}

static void dump_node(const Reader *r, RdNode n, CmBuf *b)
{
    size_t len;
    const char *t;
    switch (rd_kind(r, n)) {
    case RDK_NULL: cm_buf_puts(b, "null"); break;
    case RDK_BOOL: cm_buf_puts(b, rd_bool(r, n) ? "true" : "false"); break;
    case RDK_NUM: t = rd_text(r, n, &len); cm_buf_put(b, t, len); break;
    case RDK_STR: t = rd_text(r, n, &len); dump_str(b, t, len); break;
    case RDK_ARRAY:
    case RDK_OBJECT: {
        bool obj = rd_kind(r, n) == RDK_OBJECT;
        cm_buf_putc(b, obj ? '{' : '[');
        size_t count = 0;
        for (RdNode c = rd_first(r, n); c != RD_NONE; c = rd_next_sibling(r, c)) {
            if (count++)
                cm_buf_putc(b, ',');
            if (obj) {
                t = rd_key(r, c, &len);
                dump_str(b, t, len);
                cm_buf_putc(b, ':');
            }
            dump_node(r, c, b);
        }
        if (count != rd_count(r, n))
            cm_buf_puts(b, "<count mismatch>");
        cm_buf_putc(b, obj ? '}' : ']');
        break;
    }
    }
}

/* One line per record: "N {tree}", "N bad L:C msg", or "fatal L:C msg". */
static char *dump_all(const char *text, size_t n, RdFormat fmt)
{
    FILE *f = input(text, n);
    Reader *r = rd_open(f, fmt, NULL);
    CmBuf out = CM_BUF_INIT;
    for (int guard = 0; guard < 10000; guard++) {
        RdStatus st = rd_read(r);
        if (st == RD_END)
            break;
        size_t line, col;
        rd_error_pos(r, &line, &col);
        if (st == RD_FATAL) {
            cm_buf_printf(&out, "fatal %zu:%zu %s\n", line, col, rd_error(r));
            break;
        }
        if (st == RD_BAD_RECORD) {
            if (rd_root(r) != RD_NONE)
                cm_buf_puts(&out, "(a bad record has a tree) ");
            cm_buf_printf(&out, "%zu bad %zu:%zu %s\n", rd_record_number(r), line, col, rd_error(r));
            continue;
        }
        cm_buf_printf(&out, "%zu ", rd_record_number(r));
        dump_node(r, rd_root(r), &out);
        cm_buf_putc(&out, '\n');
    }
    rd_close(r);
    fclose(f);
    return cm_buf_take(&out);
}

static void expect_n(const char *name, const char *text, size_t n, RdFormat fmt, const char *want)
{
    char *got = dump_all(text, n, fmt);
    CHECK(strcmp(got, want) == 0, "%s:\n--- want\n%s--- got\n%s", name, want, got);
    cm_free(got);
}

static void expect(const char *name, const char *text, RdFormat fmt, const char *want)
{
    expect_n(name, text, strlen(text), fmt, want);
}

static void test_ndjson(void)
{
    expect("ndjson basic",
           "{\"email\": \"a@b.c\", \"answers\": {\"q_interest\": \"hot\", \"q_products\": [\"crm\", \"bi\"]}}\n"
           "\n   \t\n"
           "{\"n\": -1.5e3, \"t\": true, \"f\": false, \"z\": null, \"e\": {}, \"a\": []}\r\n"
           "  {\"last\": \"no newline\"}  ",
           RD_AUTO,
           "1 {\"email\":\"a@b.c\",\"answers\":{\"q_interest\":\"hot\",\"q_products\":[\"crm\",\"bi\"]}}\n"
           "2 {\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,\"e\":{},\"a\":[]}\n"
           "3 {\"last\":\"no newline\"}\n");
    expect("empty input", "", RD_AUTO, "");
    expect("blank input", " \n\r\n\t", RD_AUTO, "");
    expect("empty ndjson", "", RD_NDJSON, "");
    expect("bom", "\xEF\xBB\xBF{\"a\": 1}\n{\"b\": x}\n", RD_AUTO,
           "1 {\"a\":1}\n"
           "2 bad 2:7 expected a value (string, number, object, array, true, false or null)\n");
    expect("syntax errors are bad records, reading goes on",
           "{\"a\": 1,}\n"
           "{\"a\" 1}\n"
           "{\"a\": [1 2]}\n"
           "{a: 1}\n"
           "{\"a\": 1} {}\n"
           "{\"a\": tru}\n"
           "{\"a\": \"b\"\n"
           "{\"ok\": 1}\n",
           RD_NDJSON,
           "1 bad 1:9 expected a member name (a string) after ','\n"
           "2 bad 2:6 expected ':' after a member name\n"
           "3 bad 3:10 expected ',' or ']' after an array item\n"
           "4 bad 4:2 expected a member name (a string) or '}'\n"
           "5 bad 5:10 text after the record (one JSON object per line)\n"
           "6 bad 6:7 expected a value (string, number, object, array, true, false or null)\n"
           "7 bad 7:10 the record ends early: expected ',' or '}' after an object member\n"
           "8 {\"ok\":1}\n");
    expect("not an object",
           "[1, 2]\n\"s\"\n42\n[1,\n{\"ok\": true}\n", RD_NDJSON,
           "1 bad 1:1 a record must be a JSON object, not an array\n"
           "2 bad 2:1 a record must be a JSON object, not a single value\n"
           "3 bad 3:1 a record must be a JSON object, not a single value\n"
           "4 bad 4:4 the record ends early: expected a value\n"
           "5 {\"ok\":true}\n");
    expect("truncated at the end", "{\"a\": {\"b\": \"c", RD_AUTO,
           "1 bad 1:15 the record ends early: unterminated string\n");
    expect("duplicate keys are kept in the tree", "{\"a\": 1, \"a\": 2}\n", RD_AUTO,
           "1 {\"a\":1,\"a\":2}\n");
}

static void test_strings(void)
{
    expect("escapes",
           "{\"s\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0041\\u00e9\\u20AC \\ud83d\\ude00\"}\n"
           "{\"nul\": \"a\\u0000b\", \"k\\u00e9y\": 1}\n",
           RD_AUTO,
           "1 {\"s\":\"q\\\" b\\\\ s/ \\u0008\\u000c\\u000a\\u000d\\u0009 A\xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80\"}\n"
           "2 {\"nul\":\"a\\u0000b\",\"k\xC3\xA9y\":1}\n");
    expect("raw UTF-8", "{\"name\": \"J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80\"}", RD_AUTO,
           "1 {\"name\":\"J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80\"}\n");
    expect("bad escapes and surrogates",
           "{\"s\": \"\\x\"}\n"
           "{\"s\": \"\\u12G4\"}\n"
           "{\"s\": \"\\ud800\"}\n"
           "{\"s\": \"\\udc00\"}\n"
           "{\"s\": \"\\ud800\\u0041\"}\n"
           "{\"s\": \"\\ud800x\"}\n"
           "{\"s\": \"\\uDBFF\\uDFFF\"}\n",
           RD_AUTO,
           "1 bad 1:8 unknown escape in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)\n"
           "2 bad 2:8 \\u must be followed by 4 hex digits\n"
           "3 bad 3:8 lone high surrogate \\uD800 in a string (a low surrogate \\uDC00-\\uDFFF must follow)\n"
           "4 bad 4:8 lone low surrogate \\uDC00 in a string\n"
           "5 bad 5:8 lone high surrogate \\uD800 in a string (a low surrogate \\uDC00-\\uDFFF must follow)\n"
           "6 bad 6:8 lone high surrogate \\uD800 in a string (a low surrogate \\uDC00-\\uDFFF must follow)\n"
           "7 {\"s\":\"\xF4\x8F\xBF\xBF\"}\n");
    expect("invalid UTF-8",
           "{\"s\": \"\xC3\x28\"}\n"              /* bad continuation */
           "{\"s\": \"\xC0\xAF\"}\n"              /* overlong '/' */
           "{\"s\": \"\xED\xA0\x80\"}\n"          /* a surrogate, encoded */
           "{\"s\": \"\xF4\x90\x80\x80\"}\n"      /* above U+10FFFF */
           "{\"s\": \"ab\xE2\x82\"}\n"            /* truncated sequence */
           "{\"\xFF\": 1}\n"                      /* in a key */
           "{\"s\": \"ok\"}\n",
           RD_AUTO,
           "1 bad 1:8 invalid UTF-8 byte 0xC3 in a string\n"
           "2 bad 2:8 invalid UTF-8 byte 0xC0 in a string\n"
           "3 bad 3:8 invalid UTF-8 byte 0xED in a string\n"
           "4 bad 4:8 invalid UTF-8 byte 0xF4 in a string\n"
           "5 bad 5:10 invalid UTF-8 byte 0xE2 in a string\n"
           "6 bad 6:3 invalid UTF-8 byte 0xFF in a string\n"
           "7 {\"s\":\"ok\"}\n");
    expect("control characters",
           "{\"s\": \"a\tb\"}\n{\"s\": \"a\\\tb\"}\n", RD_AUTO,
           "1 bad 1:9 control character in a string (escape it as \\u00XX)\n"
           "2 bad 2:9 unknown escape in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)\n");
}

static void test_numbers(void)
{
    expect("numbers",
           "{\"a\": [0, -0, 1, -1, 1.5, 1e3, 1E+3, 2e-2, 0.0, -0.5e-10, 123456789012345678901234567890]}\n"
           "{\"a\": 01}\n{\"a\": 1.}\n{\"a\": .5}\n{\"a\": -}\n{\"a\": +1}\n{\"a\": 1e}\n{\"a\": 0x10}\n"
           "{\"a\": 1e400}\n{\"a\": -1e400}\n{\"a\": 1e-400}\n{\"a\": NaN}\n",
           RD_AUTO,
           "1 {\"a\":[0,-0,1,-1,1.5,1e3,1E+3,2e-2,0.0,-0.5e-10,123456789012345678901234567890]}\n"
           "2 bad 2:7 a number must not start with 0 (leading zeros are not JSON)\n"
           "3 bad 3:9 expected a digit after '.' in a number\n"
           "4 bad 4:7 expected a value (string, number, object, array, true, false or null)\n"
           "5 bad 5:7 expected a value (string, number, object, array, true, false or null)\n"
           "6 bad 6:7 expected a value (string, number, object, array, true, false or null)\n"
           "7 bad 7:9 expected a digit in a number's exponent\n"
           "8 bad 8:8 expected ',' or '}' after an object member\n"
           "9 bad 9:7 number 1e400 is out of range\n"
           "10 bad 10:7 number -1e400 is out of range\n"
           "11 {\"a\":1e-400}\n"
           "12 bad 12:7 expected a value (string, number, object, array, true, false or null)\n");
    /* the double beside the text */
    const char *text = "{\"big\": 123456789012345678901234567890, \"x\": -2.5e-3, \"i\": 42}";
    FILE *f = input(text, strlen(text));
    Reader *r = rd_open(f, RD_AUTO, NULL);
    CHECK(rd_read(r) == RD_RECORD, "numbers record");
    CHECK(rd_num(r, rd_get_path(r, "big")) == 1.2345678901234568e29, "big number as double");
    CHECK(rd_num(r, rd_get_path(r, "x")) == -2.5e-3, "small number as double");
    CmArena arena;
    cm_arena_init(&arena, 256);
    Value v = rd_value(r, rd_get_path(r, "i"), &arena);
    CHECK(v.type == V_NUM && v.u.num == 42, "rd_value of a number");
    cm_arena_free(&arena);
    CHECK(rd_read(r) == RD_END, "numbers end");
    rd_close(r);
    fclose(f);
}

static char *nested(unsigned depth, const char *open, const char *close)
{
    CmBuf b = CM_BUF_INIT;
    cm_buf_puts(&b, "{\"a\": ");
    for (unsigned i = 1; i < depth; i++)
        cm_buf_puts(&b, open);
    cm_buf_puts(&b, "1");
    for (unsigned i = 1; i < depth; i++)
        cm_buf_puts(&b, close);
    cm_buf_puts(&b, "}\n");
    return cm_buf_take(&b);
}

static void test_depth_and_values(void)
{
    /* the record is level 1: RD_MAX_DEPTH levels are fine, one more is not */
    char *ok = nested(RD_MAX_DEPTH, "[", "]"), *deep = nested(RD_MAX_DEPTH + 1, "{\"b\": ", "}");
    CmBuf in = CM_BUF_INIT;
    cm_buf_puts(&in, ok);
    cm_buf_puts(&in, deep);
    cm_buf_puts(&in, "{\"after\": 1}\n");
    char *got = dump_all(in.data, in.len, RD_AUTO);
    CHECK(starts_with(got, "1 {\"a\":[[["), "depth %u is fine: %.60s", RD_MAX_DEPTH, got);
    char want[200];
    snprintf(want, sizeof want, "2 bad 2:%u nested deeper than %u levels\n3 {\"after\":1}\n",
             7 + 6 * (RD_MAX_DEPTH - 1), RD_MAX_DEPTH);
    CHECK(strstr(got, want) != NULL, "one level deeper is a bad record; want\n%sgot\n%s", want, strchr(got, '\n') + 1);
    cm_free(got);
    cm_free(ok);
    cm_free(deep);

    /* a million brackets: bounded by depth, not by the stack */
    cm_buf_clear(&in);
    cm_buf_puts(&in, "{\"a\": ");
    for (int i = 0; i < 400000; i++)
        cm_buf_putc(&in, '[');
    cm_buf_puts(&in, "\n{\"b\": 2}\n");
    got = dump_all(in.data, in.len, RD_AUTO);
    CHECK(strcmp(got, "1 bad 1:70 nested deeper than 64 levels\n2 {\"b\":2}\n") == 0, "brackets: %s", got);
    cm_free(got);

    /* RD_MAX_VALUES values in one record, then one more */
    for (int extra = 0; extra < 2; extra++) {
        cm_buf_clear(&in);
        cm_buf_puts(&in, "{\"a\": [0");
        for (unsigned i = 2; i < RD_MAX_VALUES - 1 + (unsigned)extra; i++)
            cm_buf_puts(&in, ",0");
        cm_buf_puts(&in, "]}\n");
        got = dump_all(in.data, in.len, RD_NDJSON);
        if (extra)
            CHECK(strstr(got, "1 bad 1:") && strstr(got, "more than 262144 values"), "values cap: %.80s", got);
        else
            CHECK(starts_with(got, "1 {\"a\":[0,0"), "values at the cap: %.80s", got);
        cm_free(got);
    }
    cm_buf_free(&in);
}

static void test_json_array(void)
{
    expect("array",
           "\xEF\xBB\xBF [\n"
           "  {\"a\": 1},\n"
           "  {\"b\": [\"x\", {\"c\": null}]}  ,{\"e\": \"]}\\\"\"}\n"
           "]\n",
           RD_AUTO,
           "1 {\"a\":1}\n"
           "2 {\"b\":[\"x\",{\"c\":null}]}\n"
           "3 {\"e\":\"]}\\\"\"}\n");
    expect("empty array", " [ \n ] ", RD_AUTO, "");
    expect("empty input as array", "", RD_JSON_ARRAY, "fatal 1:1 the input is empty, expected a JSON array\n");
    expect("not an array", "{\"a\": 1}", RD_JSON_ARRAY, "fatal 1:1 the input is not a JSON array (expected '[')\n");
    expect("bad values are bad records, reading goes on",
           "[{\"a\": \"\\ud800\"},\n 7, [1], \"s\", {\"n\": 1e999}, {\"ok\": 1}]",
           RD_AUTO,
           "1 bad 1:9 lone high surrogate \\uD800 in a string (a low surrogate \\uDC00-\\uDFFF must follow)\n"
           "2 bad 2:2 a record must be a JSON object, not a single value\n"
           "3 bad 2:5 a record must be a JSON object, not an array\n"
           "4 bad 2:10 a record must be a JSON object, not a single value\n"
           "5 bad 2:21 number 1e999 is out of range\n"
           "6 {\"ok\":1}\n");
    expect("a syntax error inside the array is fatal",
           "[{\"a\": 1},\n {\"a\": 1 \"b\": 2},\n {\"c\": 3}]",
           RD_AUTO,
           "1 {\"a\":1}\n"
           "fatal 2:10 expected ',' or '}' after an object member\n");
    expect("not closed", "[{\"a\": 1}", RD_AUTO,
           "1 {\"a\":1}\nfatal 1:10 the input ends early: the JSON array is not closed\n");
    expect("not closed inside a record", "[{\"a\": 1}, {\"b\": [", RD_AUTO,
           "1 {\"a\":1}\nfatal 1:12 the input ends inside a record: the JSON array is not closed\n");
    expect("missing comma", "[{\"a\": 1} {\"b\": 2}]", RD_AUTO,
           "1 {\"a\":1}\nfatal 1:11 expected ',' or ']' after a record in the JSON array\n");
    expect("trailing comma", "[{\"a\": 1},\n]", RD_AUTO,
           "1 {\"a\":1}\nfatal 2:1 expected a record after ',' in the JSON array\n");
    expect("text after the array", "[{\"a\": 1}]\n x", RD_AUTO,
           "1 {\"a\":1}\nfatal 2:2 text after the JSON array\n");
}

static void test_csv(void)
{
    expect("csv",
           "\xEF\xBB\xBF" "email,answers.q_interest,answers.q_products,visitreport.id,Ltd.,.x\r\n"
           "a@b.c,hot,crm;bi,VR-1,y,z\r\n"
           "\"multi\r\nline\",\"say \"\"hi\"\", ok\",,,,\r\n"
           "\r\n"
           ",,,,,\n"
           "\"\",\"\",\"\",\"\",\"\",\"last, no newline\"",
           RD_AUTO,
           "1 {\"email\":\"a@b.c\",\"answers\":{\"q_interest\":\"hot\",\"q_products\":\"crm;bi\"},"
           "\"visitreport\":{\"id\":\"VR-1\"},\"Ltd.\":\"y\",\".x\":\"z\"}\n"
           "2 {\"email\":\"multi\\u000d\\u000aline\",\"answers\":{\"q_interest\":\"say \\\"hi\\\", ok\"}}\n"
           "3 {}\n"
           "4 {\".x\":\"last, no newline\"}\n");
    expect("csv header only", "a,b\n", RD_CSV, "");
    expect("csv empty", "", RD_CSV, "fatal 1:1 the CSV input is empty: it needs a header row\n");
    expect("csv bad rows, reading goes on",
           "a,b\n"
           "1\n"
           "1,2,3\n"
           "x\"y,2\n"
           "\"x\"y,2\n"
           "\xC3\x28,2\n"
           "1,2\r3\n"
           "\"multi\nline\",\"bad\"x\n"
           "ok,1\n"
           "\"open,2\n"
           "never closed\n",
           RD_CSV,
           "1 bad 2:1 the row has 1 cells, the header 2\n"
           "2 bad 3:1 the row has 3 cells, the header 2\n"
           "3 bad 4:2 a quote inside an unquoted cell (quote the whole cell and double the quote)\n"
           "4 bad 5:4 text after a quoted cell's closing quote (write a quote inside a quoted cell as \"\")\n"
           "5 bad 6:1 invalid UTF-8 byte 0xC3\n"
           "6 bad 7:4 a carriage return inside an unquoted cell\n"
           "7 bad 9:12 text after a quoted cell's closing quote (write a quote inside a quoted cell as \"\")\n"
           "8 {\"a\":\"ok\",\"b\":\"1\"}\n"
           "9 bad 11:1 this quoted cell is not closed before the end of the input\n");
    expect("csv duplicate header", "a,b,a\n1,2,3\n", RD_CSV,
           "fatal 1:5 column 'a' appears twice in the header row\n");
    expect("csv header conflict", "a.b,a\n1,2\n", RD_CSV,
           "fatal 1:5 column 'a' conflicts with an earlier column: 'a' cannot be both a value and an object\n");
    expect("csv header conflict, other order", "x,a,a.b.c\n1,2,3\n", RD_CSV,
           "fatal 1:5 column 'a.b.c' conflicts with an earlier column: 'a' cannot be both a value and an object\n");
    expect("csv empty header name", "a,,b\n", RD_CSV, "fatal 1:3 column 2 has an empty name in the header row\n");
    expect("csv bad header", "a,\"b\n", RD_CSV, "fatal 1:3 this quoted cell is not closed before the end of the input\n");
    expect("auto: anything else is csv", "  name\n x\n", RD_AUTO, "1 {\"  name\":\" x\"}\n");
    expect("csv quoted header names", "\"e-mail\",\"a.b\",\"x,\"\"y\"\"\"\n1,2,3\n", RD_CSV,
           "1 {\"e-mail\":\"1\",\"a\":{\"b\":\"2\"},\"x,\\\"y\\\"\":\"3\"}\n");

    /* RD_MAX_COLUMNS cells, then one more */
    CmBuf in = CM_BUF_INIT;
    for (unsigned i = 0; i < RD_MAX_COLUMNS; i++)
        cm_buf_printf(&in, "%sc%u", i ? "," : "", i);
    cm_buf_puts(&in, "\n");
    for (unsigned i = 0; i < RD_MAX_COLUMNS; i++)
        cm_buf_puts(&in, i ? ",v" : "v");
    cm_buf_puts(&in, "\n");
    for (unsigned i = 0; i <= RD_MAX_COLUMNS; i++)
        cm_buf_puts(&in, i ? ",w" : "w");
    cm_buf_puts(&in, "\nlast");
    for (unsigned i = 1; i < RD_MAX_COLUMNS; i++)
        cm_buf_puts(&in, ",");
    char *got = dump_all(in.data, in.len, RD_CSV);
    CHECK(starts_with(got, "1 {\"c0\":\"v\",\"c1\":\"v\",")
          && strstr(got, "\"c4095\":\"v\"}\n2 bad 3:8193 the row has more than 4096 cells\n3 {\"c0\":\"last\"}\n"),
          "the column cap: %.80s", got);
    cm_free(got);
    cm_buf_clear(&in);
    for (unsigned i = 0; i <= RD_MAX_COLUMNS; i++)
        cm_buf_puts(&in, i ? ",h" : "h");
    got = dump_all(in.data, in.len, RD_CSV);
    CHECK(strcmp(got, "fatal 1:8193 the row has more than 4096 cells\n") == 0, "a header over the column cap: %s", got);
    cm_free(got);
    cm_buf_free(&in);
}

/* Reads text and checks rd_record_text of record `which`. */
static void expect_text(const char *name, const char *text, int which, const char *want)
{
    FILE *f = input(text, strlen(text));
    Reader *r = rd_open(f, RD_AUTO, NULL);
    const char *got = "(no record)";
    size_t len = strlen(got);
    for (int i = 1; i <= which; i++) {
        RdStatus st = rd_read(r);
        if (st == RD_END || st == RD_FATAL)
            break;
        if (i == which)
            got = rd_record_text(r, &len);
    }
    CHECK(len == strlen(want) && memcmp(got, want, len) == 0, "%s: want %s got %.*s", name, want, (int)len, got);
    rd_close(r);
    fclose(f);
}

static void test_record_text(void)
{
    expect_text("ndjson text", "{\"a\": 1}\r\n  {\"b\": [2]} \n", 2, "{\"b\": [2]}");
    expect_text("bad ndjson text", "{\"a\": 1}\n{\"b\": [2}\n", 2, "{\"b\": [2}");
    expect_text("array text", "[{\"a\": 1},\n {\"b\":\n 2}]", 2, "{\"b\":\n 2}");
    expect_text("csv text", "e,a.b\n\"x,\"\"y\",\n", 1, "{\"e\": \"x,\\\"y\", \"a.b\": \"\"}");
    expect_text("bad csv text", "e,a.b\n1,2,3\n", 1, "1,2,3");
}

static void test_paths_and_get(void)
{
    const char *text = "{\"a\": 1, \"contact\": {\"email\": \"x@y\", \"email\": \"last@y\"}, \"a\": {\"b\": true}, \"k.d\": 3}";
    FILE *f = input(text, strlen(text));
    Reader *r = rd_open(f, RD_NDJSON, NULL);
    CHECK(rd_read(r) == RD_RECORD, "record");
    size_t len;
    const char *s = rd_text(r, rd_get_path(r, "contact.email"), &len);
    CHECK(s && len == 6 && memcmp(s, "last@y", 6) == 0, "duplicate keys: the last wins");
    CHECK(rd_kind(r, rd_get_path(r, "a")) == RDK_OBJECT && rd_bool(r, rd_get_path(r, "a.b")), "a.b through the last a");
    CHECK(rd_get_path(r, "k.d") == RD_NONE && rd_num(r, rd_get(r, rd_root(r), "k.d", 3)) == 3, "a key with a dot");
    CHECK(rd_get_path(r, "contact.email.x") == RD_NONE && rd_get_path(r, "nope") == RD_NONE, "missing paths");
    CHECK(rd_kind(r, RD_NONE) == RDK_NULL && rd_first(r, RD_NONE) == RD_NONE && rd_count(r, RD_NONE) == 0,
          "RD_NONE is a missing value");
    CHECK(rd_get_path(r, "") == RD_NONE, "empty path");
    CHECK(rd_read(r) == RD_END, "end");
    CHECK(rd_root(r) == RD_NONE, "no root after the end");
    rd_close(r);
    fclose(f);
}

enum { EMAIL, INTEREST, PRODUCTS, VISIT, VISIT_ID, NSLOTS };

static RdPaths *vm_paths(void)
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
    CHECK(rd_paths_add(p, interest, 2, false) == INTEREST && rd_paths_count(p) == NSLOTS, "a path added twice");
    return p;
}

static void dump_value(CmBuf *b, const Value *v)
{
    switch (v->type) {
    case V_NULL: cm_buf_puts(b, " -"); break;
    case V_STR: cm_buf_printf(b, " '%.*s'", (int)v->len, v->u.str); break;
    case V_NUM: cm_buf_printf(b, " %g", v->u.num); break;
    case V_BOOL: cm_buf_puts(b, v->u.b ? " T" : " F"); break;
    case V_OBJECT: cm_buf_puts(b, " {}"); break;
    case V_LIST:
        cm_buf_puts(b, " [");
        for (uint32_t j = 0; j < v->len; j++) {
            dump_value(b, &v->u.items[j]);
        }
        cm_buf_puts(b, " ]");
        break;
    default: cm_buf_puts(b, " ?"); break;
    }
}

static void expect_slots(const char *name, const char *text, const char *want)
{
    RdPaths *p = vm_paths();
    FILE *f = input(text, strlen(text));
    Reader *r = rd_open(f, RD_AUTO, p);
    CmArena arena;
    cm_arena_init(&arena, 1024);
    Value slots[NSLOTS];
    CmBuf out = CM_BUF_INIT;
    for (int guard = 0; guard < 100; guard++) {
        cm_arena_reset(&arena);
        RdStatus st = rd_next(r, slots, &arena);
        if (st == RD_END || st == RD_FATAL)
            break;
        cm_buf_printf(&out, "%zu", rd_record_number(r));
        if (st == RD_BAD_RECORD)
            cm_buf_puts(&out, " bad");
        for (int i = 0; i < NSLOTS; i++)
            dump_value(&out, &slots[i]);
        cm_buf_putc(&out, '\n');
    }
    CHECK(out.data && strcmp(out.data, want) == 0, "%s:\n--- want\n%s--- got\n%s", name, want, out.data);
    cm_buf_free(&out);
    cm_arena_free(&arena);
    rd_close(r);
    fclose(f);
    rd_paths_free(p);
}

static void test_slots(void)
{
    expect_slots("slots from json",
                 "{\"email\": \"a@b\", \"x\": [1, {\"y\": null}], \"answers\": {\"q_interest\": \"hot\", \"q_products\": [\"crm\", 2, {}, null]}}\n"
                 "{\"visitreport\": {\"id\": 7, \"title\": \"x\"}, \"email\": \"caf\\u00e9\", \"answers\": \"s\"}\n"
                 "{\"email\": \"x\" oops}\n"
                 "{\"email\": null, \"answers\": {\"q_products\": \"a;b\"}, \"visitreport\": [1]}\n",
                 "1 'a@b' 'hot' [ 'crm' 2 {} - ] - -\n"
                 "2 'café' - - {} 7\n"
                 "3 bad - - - - -\n"
                 "4 - - 'a;b' [ 1 ] -\n");
    expect_slots("slots from csv",
                 "email,answers.q_products,answers.q_interest,visitreport.id,other\r\n"
                 "a@b,crm; bi ;;,\"hot, really\",,1\r\n"
                 ",,,VR-2,\n"
                 "short\n",
                 "1 'a@b' 'hot, really' [ 'crm' 'bi' ] - -\n"
                 "2 - - - {} 'VR-2'\n"
                 "3 bad - - - - -\n");
}

/* Records spanning the 64 KiB read blocks; a record exactly at the cap and
 * one a byte over it, in each format. */
static void test_big_records(void)
{
    CmBuf in = CM_BUF_INIT;
    for (int i = 0; i < 500; i++)
        cm_buf_printf(&in, "{\"pad\": \"%0999d\", \"email\": \"r%d\"}\n", 0, i + 1);
    char *got = dump_all(in.data, in.len, RD_AUTO);
    char last[1200];
    snprintf(last, sizeof last, "500 {\"pad\":\"%0999d\",\"email\":\"r500\"}\n", 0);
    CHECK(strlen(got) > strlen(last) && strcmp(got + strlen(got) - strlen(last), last) == 0, "500 records across blocks");
    cm_free(got);

    static const struct { RdFormat fmt; const char *head, *open, *close, *sep, *tail, *after; size_t first_line; } f[] = {
        { RD_NDJSON, "", "{\"p\": \"", "\"}", "\n", "", "{\"p\": \"after\"}\n", 1 },
        { RD_JSON_ARRAY, "[", "{\"p\": \"", "\"}", ",\n", "", "{\"p\": \"after\"}]", 1 },
        { RD_CSV, "p\r\n", "\"", "\"", "\r\n", "", "after\r\n", 2 },
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        cm_buf_clear(&in);
        cm_buf_puts(&in, f[k].head);
        size_t fixed = strlen(f[k].open) + strlen(f[k].close);
        for (size_t over = 0; over < 2; over++) {
            cm_buf_puts(&in, f[k].open);
            for (size_t i = 0; i < RD_MAX_RECORD - fixed + over; i++)
                cm_buf_putc(&in, 'x');
            cm_buf_puts(&in, f[k].close);
            cm_buf_puts(&in, f[k].sep);
        }
        cm_buf_puts(&in, f[k].after);
        FILE *file = input(in.data, in.len);
        Reader *r = rd_open(file, f[k].fmt, NULL);
        RdStatus st = rd_read(r);
        size_t len;
        const char *t = rd_text(r, rd_get_path(r, "p"), &len);
        CHECK(st == RD_RECORD && t && len == RD_MAX_RECORD - fixed, "format %zu: a record of exactly the cap is read", k);
        CHECK(rd_record_text(r, &len) && (f[k].fmt == RD_CSV || len == RD_MAX_RECORD), "format %zu: its text", k);
        st = rd_read(r);
        size_t line, col;
        rd_error_pos(r, &line, &col);
        CHECK(st == RD_BAD_RECORD && rd_record_number(r) == 2 && strstr(rd_error(r), "larger than 1048576 bytes")
              && line == f[k].first_line + 1 && col == 1,
              "format %zu: a byte over the cap is a bad record (%d, %zu:%zu %s)", k, st, line, col, rd_error(r));
        CHECK(rd_record_line(r) == line && rd_record_text(r, &len) && len == 0, "format %zu: its line, no text", k);
        st = rd_read(r);
        t = rd_text(r, rd_get_path(r, "p"), &len);
        CHECK(st == RD_RECORD && rd_record_number(r) == 3 && len == 5 && memcmp(t, "after", 5) == 0,
              "format %zu: reading goes on after it (%d %s)", k, st, rd_error(r));
        CHECK(rd_read(r) == RD_END, "format %zu: end", k);
        rd_close(r);
        fclose(file);
    }
    cm_buf_free(&in);
}

/* The same records with every byte offset of a record falling on the
 * 64 KiB read-block boundary: the tree must not depend on where the input
 * was cut. JSON arrays are compared with the same records as NDJSON, CSV
 * with its own reading when no cut falls inside a record. */
static void test_block_boundaries(void)
{
    CmBuf nd = CM_BUF_INIT, arr = CM_BUF_INIT, csv = CM_BUF_INIT;
    for (int i = 0; i < 700; i++) {
        cm_buf_printf(&nd, "{\"i\": %d, \"s\": \"x\\u00e9\\ud83d\\ude00\\\"\xC3\xBC\", \"n\": -12.5e-3, "
                           "\"t\": true, \"f\": false, \"z\": null, \"a\": [12345678, \"\\u0041\"], \"o\": {}}\n", i);
    }
    char *want = dump_all(nd.data, nd.len, RD_NDJSON);
    char *want_csv = NULL;
    int mismatches = 0, csv_mismatches = 0;
    for (int k = 0; k < 130; k++) {
        cm_buf_clear(&arr);
        for (int j = 0; j < k; j++)
            cm_buf_putc(&arr, ' ');
        cm_buf_putc(&arr, '[');
        for (const char *line = nd.data; *line; ) {
            const char *nl = strchr(line, '\n');
            cm_buf_put(&arr, line, (size_t)(nl - line));
            line = nl + 1;
            cm_buf_puts(&arr, *line ? ",\n" : "]\n");
        }
        char *got = dump_all(arr.data, arr.len, RD_JSON_ARRAY);
        mismatches += strcmp(got, want) != 0;
        cm_free(got);

        cm_buf_clear(&csv);
        for (int j = 0; j < k; j++)
            cm_buf_puts(&csv, "\r\n");
        cm_buf_puts(&csv, "i,s,a.b\r\n");
        for (int i = 0; i < 1200; i++)
            cm_buf_printf(&csv, "%d,\"q\"\"\r\n\xC3\xBC,\"\"\",\r\n", i);
        got = dump_all(csv.data, csv.len, RD_CSV);
        if (want_csv == NULL)
            want_csv = got;
        else {
            csv_mismatches += strcmp(got, want_csv) != 0;
            cm_free(got);
        }
    }
    CHECK(starts_with(want, "1 {\"i\":0,\"s\":\"x\xC3\xA9\xF0\x9F\x98\x80\\\"\xC3\xBC\",\"n\":-12.5e-3,")
          && strstr(want, "\n700 {\"i\":699,"), "the NDJSON reading: %.120s", want);
    CHECK(mismatches == 0, "JSON arrays cut at every offset read as NDJSON does (%d differ)", mismatches);
    const char *first_csv = "1 {\"i\":\"0\",\"s\":\"q\\\"\\u000d\\u000a\xC3\xBC,\\\"\"}\n";
    CHECK(starts_with(want_csv, first_csv)
          && strstr(want_csv, "\n1200 {\"i\":\"1199\","), "the CSV reading: %.120s", want_csv);
    CHECK(csv_mismatches == 0, "CSV cut at every offset reads the same (%d differ)", csv_mismatches);
    cm_free(want);
    cm_free(want_csv);
    cm_buf_free(&nd);
    cm_buf_free(&arr);
    cm_buf_free(&csv);
}

static void test_formats_api(void)
{
    RdFormat fmt;
    CHECK(rd_format_parse("csv", &fmt) && fmt == RD_CSV, "csv");
    CHECK(rd_format_parse("json", &fmt) && fmt == RD_JSON_ARRAY, "json");
    CHECK(rd_format_parse("ndjson", &fmt) && fmt == RD_NDJSON, "ndjson");
    CHECK(rd_format_parse("auto", &fmt) && fmt == RD_AUTO, "auto");
    CHECK(!rd_format_parse("xml", &fmt), "xml");
    FILE *f = input("[]", 2);
    Reader *r = rd_open(f, RD_AUTO, NULL);
    CHECK(rd_format(r) == RD_AUTO && rd_read(r) == RD_END && rd_format(r) == RD_JSON_ARRAY, "detected");
    rd_close(r);
    fclose(f);

    char err[200] = "";
    CHECK(rd_open_input("-", err, sizeof err) == stdin, "- is stdin");
    rd_close_input(stdin);
    CHECK(fileno(stdin) == 0 && !ferror(stdin), "stdin is not closed");
    CHECK(rd_open_input("/nonexistent/leads.ndjson", err, sizeof err) == NULL
          && strcmp(err, "cannot open the input /nonexistent/leads.ndjson: No such file or directory") == 0,
          "a missing file: %s", err);
    f = rd_open_input("/dev/null", err, sizeof err);
    CHECK(f != NULL, "a file opens: %s", err);
    r = rd_open(f, RD_AUTO, NULL);
    CHECK(rd_read(r) == RD_END, "/dev/null has no records");
    rd_close(r);
    rd_close_input(f);
}

int main(void)
{
    test_ndjson();
    test_strings();
    test_numbers();
    test_depth_and_values();
    test_json_array();
    test_csv();
    test_record_text();
    test_paths_and_get();
    test_slots();
    test_big_records();
    test_block_boundaries();
    test_formats_api();
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
