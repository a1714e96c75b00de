/* bi_phone: e164(phone[, country]) — a phone number as E.164 ("+4989123456").
 * The number may be written with spaces, dashes, dots, slashes, brackets
 * and a bracketed trunk zero ("+49 (0)89 12 34-56"). Its country comes from
 * a leading "+" or international call prefix ("00", "011" in North America,
 * ...) or else the default country (ISO 3166 alpha-2), whose trunk prefix
 * ("0", "1" in North America, "8" in Russia) is dropped. Anything else in
 * the text (letters, extensions) is an error, as is a number too short or
 * too long for its country: better a reported record than a wrong number
 * in the CRM. */
#include <stdio.h>
#include <string.h>

#include "bi_impl.h"
#include "text_space.h"

typedef struct Country {
    char iso[3];
    const char *code;       /* calling code */
    const char *idd;        /* international call prefix */
    const char *trunk;      /* national trunk prefix, "" for none */
    unsigned char min, max; /* digits of the national significant number */
} Country;

/* Lengths from the ITU national numbering plans, generously rounded: the
 * check catches a missing or doubled digit group, not every invalid number. */
static const Country countries[] = {
    { "AD", "376", "00", "", 6, 9 },     { "AE", "971", "00", "0", 8, 9 },
    { "AT", "43", "00", "0", 4, 13 },    { "AU", "61", "0011", "0", 9, 9 },
    { "BE", "32", "00", "0", 8, 9 },     { "BG", "359", "00", "0", 7, 9 },
    { "BR", "55", "00", "0", 10, 11 },   { "CA", "1", "011", "1", 10, 10 },
    { "CH", "41", "00", "0", 9, 9 },     { "CN", "86", "00", "0", 9, 11 },
    { "CY", "357", "00", "", 8, 8 },     { "CZ", "420", "00", "", 9, 9 },
    { "DE", "49", "00", "0", 5, 13 },    { "DK", "45", "00", "", 8, 8 },
    { "EE", "372", "00", "", 7, 8 },     { "ES", "34", "00", "", 9, 9 },
    { "FI", "358", "00", "0", 5, 12 },   { "FR", "33", "00", "0", 9, 9 },
    { "GB", "44", "00", "0", 9, 10 },    { "GR", "30", "00", "", 10, 10 },
    { "HK", "852", "001", "", 8, 8 },    { "HR", "385", "00", "0", 8, 9 },
    { "HU", "36", "00", "06", 8, 9 },    { "IE", "353", "00", "0", 7, 9 },
    { "IL", "972", "00", "0", 8, 9 },    { "IN", "91", "00", "0", 10, 10 },
    { "IS", "354", "00", "", 7, 9 },     { "IT", "39", "00", "", 6, 11 },
    { "JP", "81", "010", "0", 9, 10 },   { "LI", "423", "00", "", 7, 9 },
    { "LT", "370", "00", "8", 8, 8 },    { "LU", "352", "00", "", 4, 11 },
    { "LV", "371", "00", "", 8, 8 },     { "MC", "377", "00", "", 8, 9 },
    { "MT", "356", "00", "", 8, 8 },     { "MX", "52", "00", "", 10, 10 },
    { "NL", "31", "00", "0", 9, 9 },     { "NO", "47", "00", "", 8, 8 },
    { "NZ", "64", "00", "0", 8, 10 },    { "PL", "48", "00", "", 9, 9 },
    { "PT", "351", "00", "", 9, 9 },     { "RO", "40", "00", "0", 9, 9 },
    { "RU", "7", "810", "8", 10, 10 },   { "SE", "46", "00", "0", 7, 9 },
    { "SG", "65", "000", "", 8, 8 },     { "SI", "386", "00", "0", 8, 8 },
    { "SK", "421", "00", "0", 9, 9 },    { "TR", "90", "00", "0", 10, 10 },
    { "UA", "380", "00", "0", 9, 9 },    { "US", "1", "011", "1", 10, 10 },
    { "ZA", "27", "00", "0", 9, 9 },
};
enum { NCOUNTRIES = sizeof countries / sizeof countries[0], MAX_DIGITS = 15 };

static const Country *country_by_iso(const char *s, size_t n)
{
    if (bi_ascii_ieq(s, n, "UK"))
        return country_by_iso("GB", 2);
    for (size_t i = 0; i < NCOUNTRIES; i++)
        if (bi_ascii_ieq(s, n, countries[i].iso))
            return &countries[i];
    return NULL;
}

/* The country whose calling code starts digits (longest match; for +1
 * the first of the table, CA: the rules are the same), or NULL. */
static const Country *country_by_code(const char *digits)
{
    const Country *best = NULL;
    for (size_t i = 0; i < NCOUNTRIES; i++) {
        size_t len = strlen(countries[i].code);
        if (strncmp(digits, countries[i].code, len) == 0
            && (best == NULL || len > strlen(best->code)))
            best = &countries[i];
    }
    return best;
}

static bool starts_with(const char *s, const char *prefix)
{
    return *prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Reads the digits of s into digits (at most cap - 1 and a NUL), skipping
 * separators and a bracketed "(0)"; *plus says whether it began with '+'. */
static bool read_digits(BiCtx *cx, const char *s, size_t n, char *digits, size_t cap, bool *plus)
{
    size_t w = 0;
    *plus = false;
    for (size_t i = 0; i < n;) {
        char c = s[i];
        size_t sp = text_space_at(s + i, n - i);
        if (sp) {
            i += sp;
        } else if (c >= '0' && c <= '9') {
            if (w + 1 >= cap)
                return bi_fail(cx, "too many digits for a phone number");
            digits[w++] = c;
            i++;
        } else if (c == '+' && w == 0 && !*plus) {
            *plus = true;
            i++;
        } else if (c == '(' && i + 2 < n && s[i + 1] == '0' && s[i + 2] == ')' && (w > 0 || *plus)) {
            i += 3;
        } else if (c == '-' || c == '.' || c == '/' || c == '(' || c == ')') {
            i++;
        } else if (n - i >= 3 && memcmp(s + i, "\xE2\x80\x93", 3) == 0) {     /* en dash */
            i += 3;
        } else {
            char q[BI_QUOTE_SIZE];
            return bi_fail(cx, "\"%s\" is not a phone number (unexpected '%c')",
                           bi_quote(s, n, q), (unsigned char)c < 0x20 || (unsigned char)c >= 0x7F ? '?' : c);
        }
    }
    digits[w] = '\0';
    return true;
}

bool bi_e164(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    const Country *home = NULL;
    char q[BI_QUOTE_SIZE];
    if (nargs > 1 && !value_is_empty(&args[1])) {
        BiText c;
        if (!bi_text(cx, &args[1], &c))
            return false;
        text_trim(&c.s, &c.n);
        home = country_by_iso(c.s, c.n);
        if (home == NULL)
            return bi_fail(cx, "\"%s\" is not a country this function knows (an ISO code such as DE)",
                           bi_quote(c.s, c.n, q));
    }
    if (value_is_empty(&args[0]))
        return true;
    BiText t;
    if (!bi_text(cx, &args[0], &t))
        return false;
    text_trim(&t.s, &t.n);
    enum { CAP = 40 };
    char digits[CAP];
    bool plus;
    if (!read_digits(cx, t.s, t.n, digits, CAP, &plus))
        return false;
    const char *intl;                   /* the number after the "+" */
    char buf[2 * CAP];
    if (plus) {
        intl = digits;
    } else if (starts_with(digits, home ? home->idd : "00")) {
        intl = digits + strlen(home ? home->idd : "00");
    } else if (home == NULL) {
        return bi_fail(cx, "\"%s\" has no country code and no default country is given",
                       bi_quote(t.s, t.n, q));
    } else {
        const char *national = digits;
        if (starts_with(national, home->trunk))
            national += strlen(home->trunk);
        snprintf(buf, sizeof buf, "%s%s", home->code, national);
        intl = buf;
    }
    const Country *c = home && starts_with(intl, home->code) ? home : country_by_code(intl);
    size_t total = strlen(intl);
    if (c != NULL) {
        size_t cc = strlen(c->code);
        /* "+49 089 ...": a trunk zero kept after the country code. */
        if (c->trunk[0] == '0' && intl[cc] == '0') {
            char fixed[2 * CAP];
            snprintf(fixed, sizeof fixed, "%s%s", c->code, intl + cc + 1);
            memcpy(buf, fixed, sizeof buf);
            intl = buf;
            total--;
        }
        size_t nsn = total - cc;
        if (nsn < c->min || nsn > c->max)
            return bi_fail(cx, "\"%s\" has %zu digits after +%s; a number in %s has %u to %u",
                           bi_quote(t.s, t.n, q), nsn, c->code, c->iso, c->min, c->max);
    } else if (total < 8 || total > MAX_DIGITS || intl[0] == '0') {
        return bi_fail(cx, "\"%s\" is not a valid international number", bi_quote(t.s, t.n, q));
    }
    char *dst = cm_arena_alloc(cx->arena, total + 2);
    dst[0] = '+';
    memcpy(dst + 1, intl, total);
    return bi_out_text(cx, out, dst, total + 1);
}
