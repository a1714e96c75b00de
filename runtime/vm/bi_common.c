/* bi_common: argument conversion, results and errors shared by the builtins
 * (bi_impl.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bi_impl.h"
#include "cm_utf8.h"
#include "numtext.h"
#include "text_space.h"

bool bi_fail(BiCtx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->error, sizeof cx->error, fmt, ap);
    va_end(ap);
    return false;
}

const char *bi_quote(const char *s, size_t n, char out[BI_QUOTE_SIZE])
{
    enum { MAX = 40 };
    size_t w = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = cm_utf8_decode(s + i, n - i, &cp);
        if (w + (len ? len : 1) > MAX)
            break;
        if (len == 0 || cp < 0x20 || cp == 0x7F) {
            out[w++] = '?';             /* control or not UTF-8 */
            i += len ? len : 1;
        } else {
            memcpy(out + w, s + i, len);
            w += len;
            i += len;
        }
    }
    if (i < n) {
        memcpy(out + w, "...", 3);
        w += 3;
    }
    out[w] = '\0';
    return out;
}

static const char *type_name(uint8_t type)
{
    switch (type) {
    case V_NULL:   return "null";
    case V_BOOL:   return "a boolean";
    case V_NUM:    return "a number";
    case V_STR:    return "text";
    case V_LIST:   return "a list";
    case V_OBJECT: return "an object";
    case V_REF:    return "a ref";
    default:       return "clear";
    }
}

/* The text of a value that is not a list. num holds formatted numbers. */
static bool scalar_text(BiCtx *cx, const Value *v, BiText *t, char num[NUMTEXT_MAX])
{
    t->s = "";
    t->n = 0;
    switch (v->type) {
    case V_NULL:
        return true;
    case V_STR:
        t->s = v->u.str;
        t->n = v->len;
        return true;
    case V_BOOL:
        t->s = v->u.b ? "true" : "false";
        t->n = strlen(t->s);
        return true;
    case V_NUM:
        if (!isfinite(v->u.num))
            return bi_fail(cx, "the number %s has no text", isnan(v->u.num) ? "NaN" : "infinity");
        t->n = numtext_format(v->u.num, num);
        t->s = num;
        return true;
    default:
        return bi_fail(cx, "expected text, got %s", type_name(v->type));
    }
}

bool bi_text(BiCtx *cx, const Value *v, BiText *t)
{
    if (v->type == V_LIST)
        return bi_join_items(cx, v, ";", 1, t);
    char num[NUMTEXT_MAX];
    if (!scalar_text(cx, v, t, num))
        return false;
    if (t->s == num)
        t->s = cm_arena_strndup(cx->arena, num, t->n);
    return true;
}

bool bi_join_items(BiCtx *cx, const Value *list, const char *sep, size_t sepn, BiText *t)
{
    /* Two passes over the items: measure, then copy. */
    char num[NUMTEXT_MAX];
    size_t total = 0, count = 0;
    const Value *single = NULL;
    for (uint32_t i = 0; i < list->len; i++) {
        const Value *item = &list->u.items[i];
        if (item->type == V_LIST)
            return bi_fail(cx, "a list inside a list has no text");
        BiText it;
        if (!scalar_text(cx, item, &it, num))
            return false;
        if (text_is_blank(it.s, it.n))
            continue;
        total += it.n + (count ? sepn : 0);
        count++;
        single = item;
    }
    if (count == 0) {
        t->s = "";
        t->n = 0;
        return true;
    }
    if (count == 1)
        return bi_text(cx, single, t);
    char *dst = builtin_alloc(cx, total + 1);
    if (dst == NULL)
        return false;
    size_t at = 0;
    for (uint32_t i = 0; i < list->len; i++) {
        BiText it;
        scalar_text(cx, &list->u.items[i], &it, num);
        if (text_is_blank(it.s, it.n))
            continue;
        if (at) {
            memcpy(dst + at, sep, sepn);
            at += sepn;
        }
        memcpy(dst + at, it.s, it.n);
        at += it.n;
    }
    t->s = dst;
    t->n = at;
    return true;
}

bool bi_int_arg(BiCtx *cx, const Value *v, const char *what, int64_t *out)
{
    if (v->type != V_NUM)
        return bi_fail(cx, "%s must be a whole number, got %s", what, type_name(v->type));
    double x = v->u.num;
    if (!(fabs(x) < 9007199254740992.0) || x != trunc(x))
        return bi_fail(cx, "%s must be a whole number, got %g", what, x);
    *out = (int64_t)x;
    return true;
}

static bool over_budget(BiCtx *cx, size_t n)
{
    size_t max = cx->max_bytes ? cx->max_bytes : UINT32_MAX;
    if (n <= max && cx->arena->total <= max - n)
        return false;
    cx->over = true;
    bi_fail(cx, "the record's values would take more than %zu MiB (the per-record memory limit, docs/run.md)",
            max >> 20);
    return true;
}

void *builtin_alloc(BiCtx *cx, size_t n)
{
    return over_budget(cx, n) ? NULL : cm_arena_alloc(cx->arena, n);
}

bool bi_out_text(BiCtx *cx, Value *out, const char *s, size_t n)
{
    /* A text the arena made is within the budget already, and the reader's
     * are within 1 MiB: only the narrowing itself needs the check. */
    if (__builtin_expect(n > UINT32_MAX, 0))
        return bi_fail(cx, "the text would be %zu bytes, more than a value can hold (4 GiB)", n);
    *out = n ? v_str(s, (uint32_t)n) : v_null();
    return true;
}

bool bi_check_utf8(BiCtx *cx, const char *s, size_t n)
{
    if (bi_is_ascii(s, n))
        return true;
    size_t bad = cm_utf8_invalid_at(s, n);
    if (bad == n)
        return true;
    return bi_fail(cx, "the text is not valid UTF-8 (byte 0x%02X at offset %zu)",
                   (unsigned char)s[bad], bad);
}

bool bi_is_ascii(const char *s, size_t n)
{
    unsigned char any = 0;
    for (size_t i = 0; i < n; i++)
        any |= (unsigned char)s[i];
    return any < 0x80;
}

bool bi_ascii_ieq(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)word[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return false;
    }
    return i == n && word[i] == '\0';
}
