/* bi_duration: minutes(x) — a duration in minutes, from a number (already
 * minutes), "h:mm[:ss]", or an ISO 8601 duration: "PT1H30M" is 90,
 * "P1DT2H" 1560, "PT90S" 1.5, "P2W" 20160. A day counts 24 hours; years and
 * months have no fixed length and are refused. */
#include <math.h>
#include <string.h>

#include "bi_impl.h"
#include "numtext.h"
#include "text_space.h"

static char upper_ascii(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

/* Reads a decimal number (digits, optional '.' or ',' fraction). */
static bool read_amount(const char *s, size_t n, size_t *at, double *v)
{
    char buf[32];
    size_t k = 0, i = *at;
    while (i < n && k < sizeof buf - 1
           && ((s[i] >= '0' && s[i] <= '9') || ((s[i] == '.' || s[i] == ',') && k > 0))) {
        buf[k++] = s[i] == ',' ? '.' : s[i];
        i++;
    }
    if (k == 0 || buf[k - 1] == '.')
        return false;
    *at = i;
    return numtext_parse(buf, k, v);
}

static bool iso_duration(const char *s, size_t n, double *minutes, bool *years_or_months)
{
    size_t at = 1;          /* after the P */
    bool in_time = false, any = false;
    const char *units = "YMWD";      /* date units in order; then H M S */
    size_t next_unit = 0;
    double total = 0;
    *years_or_months = false;
    while (at < n) {
        if (upper_ascii(s[at]) == 'T') {
            if (in_time)
                return false;
            in_time = true;
            next_unit = 0;
            units = "HMS";
            at++;
            if (at == n)
                return false;
            continue;
        }
        double v;
        if (!read_amount(s, n, &at, &v) || at == n)
            return false;
        char u = upper_ascii(s[at++]);
        const char *pos = strchr(units + next_unit, u);
        if (u == '\0' || pos == NULL)
            return false;
        next_unit = (size_t)(pos - units) + 1;
        any = true;
        if (!in_time && (u == 'Y' || u == 'M')) {
            *years_or_months = true;
            return false;
        }
        static const struct { char unit; bool time; double minutes; } scale[] = {
            { 'W', false, 10080 }, { 'D', false, 1440 },
            { 'H', true, 60 },     { 'M', true, 1 },    { 'S', true, 1.0 / 60 },
        };
        for (size_t k = 0; k < sizeof scale / sizeof scale[0]; k++)
            if (scale[k].unit == u && scale[k].time == in_time)
                total += v * scale[k].minutes;
    }
    *minutes = total;
    return any;
}

/* h:mm or h:mm:ss */
static bool clock_duration(const char *s, size_t n, double *minutes)
{
    double part[3] = { 0, 0, 0 };
    size_t at = 0, k = 0;
    for (; k < 3; k++) {
        size_t start = at;
        double v = 0;
        while (at < n && s[at] >= '0' && s[at] <= '9' && at - start < 9)
            v = v * 10 + (s[at++] - '0');
        if (at == start || (k > 0 && (at - start != 2 || v > 59)))
            return false;
        part[k] = v;
        if (at == n || s[at] != ':')
            break;
        at++;
    }
    if (at != n || k == 0)
        return false;
    *minutes = part[0] * 60 + part[1] + part[2] / 60;
    return true;
}

bool bi_minutes(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    const Value *v = &args[0];
    if (value_is_empty(v))
        return true;
    if (v->type == V_NUM) {
        if (!isfinite(v->u.num))
            return bi_fail(cx, "the duration is not a finite number");
        *out = *v;
        return true;
    }
    if (v->type != V_STR)
        return bi_fail(cx, "expected a duration as text or a number");
    const char *s = v->u.str;
    size_t n = v->len;
    text_trim(&s, &n);
    bool negative = n > 0 && s[0] == '-';
    double m;
    bool years_or_months = false;
    bool ok = numtext_parse(s, n, &m)
              || clock_duration(s, n, &m)
              || (n > 1 && upper_ascii(s[negative]) == 'P'
                  && iso_duration(s + negative, n - negative, &m, &years_or_months)
                  && ((m = negative ? -m : m), true));
    char q[BI_QUOTE_SIZE];
    if (years_or_months)
        return bi_fail(cx, "\"%s\": years and months have no fixed number of minutes", bi_quote(s, n, q));
    if (!ok || !isfinite(m))
        return bi_fail(cx, "cannot read \"%s\" as a duration (minutes, h:mm or ISO 8601 such as PT1H30M)",
                       bi_quote(s, n, q));
    *out = v_num(m == 0 ? 0 : m);
    return true;
}
