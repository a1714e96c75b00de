/* numtext: see numtext.h. */
#include "numtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of the JSON number at s[0..n), or 0 when s does not start with one. */
static size_t json_number_len(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && is_digit(s[i]))
        while (i < n && is_digit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i;
}

bool numtext_parse(const char *s, size_t n, double *out)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char buf[128];
    if (n == 0 || n >= sizeof buf || json_number_len(s, n) != n)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    double x = strtod(buf, NULL);
    if (!isfinite(x))
        return false;
    *out = x;
    return true;
}

size_t numtext_format(double x, char buf[NUMTEXT_MAX])
{
    if (x == 0)
        x = 0;  /* -0 prints as 0 */
    if (x == floor(x) && fabs(x) < 1e15) {
        /* What "%.0f" prints, without printf: dry runs format every number. */
        unsigned long long u = (unsigned long long)fabs(x);
        char digits[20];
        size_t n = 0, at = 0;
        do {
            digits[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u > 0);
        if (x < 0)
            buf[at++] = '-';
        while (n > 0)
            buf[at++] = digits[--n];
        buf[at] = '\0';
        return at;
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, NUMTEXT_MAX, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return (size_t)n;   /* 17 significant digits always read back exactly */
}

unsigned numtext_places(double x)
{
    char buf[NUMTEXT_MAX];
    size_t n = numtext_format(x, buf);
    buf[n] = '\0';
    const char *dot = strchr(buf, '.'), *e = strpbrk(buf, "eE");
    long frac = dot ? (long)((e ? e : buf + n) - dot - 1) : 0;
    long exp = e ? strtol(e + 1, NULL, 10) : 0;
    return frac > exp ? (unsigned)(frac - exp) : 0;
}

void numtext_range(char *buf, size_t size, bool has_min, double min, bool has_max, double max)
{
    char lo[NUMTEXT_MAX], hi[NUMTEXT_MAX];
    lo[numtext_format(has_min ? min : 0, lo)] = '\0';
    hi[numtext_format(has_max ? max : 0, hi)] = '\0';
    if (has_min && has_max)
        snprintf(buf, size, "from %s to %s", lo, hi);
    else if (has_min)
        snprintf(buf, size, "from %s up", lo);
    else
        snprintf(buf, size, "up to %s", hi);
}
