/* bi_country: country_code(x) and country_name(code, language), on the
 * table the build generates from Debian's iso-codes (tools/gen_countries.py,
 * countries.inc in the build tree): ISO 3166-1 alpha-2 and alpha-3 codes and
 * the names in the languages that script lists. Names are matched after
 * lower-casing (the lower() table) and with or without their accents; a
 * name the table does not know is an error, not a guess. */
#include <stdint.h>
#include <string.h>

#include "bi_impl.h"
#include "countries.inc"
#include "text_space.h"

/* The country whose key is s[0..n), or -1. */
static int find_key(const char *s, size_t n)
{
    size_t lo = 0, hi = COUNTRY_KEYS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = country_keys[mid].key;
        size_t kn = strlen(k);
        int c = memcmp(k, s, kn < n ? kn : n);
        if (c == 0)
            c = kn < n ? -1 : kn > n;
        if (c == 0)
            return country_keys[mid].country;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

bool bi_country_code(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    Value low = v_null();      /* builtins leave an empty result unset */
    if (!bi_lower(cx, args, 1, &low))
        return false;
    if (low.type != V_STR)
        return true;
    const char *s = low.u.str;
    size_t n = low.len;
    text_trim(&s, &n);
    int i = find_key(s, n);
    if (i < 0) {
        BiText t;       /* quoted as written, not lower-cased */
        char q[BI_QUOTE_SIZE];
        return bi_text(cx, args, &t)
            && bi_fail(cx, "\"%s\" is not a country name or ISO 3166-1 code this table knows",
                       bi_quote(t.s, t.n, q));
    }
    return bi_out_text(cx, out, country_codes[i], 2);
}

bool bi_country_name(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    BiText code, lang;
    if (!bi_text(cx, &args[0], &code) || !bi_text(cx, &args[1], &lang))
        return false;
    text_trim(&code.s, &code.n);
    if (code.n == 0)
        return true;
    size_t l = 0;
    while (l < COUNTRY_LANGS && !bi_ascii_ieq(lang.s, lang.n, country_langs[l]))
        l++;
    if (l == COUNTRY_LANGS) {
        char q[BI_QUOTE_SIZE];
        return bi_fail(cx, "no country names in \"%s\" (en, de, fr, it, es, nl, pt, pl)",
                       bi_quote(lang.s, lang.n, q));
    }
    for (size_t i = 0; i < COUNTRIES; i++) {
        const char *c = country_codes[i];
        char two[3] = { c[0], c[1], '\0' };
        if (bi_ascii_ieq(code.s, code.n, two) || bi_ascii_ieq(code.s, code.n, c + 2)) {
            const char *name = country_names[l][i];
            return bi_out_text(cx, out, name, strlen(name));
        }
    }
    char q[BI_QUOTE_SIZE];
    return bi_fail(cx, "\"%s\" is not an ISO 3166-1 alpha-2 or alpha-3 code", bi_quote(code.s, code.n, q));
}
