/* bi_date: date(), datetime(), today(), now() and the run's clock.
 * Input is text: ISO 8601 ("2026-03-29", "2026-03-29T02:30:00+01:00",
 * space for T, fractions of a second, Z or an offset), or any layout
 * described by an explicit format ("DD.MM.YYYY", "MM/DD/YYYY", see
 * docs/builtins.md). Output is ISO: dates "YYYY-MM-DD", date-times in UTC
 * "YYYY-MM-DDTHH:MM:SSZ" (fractions dropped). Impossible dates (2023-02-29,
 * 2026-04-31, 25:00) are errors. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bi_datefmt.h"
#include "bi_time.h"
#include "text_space.h"

typedef struct Civil {
    int64_t year;
    unsigned month, day, hour, minute, second;
    bool has_offset;
    int32_t offset;         /* seconds east of UTC, when has_offset */
} Civil;

typedef struct Cursor {
    const char *s;
    size_t n, at;
} Cursor;

/* Reads min..max digits. */
static bool read_num(Cursor *c, size_t min, size_t max, unsigned *v)
{
    size_t k = 0;
    *v = 0;
    while (k < max && c->at < c->n && c->s[c->at] >= '0' && c->s[c->at] <= '9') {
        *v = *v * 10 + (unsigned)(c->s[c->at++] - '0');
        k++;
    }
    return k >= min;
}

static bool read_char(Cursor *c, char ch)
{
    if (c->at < c->n && c->s[c->at] == ch) {
        c->at++;
        return true;
    }
    return false;
}

/* Z, +hh, +hhmm, +hh:mm (or -). */
static bool read_offset(Cursor *c, Civil *t)
{
    if (read_char(c, 'Z') || read_char(c, 'z')) {
        t->has_offset = true;
        t->offset = 0;
        return true;
    }
    if (c->at >= c->n || (c->s[c->at] != '+' && c->s[c->at] != '-'))
        return false;
    int sign = c->s[c->at++] == '-' ? -1 : 1;
    unsigned h, m = 0;
    if (!read_num(c, 2, 2, &h))
        return false;
    if (read_char(c, ':')) {
        if (!read_num(c, 2, 2, &m))
            return false;
    } else if (c->at < c->n && c->s[c->at] >= '0' && c->s[c->at] <= '9' && !read_num(c, 2, 2, &m)) {
        return false;
    }
    if (h > 18 || m > 59)
        return false;
    t->has_offset = true;
    t->offset = sign * (int32_t)(h * 3600 + m * 60);
    return true;
}

/* hh:mm[:ss[.fff]] */
static bool read_clock(Cursor *c, Civil *t)
{
    if (!read_num(c, 2, 2, &t->hour) || !read_char(c, ':') || !read_num(c, 2, 2, &t->minute))
        return false;
    if (read_char(c, ':')) {
        if (!read_num(c, 2, 2, &t->second))
            return false;
        if (read_char(c, '.') || read_char(c, ',')) {
            unsigned frac;
            if (!read_num(c, 1, 9, &frac))
                return false;
            while (c->at < c->n && c->s[c->at] >= '0' && c->s[c->at] <= '9')
                c->at++;
        }
    }
    return true;
}

/* ISO 8601 alone: any other layout ("29.03.2026") needs its format, so
 * what a value means is written in the mapping, never guessed. */
static bool read_auto(Cursor *c, Civil *t)
{
    unsigned y;
    if (read_num(c, 4, 4, &y) && read_char(c, '-')) {
        if (!read_num(c, 2, 2, &t->month) || !read_char(c, '-') || !read_num(c, 2, 2, &t->day))
            return false;
        t->year = y;
        if (c->at == c->n)
            return true;
        if (!read_char(c, 'T') && !read_char(c, 't') && !read_char(c, ' '))
            return false;
        if (!read_clock(c, t))
            return false;
        if (c->at < c->n && !read_offset(c, t))
            return false;
        return c->at == c->n;
    }
    return false;
}

/* The field of t a numeric token reads, and the fewest digits it takes
 * (MM two, M one or two); NULL for a token that is not a number of t's. */
static unsigned *numeric_field(Civil *t, DateToken tok, size_t *min)
{
    *min = tok.len;
    switch (tok.kind) {
    case DTK_MONTH: return &t->month;
    case DTK_DAY: return &t->day;
    case DTK_HOUR: return &t->hour;
    case DTK_MINUTE: return &t->minute;
    case DTK_SECOND: return &t->second;
    default: return NULL;
    }
}

const char *builtin_date_format_problem(const char *f, size_t fn, size_t *at)
{
    bool year = false, month = false, day = false;
    for (size_t i = 0; i < fn;) {
        DateToken tok = bi_date_token(f + i, fn - i);
        *at = i;
        if (tok.kind == DTK_YEAR2)
            return "a two-digit year (YY) does not say its century: date() reads YYYY";
        if (tok.kind == DTK_BAD)
            return "this letter is not one of the tokens YYYY MM M DD D HH H mm ss Z";
        year |= tok.kind == DTK_YEAR;
        month |= tok.kind == DTK_MONTH;
        day |= tok.kind == DTK_DAY;
        i += tok.len;
    }
    *at = fn;
    return year && month && day ? NULL : "a date format needs YYYY, MM (or M) and DD (or D)";
}

/* Format tokens (bi_datefmt.h): YYYY, MM/M, DD/D, HH/H, mm, ss, Z (an
 * offset); T and other characters must appear as they are, and a space
 * matches one or more spaces. f has passed builtin_date_format_problem. */
static bool read_format(Cursor *c, const char *f, size_t fn, Civil *t)
{
    for (size_t i = 0; i < fn;) {
        DateToken tok = bi_date_token(f + i, fn - i);
        char ch = f[i];
        size_t min;
        unsigned v, *field = numeric_field(t, tok, &min);
        i += tok.len;
        if (field != NULL) {
            if (!read_num(c, min, 2, field))
                return false;
        } else if (tok.kind == DTK_YEAR) {
            if (!read_num(c, 4, 4, &v))
                return false;
            t->year = v;
        } else if (tok.kind == DTK_ZONE) {
            if (!read_offset(c, t))
                return false;
        } else if (ch == ' ') {
            if (!read_char(c, ' '))
                return false;
            while (read_char(c, ' '))
                ;
        } else if (!read_char(c, ch)) {     /* text, or T */
            return false;
        }
    }
    return c->at == c->n;
}

/* Parses value v (text) with format f (NULL: automatic) into t. */
static bool parse_civil(BiCtx *cx, const Value *v, const BiText *f, Civil *t)
{
    char q[BI_QUOTE_SIZE];
    if (v->type != V_STR)
        return bi_fail(cx, "expected a date as text");
    const char *s = v->u.str;
    size_t n = v->len;
    text_trim(&s, &n);
    memset(t, 0, sizeof *t);
    Cursor c = { s, n, 0 };
    if (f == NULL) {
        if (!read_auto(&c, t))
            return bi_fail(cx, "cannot read \"%s\" as an ISO 8601 date (YYYY-MM-DD); "
                           "give its format, e.g. \"DD.MM.YYYY\"", bi_quote(s, n, q));
    } else {
        char fq[BI_QUOTE_SIZE];
        size_t at;
        const char *problem = builtin_date_format_problem(f->s, f->n, &at);
        if (problem)
            return bi_fail(cx, "the format \"%s\" at byte %zu: %s", bi_quote(f->s, f->n, fq), at + 1, problem);
        if (!read_format(&c, f->s, f->n, t))
            return bi_fail(cx, "\"%s\" does not have the format \"%s\"", bi_quote(s, n, q),
                           bi_quote(f->s, f->n, fq));
    }
    if (t->year < 1 || t->month < 1 || t->month > 12 || t->day < 1
        || t->day > bi_days_in_month(t->year, t->month))
        return bi_fail(cx, "\"%s\" is not a date that exists", bi_quote(s, n, q));
    if (t->hour > 23 || t->minute > 59 || t->second > 59)
        return bi_fail(cx, "\"%s\" is not a time of day that exists", bi_quote(s, n, q));
    return true;
}

static int64_t local_seconds(const Civil *t)
{
    return bi_days_from_civil(t->year, t->month, t->day) * 86400
           + t->hour * 3600 + t->minute * 60 + t->second;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Writes v as exactly width decimal digits. */
static void put_digits(char *dst, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        dst[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "YYYY-MM-DD" of day number days into dst (10 bytes); false outside the
 * years 1 to 9999. */
static bool write_date(BiCtx *cx, int64_t days, char *dst)
{
    int64_t y;
    unsigned m, d;
    bi_civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return bi_fail(cx, "the date is outside the years 1 to 9999");
    put_digits(dst, (unsigned)y, 4);
    dst[4] = '-';
    put_digits(dst + 5, m, 2);
    dst[7] = '-';
    put_digits(dst + 8, d, 2);
    return true;
}

static bool out_date(BiCtx *cx, int64_t days, Value *out)
{
    char *dst = cm_arena_alloc(cx->arena, 10);
    if (!write_date(cx, days, dst))
        return false;
    *out = v_str(dst, 10);
    return true;
}

static bool out_datetime(BiCtx *cx, int64_t t, Value *out)
{
    int64_t days = floor_div(t, 86400);
    unsigned secs = (unsigned)(t - days * 86400);
    char *dst = cm_arena_alloc(cx->arena, 20);
    if (!write_date(cx, days, dst))
        return false;
    dst[10] = 'T';
    put_digits(dst + 11, secs / 3600, 2);
    dst[13] = ':';
    put_digits(dst + 14, secs / 60 % 60, 2);
    dst[16] = ':';
    put_digits(dst + 17, secs % 60, 2);
    dst[19] = 'Z';
    *out = v_str(dst, 20);
    return true;
}

/* The optional format (args[1]) and zone (args[2]) of date()/datetime(). */
static bool options(BiCtx *cx, const Value *args, size_t nargs, BiText *fbuf, const BiText **f,
                    const BiZone **zone)
{
    *f = NULL;
    *zone = NULL;
    if (nargs > 1 && !value_is_empty(&args[1])) {
        if (args[1].type != V_STR)
            return bi_fail(cx, "the format must be text");
        *fbuf = (BiText){ args[1].u.str, args[1].len };
        *f = fbuf;
    }
    if (nargs > 2 && !value_is_empty(&args[2])) {
        if (args[2].type != V_STR)
            return bi_fail(cx, "the time zone must be text");
        const char *s = args[2].u.str;
        size_t n = args[2].len;
        text_trim(&s, &n);
        if ((*zone = bi_zone(cx, s, n)) == NULL)
            return false;
    }
    return true;
}

/* date() and datetime(): their options, the first argument as a civil time
 * (an empty one gives null), then the date or the instant. */
static bool civil_value(BiCtx *cx, const Value *args, size_t nargs, Value *out, bool date_only)
{
    BiText fbuf;
    const BiText *f;
    const BiZone *zone;
    Civil t;
    if (!options(cx, args, nargs, &fbuf, &f, &zone))
        return false;
    if (value_is_empty(&args[0]))
        return true;
    if (!parse_civil(cx, &args[0], f, &t))
        return false;
    int64_t local = local_seconds(&t);
    if (!date_only) {
        int64_t instant = t.has_offset ? local - t.offset : zone ? bi_zone_to_utc(zone, local) : local;
        return out_datetime(cx, instant, out);
    }
    if (t.has_offset && zone != NULL) {             /* the date in that zone */
        int64_t instant = local - t.offset;
        local = instant + bi_zone_offset_at(zone, instant);
    }
    return out_date(cx, floor_div(local, 86400), out);
}

bool bi_date(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    return civil_value(cx, args, nargs, out, true);
}

bool bi_datetime(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    return civil_value(cx, args, nargs, out, false);
}

bool bi_today(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    int64_t local = (int64_t)cx->now;
    if (nargs > 0 && !value_is_empty(&args[0])) {
        if (args[0].type != V_STR)
            return bi_fail(cx, "the time zone must be text");
        const BiZone *zone = bi_zone(cx, args[0].u.str, args[0].len);
        if (zone == NULL)
            return false;
        local += bi_zone_offset_at(zone, local);
    }
    return out_date(cx, floor_div(local, 86400), out);
}

bool bi_now(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)args;
    (void)nargs;
    return out_datetime(cx, (int64_t)cx->now, out);
}

time_t builtins_clock(void)
{
    const char *env = getenv("CRMMAP_NOW");
    if (env == NULL || *env == '\0')
        return time(NULL);
    BiCtx cx = { 0 };
    Value v = v_str(env, (uint32_t)strnlen(env, 100));
    Civil t;
    if (!parse_civil(&cx, &v, NULL, &t)) {
        fprintf(stderr, "crmmap: ignoring CRMMAP_NOW: %s\n", cx.error);
        return time(NULL);
    }
    return (time_t)(local_seconds(&t) - (t.has_offset ? t.offset : 0));
}
