/* bi_datecalc: date arithmetic and formatting — add_days, add_months,
 * days_between, format_date. Dates are read as date(x) reads them (ISO 8601,
 * German, a date-time's own date), so every date builtin agrees on what a
 * date is; results are ISO dates (YYYY-MM-DD) in the years 1 to 9999.
 * format_date's format is checked by the compiler with the same code
 * (builtin_date_format_check), so a typo is a compile error. */
#include <stdio.h>
#include <string.h>

#include "bi_datefmt.h"
#include "bi_time.h"
#include "cm_alloc.h"

enum {
    MAX_SHIFT_DAYS = 4000000,       /* more than the 9999 years a date may span */
    MAX_FORMAT = 64
};

/* The tokens format_date writes: a date's, and no time or zone. */
static bool writes_date(DateTokenKind k)
{
    return k == DTK_YEAR || k == DTK_YEAR2 || k == DTK_MONTH || k == DTK_DAY;
}

bool builtin_date_format_check(const char *f, size_t n, uint32_t *max_len, size_t *bad_at,
                               char *err, size_t errlen)
{
    if (n > MAX_FORMAT) {
        snprintf(err, errlen, "the format is longer than %d bytes", MAX_FORMAT);
        *bad_at = 0;
        return false;
    }
    uint32_t len = 0;
    bool any = false;
    for (size_t i = 0; i < n;) {
        DateToken tok = bi_date_token(f + i, n - i);
        if (tok.kind == DTK_TEXT) {
            len += ((unsigned char)f[i] & 0xC0) != 0x80;   /* characters, not bytes */
            i++;
            continue;
        }
        if (!writes_date(tok.kind)) {
            snprintf(err, errlen, "'%.*s' is not a format token (YYYY, YY, MM, M, DD, D)",
                     (int)(tok.len > 8 ? 8 : tok.len), f + i);
            *bad_at = i;
            return false;
        }
        any = true;
        len += (uint32_t)(tok.kind == DTK_YEAR ? 4 : 2);
        i += tok.len;
    }
    if (!any) {
        snprintf(err, errlen, "the format has no token (YYYY, YY, MM, M, DD, D)");
        *bad_at = 0;
        return false;
    }
    *max_len = len;
    return true;
}

/* Writes v in decimal, at least width digits. */
static size_t put_num(char *dst, unsigned v, size_t width)
{
    char tmp[12];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k < width)
        tmp[k++] = '0';
    for (size_t i = 0; i < k; i++)
        dst[i] = tmp[k - 1 - i];
    return k;
}

/* Day number days written with format f (already checked). */
static bool out_formatted(BiCtx *cx, int64_t days, const char *f, size_t n, Value *out)
{
    int64_t y;
    unsigned m, d;
    bi_civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return bi_fail(cx, "the date is outside the years 1 to 9999");
    char *dst = builtin_alloc(cx, n * 2 + 1);      /* a token is at most twice its letters */
    if (dst == NULL)
        return false;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        DateToken tok = bi_date_token(f + i, n - i);
        if (tok.kind == DTK_YEAR)
            w += put_num(dst + w, (unsigned)y, 4);
        else if (tok.kind == DTK_YEAR2)
            w += put_num(dst + w, (unsigned)(y % 100), 2);
        else if (tok.kind == DTK_MONTH || tok.kind == DTK_DAY)
            w += put_num(dst + w, tok.kind == DTK_MONTH ? m : d, tok.len);
        else
            dst[w++] = f[i];
        i += tok.len;
    }
    *out = v_str(dst, (uint32_t)w);
    return true;
}

static bool out_date(BiCtx *cx, int64_t days, Value *out)
{
    return out_formatted(cx, days, "YYYY-MM-DD", 10, out);
}

/* The day number of v, read as date(v) reads it; *empty when v is empty. */
static bool day_of(BiCtx *cx, const Value *v, int64_t *days, bool *empty)
{
    Value iso = v_null();      /* builtins leave an empty result unset */
    if (!bi_date(cx, v, 1, &iso))
        return false;
    *empty = iso.type != V_STR;
    if (*empty)
        return true;
    const char *s = iso.u.str;      /* exactly YYYY-MM-DD */
    unsigned y = 0, m = 0, d = 0;
    for (int i = 0; i < 4; i++)
        y = y * 10 + (unsigned)(s[i] - '0');
    m = (unsigned)(s[5] - '0') * 10 + (unsigned)(s[6] - '0');
    d = (unsigned)(s[8] - '0') * 10 + (unsigned)(s[9] - '0');
    *days = bi_days_from_civil(y, m, d);
    return true;
}

/* add_days (months false) and add_months: the date n days or months on. */
static bool shift(BiCtx *cx, const Value *args, size_t nargs, bool months, Value *out)
{
    (void)nargs;
    int64_t days, k;
    bool empty;
    if (!day_of(cx, &args[0], &days, &empty))
        return false;
    if (empty || args[1].type == V_NULL)
        return true;
    if (!bi_int_arg(cx, &args[1], "the count", &k))
        return false;
    if (k > MAX_SHIFT_DAYS || k < -MAX_SHIFT_DAYS)
        return bi_fail(cx, "the date is outside the years 1 to 9999");
    if (!months)
        return out_date(cx, days + k, out);
    int64_t y;
    unsigned m, d;
    bi_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + k;
    if (total < 12 || total >= 10000 * 12)
        return bi_fail(cx, "the date is outside the years 1 to 9999");
    y = total / 12;
    m = (unsigned)(total % 12) + 1;
    unsigned last = bi_days_in_month(y, m);
    return out_date(cx, bi_days_from_civil(y, m, d < last ? d : last), out);   /* Jan 31 + 1: Feb 28/29 */
}

bool bi_add_days(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    return shift(cx, args, nargs, false, out);
}

bool bi_add_months(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    return shift(cx, args, nargs, true, out);
}

bool bi_days_between(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    int64_t a, b;
    bool empty = false;
    if (!day_of(cx, &args[0], &a, &empty) || (!empty && !day_of(cx, &args[1], &b, &empty)))
        return false;
    if (!empty)
        *out = v_num((double)(b - a));
    return true;
}

bool bi_format_date(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    int64_t days;
    bool empty = false;
    BiText f;
    if (!day_of(cx, &args[0], &days, &empty) || (!empty && !bi_text(cx, &args[1], &f)))
        return false;
    if (empty)
        return true;
    uint32_t max_len;
    size_t at;
    char err[96];
    if (!builtin_date_format_check(f.s, f.n, &max_len, &at, err, sizeof err))
        return bi_fail(cx, "bad format: %s", err);
    return out_formatted(cx, days, f.s, f.n, out);
}
