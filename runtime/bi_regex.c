/* bi_regex: matches(text, pattern) with POSIX extended regular expressions
 * (regcomp/regexec, REG_EXTENDED | REG_NOSUB), searching anywhere in the
 * text: anchor with ^ and $ to test the whole value.
 *
 * Time is bounded by refusing what makes POSIX matchers slow: back-references
 * (\1..\9, a glibc extension to ERE whose matching is exponential), patterns
 * over BI_REGEX_MAX_PATTERN bytes and texts over BI_REGEX_MAX_TEXT bytes.
 * Without back-references glibc matches in time polynomial in the text, and
 * the bound keeps the worst case small (docs/builtins.md has the figure).
 * Matching is byte-wise in the C locale: "." is one byte, not one character.
 *
 * Compiled patterns are cached per run (BiState.regex, a few slots reused in
 * turn), so a constant pattern is compiled once, not once per record. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "bi_impl.h"
#include "cm_alloc.h"

enum { BI_REGEX_MAX_PATTERN = 1024, BI_REGEX_MAX_TEXT = 16384, CACHE_SLOTS = 8 };

typedef struct Slot {
    char *pattern;      /* NULL when the slot is free */
    size_t len;
    regex_t re;
} Slot;

struct BiRegexCache {
    Slot slot[CACHE_SLOTS];
    size_t next;        /* the slot to reuse next */
};

/* Checks the limits and compiles; pattern must be NUL-terminated at len. */
static bool compile(const char *pattern, size_t len, regex_t *re, char *err, size_t errlen)
{
    if (len > BI_REGEX_MAX_PATTERN) {
        snprintf(err, errlen, "the pattern is longer than %d bytes", BI_REGEX_MAX_PATTERN);
        return false;
    }
    if (memchr(pattern, '\0', len) != NULL) {
        snprintf(err, errlen, "the pattern contains a NUL character");
        return false;
    }
    for (size_t i = 0; i + 1 < len; i++) {
        if (pattern[i] == '\\' && pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
            snprintf(err, errlen, "back-references such as \\%c are not supported", pattern[i + 1]);
            return false;
        }
        if (pattern[i] == '\\')
            i++;
    }
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, re, err, errlen);
        return false;
    }
    return true;
}

bool builtin_regex_check(const char *pattern, size_t len, char *err, size_t errlen)
{
    char *copy = cm_malloc(len + 1);
    memcpy(copy, pattern, len);
    copy[len] = '\0';
    regex_t re;
    bool ok = compile(copy, len, &re, err, errlen);
    if (ok)
        regfree(&re);
    cm_free(copy);
    return ok;
}

static const regex_t *cached(BiCtx *cx, BiText pattern)
{
    BiState *st = bi_state(cx);
    if (st->regex == NULL)
        st->regex = cm_calloc(1, sizeof *st->regex);
    BiRegexCache *cache = st->regex;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        Slot *s = &cache->slot[i];
        if (s->pattern && s->len == pattern.n && memcmp(s->pattern, pattern.s, s->len) == 0)
            return &s->re;
    }
    char err[200];
    char *copy = cm_malloc(pattern.n + 1);
    memcpy(copy, pattern.s, pattern.n);
    copy[pattern.n] = '\0';
    regex_t re;
    if (!compile(copy, pattern.n, &re, err, sizeof err)) {
        cm_free(copy);
        bi_fail(cx, "bad pattern: %s", err);
        return NULL;
    }
    Slot *s = &cache->slot[cache->next];
    cache->next = (cache->next + 1) % CACHE_SLOTS;
    if (s->pattern) {
        regfree(&s->re);
        cm_free(s->pattern);
    }
    s->pattern = copy;
    s->len = pattern.n;
    s->re = re;
    return &s->re;
}

void bi_regex_cache_free(BiRegexCache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (cache->slot[i].pattern) {
            regfree(&cache->slot[i].re);
            cm_free(cache->slot[i].pattern);
        }
    }
    cm_free(cache);
}

bool bi_matches(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    BiText t, pattern;
    if (!bi_text(cx, &args[0], &t) || !bi_text(cx, &args[1], &pattern))
        return false;
    const regex_t *re = cached(cx, pattern);
    if (re == NULL)
        return false;
    *out = v_bool(false);
    if (value_is_empty(&args[0]))
        return true;
    if (t.n > BI_REGEX_MAX_TEXT)
        return bi_fail(cx, "the text is longer than %d bytes", BI_REGEX_MAX_TEXT);
    if (memchr(t.s, '\0', t.n) != NULL)
        return bi_fail(cx, "the text contains a NUL character");
    char *z = cm_arena_strndup(cx->arena, t.s, t.n);
    *out = v_bool(regexec(re, z, 0, NULL, 0) == 0);
    return true;
}
