/* vm_check: see vm_check.h. Each check reads the value as the field will
 * get it, so what passes is exactly what is sent. */
#include "vm_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bi_time.h"
#include "file_value.h"
#include "numtext.h"

static bool digits(const char *s, size_t n, size_t at, size_t count, unsigned *v)
{
    *v = 0;
    if (at + count > n)
        return false;
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

/* YYYY-MM-DD of a day that exists, at the start of s (10 bytes). */
static bool iso_date(const char *s, size_t n)
{
    unsigned y, m, d;
    return digits(s, n, 0, 4, &y) && n > 4 && s[4] == '-' && digits(s, n, 5, 2, &m) && n > 7 && s[7] == '-'
           && digits(s, n, 8, 2, &d) && y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= bi_days_in_month(y, m);
}

/* After the date: THH:MM[:SS[.f+]] and a zone, Z or ±HH:MM or ±HHMM. */
static bool iso_datetime(const char *s, size_t n)
{
    unsigned h, mi, sec = 0, zh, zm;
    if (!iso_date(s, n) || n < 16 || s[10] != 'T' || !digits(s, n, 11, 2, &h) || s[13] != ':'
        || !digits(s, n, 14, 2, &mi))
        return false;
    size_t at = 16;
    if (at < n && s[at] == ':') {
        if (!digits(s, n, at + 1, 2, &sec))
            return false;
        at += 3;
        if (at < n && s[at] == '.') {
            size_t from = ++at;
            while (at < n && s[at] >= '0' && s[at] <= '9')
                at++;
            if (at == from)
                return false;
        }
    }
    if (h > 23 || mi > 59 || sec > 59 || at >= n)
        return false;
    if (s[at] == 'Z')
        return at + 1 == n;
    if ((s[at] != '+' && s[at] != '-') || !digits(s, n, at + 1, 2, &zh))
        return false;
    at += 3;
    if (at < n && s[at] == ':')
        at++;
    return digits(s, n, at, 2, &zm) && at + 2 == n && zh <= 18 && zm <= 59;
}

/* A JSON number within precision digits, scale of them after the point:
 * its whole part has at most precision - scale digits. */
static bool fits(double x, unsigned precision, unsigned scale)
{
    if (precision == 0 || scale >= precision)
        return true;
    return fabs(x) < pow(10.0, (double)(precision - scale));
}

/* 1.6: the field's least and greatest value and the digits it keeps after
 * the point. The CRM refuses a record with a number out of range and
 * rounds one with more digits: both are left out instead, so no record is
 * lost and no number changed without a word. */
static bool within(const MapcField *f, const char *name, int n, double x, char *err, size_t errlen)
{
    if (((f->bounds & MK_HAS_MIN) && x < f->min) || ((f->bounds & MK_HAS_MAX) && x > f->max)) {
        char range[2 * NUMTEXT_MAX + 16];
        numtext_range(range, sizeof range, f->bounds & MK_HAS_MIN, f->min, f->bounds & MK_HAS_MAX, f->max);
        snprintf(err, errlen, "%.*s takes numbers %s", n, name, range);
        return false;
    }
    if ((f->bounds & MK_HAS_PLACES) && numtext_places(x) > f->places) {
        snprintf(err, errlen, "%.*s keeps %u digits after the point and the CRM would round this number; "
                 "send it with at most %u", n, name, f->places, f->places);
        return false;
    }
    return true;
}

static bool one_option(const Mapc *m, const MapcField *f, const Value *v)
{
    return value_is_empty(v) || mapc_table_get(&m->tables[f->check_table], v) != NULL;
}

bool vm_check_value(const Mapc *m, const MapcField *f, const Value *raw, const Value *sent, char *err,
                    size_t errlen)
{
    uint32_t nn;
    const char *name = mapc_str(m, f->name, &nn);
    int n = (int)nn;
    switch ((MapcCheck)f->check) {
    case MK_NONE:
    case MK__COUNT:
        return true;
    case MK_DATE:
        if (sent->type == V_STR && sent->len == 10 && iso_date(sent->u.str, sent->len))
            return true;
        snprintf(err, errlen, "%.*s is a date and takes YYYY-MM-DD, a day that exists; read other layouts "
                 "with date(x, \"DD.MM.YYYY\")", n, name);
        return false;
    case MK_DATETIME:
        if (sent->type == V_STR && iso_datetime(sent->u.str, sent->len))
            return true;
        snprintf(err, errlen, "%.*s is a date-time and takes ISO 8601 with a zone (2026-03-05T14:30:00Z); "
                 "read other layouts with datetime(x, \"DD.MM.YYYY HH:mm\", zone)", n, name);
        return false;
    case MK_INTEGER:
        if (sent->type != V_NUM)
            return true;    /* a stringified number is checked as the number it was */
        if (sent->u.num == floor(sent->u.num) && fabs(sent->u.num) < 9007199254740992.0)
            return within(f, name, n, sent->u.num, err, errlen);
        snprintf(err, errlen, "%.*s takes whole numbers", n, name);
        return false;
    case MK_DECIMAL:
        if (sent->type != V_NUM)
            return true;
        if (fits(sent->u.num, f->precision, f->scale))
            return within(f, name, n, sent->u.num, err, errlen);
        snprintf(err, errlen, "%.*s holds %u digits, %u of them after the point: the number is too large", n,
                 name, f->precision, f->scale);
        return false;
    case MK_PICKLIST: {
        const Value *items = raw->type == V_LIST ? raw->u.items : raw;
        uint32_t count = raw->type == V_LIST ? raw->len : 1;
        for (uint32_t i = 0; i < count; i++)
            if (!one_option(m, f, &items[i])) {
                snprintf(err, errlen, "%.*s is a restricted picklist that does not list this value", n, name);
                return false;
            }
        return true;
    }
    case MK_FILE: {
        /* A file that cannot be made is refused here, so the unit goes
         * without it (a partial unit) rather than the CRM failing it whole. */
        FileRef fr;
        char why[96];
        size_t bytes;
        if (sent->type == V_STR && file_parse(sent->u.str, sent->len, &fr, why, sizeof why)
            && (fr.kind == FILE_URL || file_b64_check(fr.body, fr.body_len, &bytes, NULL, why, sizeof why)))
            return true;
        if (sent->type != V_STR)
            snprintf(why, sizeof why, "a file is a data: URI, an https URL or base64");
        snprintf(err, errlen, "%.*s takes a file: %s", n, name, why);
        return false;
    }
    }
    return true;
}
