/* bi_text: the text builtins — trim, truncate, substr, replace, split,
 * join, len, contains, starts_with, ends_with, digits, number, string.
 * Positions and lengths count code points, so no result splits a UTF-8
 * sequence; truncate() also keeps combining marks with their base. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bi_impl.h"
#include "cm_utf8.h"
#include "numtext.h"
#include "text_space.h"

/* The text of an argument that must be valid UTF-8. */
static bool utf8_text(BiCtx *cx, const Value *v, BiText *t)
{
    return bi_text(cx, v, t) && bi_check_utf8(cx, t->s, t->n);
}

/* Byte offset after k more code points from byte at (or n). s is valid. */
static size_t skip_chars(const char *s, size_t n, size_t at, uint64_t k)
{
    if (bi_is_ascii(s + at, n - at))
        return k >= n - at ? n : at + (size_t)k;
    while (k > 0 && at < n) {
        at++;
        while (at < n && ((unsigned char)s[at] & 0xC0) == 0x80)
            at++;
        k--;
    }
    return at;
}

static bool is_combining_at(const char *s, size_t n, size_t at)
{
    uint32_t cp;
    if (at >= n || cm_utf8_decode(s + at, n - at, &cp) == 0)
        return false;
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF)
           || (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF)
           || (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0x200D;
}

static size_t char_start_before(const char *s, size_t at)
{
    do
        at--;
    while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80);
    return at;
}

/* A count of code points: an integer, not negative. */
static bool length_arg(BiCtx *cx, const Value *v, int64_t *n)
{
    if (!bi_int_arg(cx, v, "the length", n))
        return false;
    return *n >= 0 || bi_fail(cx, "the length must not be negative, got %lld", (long long)*n);
}

bool bi_trim(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    BiText t;
    if (!utf8_text(cx, &args[0], &t))
        return false;
    text_trim(&t.s, &t.n);
    return bi_out_text(cx, out, t.s, t.n);
}

bool bi_truncate(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    if (value_is_empty(&args[0]))
        return true;
    (void)nargs;
    int64_t max;
    BiText t;
    if (!length_arg(cx, &args[1], &max) || !utf8_text(cx, &args[0], &t))
        return false;
    size_t cut = skip_chars(t.s, t.n, 0, (uint64_t)max);
    /* Never leave a base letter without its accents: cut before the base. */
    while (cut > 0 && cut < t.n && is_combining_at(t.s, t.n, cut))
        cut = char_start_before(t.s, cut);
    return bi_out_text(cx, out, t.s, cut);
}

bool bi_substr(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    if (value_is_empty(&args[0]))
        return true;
    int64_t start, count = INT64_MAX;
    BiText t;
    if (!bi_int_arg(cx, &args[1], "the start", &start))
        return false;
    if (nargs > 2 && !length_arg(cx, &args[2], &count))
        return false;
    if (!utf8_text(cx, &args[0], &t))
        return false;
    if (start < 0) {
        size_t total = cm_utf8_count(t.s, t.n);
        start = (uint64_t)-start >= total ? 0 : (int64_t)total + start;
    }
    size_t from = skip_chars(t.s, t.n, 0, (uint64_t)start);
    size_t to = skip_chars(t.s, t.n, from, (uint64_t)count);
    return bi_out_text(cx, out, t.s + from, to - from);
}

/* Offset of needle in hay at or after from, or hay.n. */
static size_t find(BiText hay, size_t from, BiText needle)
{
    if (needle.n > hay.n)
        return hay.n;
    for (size_t i = from; i + needle.n <= hay.n; i++)
        if (memcmp(hay.s + i, needle.s, needle.n) == 0)
            return i;
    return hay.n;
}

bool bi_replace(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    if (value_is_empty(&args[0]))
        return true;
    (void)nargs;
    BiText t, from, to;
    if (!bi_text(cx, &args[0], &t) || !bi_text(cx, &args[1], &from) || !bi_text(cx, &args[2], &to))
        return false;
    if (from.n == 0)
        return bi_fail(cx, "the text to replace is empty");
    size_t hits = 0;
    for (size_t at = find(t, 0, from); at < t.n; at = find(t, at + from.n, from))
        hits++;
    if (hits == 0) {
        return bi_out_text(cx, out, t.s, t.n);
    }
    size_t len = t.n - hits * from.n + hits * to.n, w = 0, prev = 0;
    char *dst = builtin_alloc(cx, len + 1);
    if (dst == NULL)
        return false;
    for (size_t at = find(t, 0, from); at < t.n; at = find(t, at + from.n, from)) {
        memcpy(dst + w, t.s + prev, at - prev);
        w += at - prev;
        memcpy(dst + w, to.s, to.n);
        w += to.n;
        prev = at + from.n;
    }
    memcpy(dst + w, t.s + prev, t.n - prev);
    return bi_out_text(cx, out, dst, len);
}

bool bi_split(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    BiText t, sep;
    if (!bi_text(cx, &args[0], &t) || !bi_text(cx, &args[1], &sep))
        return false;
    if (sep.n == 0)
        return bi_fail(cx, "the separator is empty");
    if (text_is_blank(t.s, t.n))
        return true;
    size_t pieces = 1;
    for (size_t at = find(t, 0, sep); at < t.n; at = find(t, at + sep.n, sep))
        pieces++;
    Value *items = builtin_alloc(cx, pieces * sizeof *items);
    if (items == NULL)
        return false;
    uint32_t count = 0;
    size_t start = 0;
    for (size_t k = 0; k < pieces; k++) {
        size_t end = find(t, start, sep);
        const char *p = t.s + start;
        size_t n = end - start;
        text_trim(&p, &n);
        if (n > 0)
            items[count++] = v_str(p, (uint32_t)n);
        start = end + sep.n;
    }
    if (count == 0)
        return true;
    out->type = V_LIST;
    out->len = count;
    out->u.items = items;
    return true;
}

bool bi_join(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    if (value_is_empty(&args[0]))
        return true;
    (void)nargs;
    BiText sep, t;
    if (!bi_text(cx, &args[1], &sep))
        return false;
    bool ok = args[0].type == V_LIST ? bi_join_items(cx, &args[0], sep.s, sep.n, &t)
                                     : bi_text(cx, &args[0], &t);
    if (!ok)
        return false;
    return bi_out_text(cx, out, t.s, t.n);
}

bool bi_len(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    const Value *v = &args[0];
    if (v->type == V_LIST) {
        uint32_t count = 0;
        for (uint32_t i = 0; i < v->len; i++)
            count += !value_is_empty(&v->u.items[i]);
        *out = v_num(count);
        return true;
    }
    BiText t;
    if (!utf8_text(cx, v, &t))
        return false;
    *out = v_num((double)cm_utf8_count(t.s, t.n));
    return true;
}

typedef enum Where { ANYWHERE, AT_START, AT_END } Where;

static bool has_text(BiText t, BiText sub, Where where)
{
    if (sub.n > t.n)
        return false;
    switch (where) {
    case AT_START: return memcmp(t.s, sub.s, sub.n) == 0;
    case AT_END:   return memcmp(t.s + t.n - sub.n, sub.s, sub.n) == 0;
    default:       return find(t, 0, sub) < t.n || sub.n == 0;
    }
}

/* For a list, contains() asks whether an item equals sub (a multi-select
 * answer holds an option); starts_with/ends_with ask it of any item. */
static bool text_test(BiCtx *cx, const Value *args, Where where, Value *out)
{
    BiText sub;
    if (!bi_text(cx, &args[1], &sub))
        return false;
    *out = v_bool(false);
    const Value *v = &args[0];
    if (v->type != V_LIST) {
        BiText t;
        if (!bi_text(cx, v, &t))
            return false;
        *out = v_bool(t.n > 0 && has_text(t, sub, where));
        return true;
    }
    for (uint32_t i = 0; i < v->len; i++) {
        BiText t;
        if (!bi_text(cx, &v->u.items[i], &t))
            return false;
        bool hit = where == ANYWHERE ? t.n == sub.n && memcmp(t.s, sub.s, t.n) == 0
                                     : t.n > 0 && has_text(t, sub, where);
        if (hit) {
            *out = v_bool(true);
            break;
        }
    }
    return true;
}

bool bi_contains(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return text_test(cx, args, ANYWHERE, out);
}

bool bi_starts_with(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return text_test(cx, args, AT_START, out);
}

bool bi_ends_with(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return text_test(cx, args, AT_END, out);
}

bool bi_digits(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    BiText t;
    if (!bi_text(cx, &args[0], &t))
        return false;
    char *dst = builtin_alloc(cx, t.n + 1);
    if (dst == NULL)
        return false;
    size_t w = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.s[i] >= '0' && t.s[i] <= '9')
            dst[w++] = t.s[i];
    return bi_out_text(cx, out, dst, w);
}

/* Grouping marks number() drops: space, NBSP, narrow NBSP, apostrophes. */
static size_t group_mark_at(const char *s, size_t n)
{
    if (s[0] == ' ' || s[0] == '\'')
        return 1;
    static const char *const marks[] = { "\xC2\xA0", "\xE2\x80\xAF", "\xE2\x80\x99" };
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
        size_t len = strlen(marks[k]);
        if (n >= len && memcmp(s, marks[k], len) == 0)
            return len;
    }
    return 0;
}

/* Reads "1234.5", "1.234,5", "1,234.5", "1 234,5", "1'234.5", "-3e2". The
 * last of '.' and ',' is the decimal mark when both occur; a lone ',' or '.'
 * is the decimal mark; one that occurs twice or more separates thousands. */
static bool parse_number(const char *s, size_t n, double *x)
{
    enum { MAX = 64 };
    char buf[MAX + 1];
    size_t dots = 0, commas = 0, last_dot = n, last_comma = n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            dots++;
            last_dot = i;
        } else if (s[i] == ',') {
            commas++;
            last_comma = i;
        }
    }
    char decimal = 0;
    if (dots && commas)
        decimal = last_dot > last_comma ? '.' : ',';
    else if (dots == 1)
        decimal = '.';
    else if (commas == 1)
        decimal = ',';
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t mark = group_mark_at(s + i, n - i);
        if (mark && w > 0 && i + mark < n) {
            i += mark;
            continue;
        }
        char c = s[i++];
        if (c == decimal)
            c = '.';
        else if (c == '.' || c == ',')
            continue;
        if (w == MAX)
            return false;
        buf[w++] = c;
    }
    if (w > 0 && buf[0] == '+')
        memmove(buf, buf + 1, --w);
    return numtext_parse(buf, w, x) && isfinite(*x);
}

bool bi_number(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    const Value *v = &args[0];
    if (value_is_empty(v))
        return true;
    switch (v->type) {
    case V_NUM:
        *out = *v;
        return true;
    case V_BOOL:
        *out = v_num(v->u.b ? 1 : 0);
        return true;
    case V_STR:
        break;
    default:
        return bi_fail(cx, "expected text or a number");
    }
    const char *s = v->u.str;
    size_t n = v->len;
    text_trim(&s, &n);
    double x;
    if (!parse_number(s, n, &x)) {
        char q[BI_QUOTE_SIZE];
        return bi_fail(cx, "\"%s\" is not a number", bi_quote(s, n, q));
    }
    *out = v_num(x == 0 ? 0 : x);
    return true;
}

bool bi_string(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    if (value_is_empty(&args[0]))
        return true;
    (void)nargs;
    BiText t;
    if (!bi_text(cx, &args[0], &t))
        return false;
    return bi_out_text(cx, out, t.s, t.n);
}
