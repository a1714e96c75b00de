/* bi_regex: matches(text, pattern) and extract(text, pattern, group) with
 * POSIX extended regular expressions (regcomp/regexec, REG_EXTENDED),
 * searching anywhere in the text: anchor with ^ and $ to test the whole
 * value. Patterns are compiled with their groups, which extract needs and
 * matches ignores (regexec with no match array records none).
 *
 * Time is bounded by refusing what makes POSIX matchers slow: back-references
 * (\1..\9, a glibc extension to ERE whose matching is exponential), stacked
 * repetitions ("a**", whose compilation is exponential), patterns over
 * BI_REGEX_MAX_PATTERN bytes and texts over BI_REGEX_MAX_TEXT bytes.
 * Without back-references glibc matches in time polynomial in the text, and
 * the bound keeps the worst case small (docs/builtins.md has the figure).
 * Matching is byte-wise in the C locale: "." is one byte, not one character.
 *
 * Compiled patterns are cached per run (BiState.regex, a few slots reused in
 * turn), so a constant pattern is compiled once, not once per record. */
#include <regex.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "bi_impl.h"
#include "cm_alloc.h"

enum {
    BI_REGEX_MAX_PATTERN = 1024,
    BI_REGEX_MAX_WEIGHT = 256,
    BI_REGEX_MAX_TEXT = 4096,
    MAX_DEPTH = 32,
    CACHE_SLOTS = 8
};

typedef struct Slot {
    char *pattern;      /* NULL when the slot is free */
    size_t len;
    regex_t re;
} Slot;

struct BiRegexCache {
    Slot slot[CACHE_SLOTS];
    size_t next;        /* the slot to reuse next */
};

/* The index of the ']' closing the bracket expression opened at p[i] (n if
 * none): a ']' first in the list is a member, and so is any ']' inside
 * "[:alpha:]", "[=e=]" or "[.-.]". */
static size_t bracket_end(const char *p, size_t n, size_t i)
{
    size_t j = i + 1;
    if (j < n && p[j] == '^')
        j++;
    if (j < n && p[j] == ']')
        j++;
    for (; j < n && p[j] != ']'; j++) {
        if (p[j] == '[' && j + 1 < n && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.')) {
            char kind = p[j + 1];
            for (j += 2; j + 1 < n && !(p[j] == kind && p[j + 1] == ']'); j++)
                ;
            j++;
        }
    }
    return j;
}

/* The offset of a repetition operator that directly follows another, as
 * in "a**" or "a*{3,}", or SIZE_MAX when there is none. POSIX leaves such
 * stacks undefined, and glibc compiles each stacked '*' by doubling the
 * automaton: "^[a-z]**********{3,}" takes it 0.8 s, two more stars four
 * times that (a fuzzer found the case). "(a*)*" states the same intent,
 * is defined, and compiles at once. */
static size_t stacked_repetition(const char *p, size_t n)
{
    bool after_repetition = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool interval = c == '{' && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9';
        if (c == '*' || c == '+' || c == '?' || interval) {
            if (after_repetition)
                return i;
            after_repetition = true;
            while (interval && i + 1 < n && p[i] != '}')
                i++;
            continue;
        }
        after_repetition = false;
        if (c == '[')
            i = bracket_end(p, n, i);
        else if (c == '\\')
            i++;
    }
    return SIZE_MAX;
}

/* The size of the pattern once its counted repetitions are written out:
 * "(a{1,100}){1,100}" is 10,000 copies of "a", and glibc builds automata
 * that large, which makes matching slow. glibc also writes "x+" as "xx*",
 * so "a++++..." doubles at every '+' (a fuzzer found 50 of them exhausting
 * memory in regcomp). Atoms count 1, a group the sum of its atoms, "{m,n}"
 * multiplies what it follows by n (by m + 1 when open), "+" by 2.
 * Returns SIZE_MAX beyond MAX_DEPTH nested groups. */
/* The largest count of "{m}", "{m,}" (m + 1) or "{m,n}" (n) at p[*i],
 * leaving *i on the closing brace; SIZE_MAX when absurdly large. */
static size_t brace_count(const char *p, size_t n, size_t *i)
{
    size_t m = 0, k = 0;
    bool comma = false, have_k = false;
    for ((*i)++; *i < n && p[*i] != '}'; (*i)++) {
        if (p[*i] == ',') {
            comma = true;
        } else if (p[*i] >= '0' && p[*i] <= '9') {
            size_t *v = comma ? &k : &m;
            *v = *v * 10 + (size_t)(p[*i] - '0');
            have_k |= comma;
            if (*v > 100000)
                return SIZE_MAX;
        }
    }
    return !comma ? m : have_k ? k : m + 1;
}

static size_t pattern_weight(const char *p, size_t n)
{
    size_t sum[MAX_DEPTH + 1] = { 0 }, last[MAX_DEPTH + 1] = { 0 };
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        size_t atom = 1;
        if (c == '(') {
            if (++depth > MAX_DEPTH)
                return SIZE_MAX;
            sum[depth] = last[depth] = 0;
            continue;
        } else if (c == ')' && depth > 0) {
            atom = sum[depth--];
        } else if (c == '{' || c == '+') {
            size_t times = c == '+' ? 2 : brace_count(p, n, &i);
            if (times == SIZE_MAX)
                return SIZE_MAX;
            if (times > 1) {
                size_t extra = last[depth] * (times - 1);
                sum[depth] += extra;
                last[depth] *= times;
            }
            if (sum[depth] > BI_REGEX_MAX_WEIGHT * 16)
                return SIZE_MAX;
            continue;
        } else if (c == '[') {          /* a bracket expression is one atom */
            i = bracket_end(p, n, i);
        } else if (c == '\\') {
            i++;
        } else if (c == '*' || c == '?' || c == '|' || c == '^' || c == '$') {
            continue;
        }
        sum[depth] += atom;
        last[depth] = atom;
    }
    while (depth > 0) {
        size_t inner = sum[depth--];
        sum[depth] += inner;
    }
    return sum[0];
}

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
    if (pattern_weight(pattern, len) > BI_REGEX_MAX_WEIGHT) {
        snprintf(err, errlen, "the pattern is too large once its repetitions {m,n} are counted out "
                 "(at most %d)", BI_REGEX_MAX_WEIGHT);
        return false;
    }
    size_t stacked = stacked_repetition(pattern, len);
    if (stacked != SIZE_MAX) {
        snprintf(err, errlen, "the repetition '%c' at offset %zu follows another one, which POSIX "
                 "leaves undefined; group what it repeats, as in \"(a*)*\"", pattern[stacked], stacked);
        return false;
    }
    int rc = regcomp(re, pattern, REG_EXTENDED);
    if (rc != 0) {
        regerror(rc, re, err, errlen);
        return false;
    }
    return true;
}

bool builtin_regex_check(const char *pattern, size_t len, size_t *groups, char *err, size_t errlen)
{
    char *copy = cm_malloc(len + 1);
    memcpy(copy, pattern, len);
    copy[len] = '\0';
    regex_t re;
    bool ok = compile(copy, len, &re, err, errlen);
    if (ok) {
        if (groups)
            *groups = re.re_nsub;
        regfree(&re);
    }
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

/* The compiled pattern of args[1] and the text of args[0] as a C string
 * (*z NULL when the text is empty); false on an error. */
static bool prepare(BiCtx *cx, const Value *args, const regex_t **re, char **z)
{
    BiText t, pattern;
    if (!bi_text(cx, &args[0], &t) || !bi_text(cx, &args[1], &pattern))
        return false;
    *re = cached(cx, pattern);
    if (*re == NULL)
        return false;
    *z = NULL;
    if (value_is_empty(&args[0]))
        return true;
    if (t.n > BI_REGEX_MAX_TEXT)
        return bi_fail(cx, "the text is longer than %d bytes", BI_REGEX_MAX_TEXT);
    if (memchr(t.s, '\0', t.n) != NULL)
        return bi_fail(cx, "the text contains a NUL character");
    *z = cm_arena_strndup(cx->arena, t.s, t.n);
    return true;
}

bool bi_matches(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    const regex_t *re;
    char *z;
    if (!prepare(cx, args, &re, &z))
        return false;
    *out = v_bool(z != NULL && regexec(re, z, 0, NULL, 0) == 0);
    return true;
}

bool bi_extract(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    const regex_t *re;
    char *z;
    int64_t group;
    if (!prepare(cx, args, &re, &z) || !bi_int_arg(cx, &args[2], "the group", &group))
        return false;
    if (group < 0 || group > BI_REGEX_MAX_GROUP || (uint64_t)group > re->re_nsub)
        return bi_fail(cx, "the pattern has no group %lld (it has %zu; at most %d)", (long long)group,
                       re->re_nsub, BI_REGEX_MAX_GROUP);
    regmatch_t m[BI_REGEX_MAX_GROUP + 1];
    if (z == NULL || regexec(re, z, (size_t)group + 1, m, 0) != 0 || m[group].rm_so < 0)
        return true;                    /* no match, or the group took no part: null */
    return bi_out_text(cx, out, z + m[group].rm_so, (size_t)(m[group].rm_eo - m[group].rm_so));
}
