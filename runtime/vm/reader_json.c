/* reader_json: a strict RFC 8259 parser from one record's text into the
 * reader's node array. Strings are checked as they are scanned (UTF-8,
 * escapes, surrogate pairs) and copied into the arena only when they hold
 * escapes; numbers are checked against the JSON grammar and converted once.
 * Recursion is bounded by RD_MAX_DEPTH, the node count by RD_MAX_VALUES. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cm_buf.h"
#include "cm_utf8.h"
#include "reader_int.h"

typedef struct Parse {
    Reader *r;
    const char *p, *end;
    bool syntax;            /* the error was a syntax error */
} Parse;

static bool syntax_error(Parse *s, const char *at, const char *what)
{
    s->syntax = true;
    if (at >= s->end)
        return rd_fail_at(s->r, s->end, "the record ends early: %s", what);
    return rd_fail_at(s->r, at, "%s", what);
}

static void skip_ws(Parse *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Checks the escape at p (the backslash); returns its length in bytes (2,
 * 6, or 12 for a surrogate pair), 0 after recording an error. */
static size_t check_escape(Parse *s, const char *p)
{
    if (p + 1 >= s->end)
        return syntax_error(s, p + 1, "unterminated string"), 0;
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return 2;
    case 'u':
        break;
    default:
        return syntax_error(s, p, "unknown escape in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"), 0;
    }
    int hi = hex4(p + 2, s->end);
    if (hi < 0)
        return syntax_error(s, p, "\\u must be followed by 4 hex digits"), 0;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return rd_fail_at(s->r, p, "lone low surrogate \\u%04X in a string", (unsigned)hi), 0;
    if (hi < 0xD800 || hi > 0xDBFF)
        return 6;
    int lo = p + 7 < s->end && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8, s->end) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return rd_fail_at(s->r, p, "lone high surrogate \\u%04X in a string (a low surrogate \\uDC00-\\uDFFF must follow)",
                          (unsigned)hi), 0;
    return 12;
}

/* Decodes the checked raw contents of a string with escapes into the arena. */
static char *unescape(Reader *r, const char *raw, size_t n, size_t *out_len)
{
    char *d = cm_arena_alloc(&r->arena, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] != '\\') {
            d[k++] = raw[i];
            continue;
        }
        char c = raw[++i];
        switch (c) {
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(raw + i + 1, raw + n);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo = (uint32_t)hex4(raw + i + 3, raw + n);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            k += cm_utf8_encode(cp, d + k);
            break;
        }
        default: d[k++] = c; break;     /* " \ / */
        }
    }
    *out_len = k;
    return d;
}

/* Bytes a string's fast loop passes over: printable ASCII but '"' and '\\'. */
#define NO16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define YES16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const bool plain[256] = {
    NO16, NO16,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x22 '"' */
    YES16, YES16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,     /* 0x5C '\\' */
    YES16, YES16,
    NO16, NO16, NO16, NO16, NO16, NO16, NO16, NO16,
};
#undef NO16
#undef YES16

/* Scans the string at s->p (its opening quote) into out and len, decoded. */
static bool string(Parse *s, const char **out, uint32_t *len)
{
    const char *raw = ++s->p, *p = raw;
    bool escaped = false;
    for (;;) {
        p += cm_json_plain_prefix(p, (size_t)(s->end - p), 1);
        while (p < s->end && plain[(unsigned char)*p])
            p++;
        if (p >= s->end)
            return syntax_error(s, p, "unterminated string");
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            size_t n = check_escape(s, p);
            if (n == 0)
                return false;
            escaped = true;
            p += n;
        } else if (c < 0x20) {
            return syntax_error(s, p, c == '\n' ? "unterminated string (a line break must be written \\n)"
                                                : "control character in a string (escape it as \\u00XX)");
        } else {
            uint32_t cp;
            size_t n = cm_utf8_decode(p, (size_t)(s->end - p), &cp);
            if (n == 0)
                return rd_fail_at(s->r, p, "invalid UTF-8 byte 0x%02X in a string", c);
            p += n;
        }
    }
    size_t n = (size_t)(p - raw);     /* < RD_MAX_RECORD: fits in 32 bits */
    s->p = p + 1;
    if (!escaped) {
        *out = raw;
        *len = (uint32_t)n;
        return true;
    }
    size_t k;
    *out = unescape(s->r, raw, n, &k);
    *len = (uint32_t)k;
    return true;
}

static bool digits(Parse *s)
{
    if (s->p >= s->end || *s->p < '0' || *s->p > '9')
        return false;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return true;
}

static bool number(Parse *s, RdValue *v)
{
    const char *start = s->p;
    if (*s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
        if (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            return syntax_error(s, start, "a number must not start with 0 (leading zeros are not JSON)");
    } else if (!digits(s)) {
        return syntax_error(s, start, "expected a value (string, number, object, array, true, false or null)");
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s))
            return syntax_error(s, s->p, "expected a digit after '.' in a number");
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digits(s))
            return syntax_error(s, s->p, "expected a digit in a number's exponent");
    }
    size_t n = (size_t)(s->p - start);
    char small[64];
    char *text = n < sizeof small ? small : cm_arena_alloc(&s->r->arena, n + 1);
    memcpy(text, start, n);
    text[n] = '\0';
    double x = strtod(text, NULL);
    if (!isfinite(x))
        return rd_fail_at(s->r, start, "number %.*s is out of range", n > 40 ? 40 : (int)n, start);
    v->text = start;
    v->len = (uint32_t)n;
    v->u.num = x;
    return true;
}

static bool literal(Parse *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return syntax_error(s, s->p, "expected a value (string, number, object, array, true, false or null)");
    s->p += n;
    return true;
}

static uint32_t node(Parse *s, RdKind kind)
{
    uint32_t n = rd_new_node(s->r, kind);
    if (n == RD_NONE)
        rd_fail_at(s->r, s->p, "the record holds more than %u values", RD_MAX_VALUES);
    return n;
}

static bool value(Parse *s, unsigned depth, uint32_t *out);

/* Parses the members or items of the container node c, s->p just past its
 * opening bracket. */
static bool container(Parse *s, uint32_t c, bool object, unsigned depth)
{
    char close = object ? '}' : ']';
    if (depth > RD_MAX_DEPTH)
        return rd_fail_at(s->r, s->p - 1, "nested deeper than %u levels", RD_MAX_DEPTH);
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return true;
    }
    uint32_t prev = RD_NONE, count = 0;
    for (;;) {
        skip_ws(s);
        const char *key = NULL;
        uint32_t key_len = 0;
        if (object) {
            if (s->p >= s->end || *s->p != '"')
                return syntax_error(s, s->p, count ? "expected a member name (a string) after ','"
                                                   : "expected a member name (a string) or '}'");
            if (!string(s, &key, &key_len))
                return false;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return syntax_error(s, s->p, "expected ':' after a member name");
            s->p++;
            skip_ws(s);
        }
        uint32_t v;
        if (!value(s, depth + 1, &v))
            return false;
        RdValue *nodes = s->r->nodes;
        nodes[v].key = key;
        nodes[v].key_len = key_len;
        if (prev != RD_NONE)
            nodes[prev].next = v;
        prev = v;
        count++;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            s->r->nodes[c].u.count = count;
            return true;
        }
        return syntax_error(s, s->p, object ? "expected ',' or '}' after an object member"
                                            : "expected ',' or ']' after an array item");
    }
}

static bool value(Parse *s, unsigned depth, uint32_t *out)
{
    if (s->p >= s->end)
        return syntax_error(s, s->p, "expected a value");
    RdKind kind;
    switch (*s->p) {
    case '{': kind = RDK_OBJECT; break;
    case '[': kind = RDK_ARRAY; break;
    case '"': kind = RDK_STR; break;
    case 't': case 'f': kind = RDK_BOOL; break;
    case 'n': kind = RDK_NULL; break;
    default: kind = RDK_NUM; break;
    }
    uint32_t n = node(s, kind);
    if (n == RD_NONE)
        return false;
    *out = n;
    switch (kind) {
    case RDK_OBJECT:
    case RDK_ARRAY:
        s->p++;
        return container(s, n, kind == RDK_OBJECT, depth);
    case RDK_STR: {
        const char *text;
        uint32_t len;
        if (!string(s, &text, &len))
            return false;
        s->r->nodes[n].text = text;
        s->r->nodes[n].len = len;
        return true;
    }
    case RDK_BOOL:
        s->r->nodes[n].u.b = *s->p == 't';
        return *s->p == 't' ? literal(s, "true", 4) : literal(s, "false", 5);
    case RDK_NULL:
        return literal(s, "null", 4);
    default:
        return number(s, &s->r->nodes[n]);
    }
}

bool rd_json_parse_object(Reader *r, const char *text, size_t n, size_t *used)
{
    Parse s = { r, text, text + n, false };
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return rd_fail_at(r, s.p, "a record must be a JSON object");
    uint32_t root;
    if (!value(&s, 1, &root))
        return false;
    *used = (size_t)(s.p - text);
    return true;
}

/* One JSON value with nothing but white space after it; 'trailing' says what
 * is wrong when text follows. */
static bool whole_value(Parse *s, uint32_t *v, bool *syntax, const char *trailing)
{
    if (!value(s, 1, v)) {
        *syntax = s->syntax;
        return false;
    }
    skip_ws(s);
    if (s->p < s->end) {
        *syntax = true;
        return rd_fail_at(s->r, s->p, "%s", trailing);
    }
    return true;
}

bool rd_json_parse(Reader *r, const char *text, size_t n, bool *syntax)
{
    Parse s = { r, text, text + n, false };
    *syntax = false;
    skip_ws(&s);
    if (s.p < s.end && *s.p != '{') {
        /* Still check it is JSON, so a syntax error is reported as one. */
        uint32_t v;
        if (!whole_value(&s, &v, syntax, "text after the record"))
            return false;
        return rd_fail_at(r, text, "a record must be a JSON object, not %s",
                          r->nodes[v].kind == RDK_ARRAY ? "an array" : "a single value");
    }
    uint32_t root;
    return whole_value(&s, &root, syntax, "text after the record (one JSON object per line)");
}
