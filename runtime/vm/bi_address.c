/* bi_address: street_name(s) and house_number(s) split one street line.
 * The house number is a token that starts with a digit ("12", "12a", "221B",
 * "12-14", "3/1"), with the suffixes that may follow it ("a", "bis", "ter",
 * "quater", "- 14"), at the end of the line (German, French, Dutch...: "Hauptstr.
 * 12a", "Rue de la Paix 5 bis", "Hauptstr.12") or else at its start (English,
 * French: "12 Main Street", "5 bis, rue de la Paix"). A token ending in "."
 * is an ordinal, part of the name ("Straße des 17. Juni 5"). No number found:
 * the whole line is the street name and house_number is empty. */
#include <string.h>

#include "bi_impl.h"
#include "text_space.h"

enum { MAX_TOKENS = 64, MAX_SUFFIXES = 3 };

typedef struct Span {
    size_t start, end;
} Span;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }

static bool is_number_token(const char *s, size_t n)
{
    if (n == 0 || !is_digit(s[0]) || s[n - 1] == '.')
        return false;
    size_t letters = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (is_alpha(c))
            letters++;
        else if (!is_digit(c) && c != '-' && c != '/')
            return false;
    }
    return letters <= 2;
}

static bool is_suffix_token(const char *s, size_t n)
{
    return (n == 1 && (is_alpha(s[0]) || s[0] == '-' || s[0] == '/'))
           || bi_ascii_ieq(s, n, "bis") || bi_ascii_ieq(s, n, "ter")
           || bi_ascii_ieq(s, n, "quater") || is_number_token(s, n);
}

/* Splits at spaces and commas; false when there are too many tokens. */
static bool tokenize(const char *s, size_t n, Span *tok, size_t *count)
{
    size_t k = 0, i = 0;
    while (i < n) {
        size_t sp = text_space_at(s + i, n - i);
        if (sp || s[i] == ',') {
            i += sp ? sp : 1;
            continue;
        }
        if (k == MAX_TOKENS)
            return false;
        tok[k].start = i;
        while (i < n && s[i] != ',' && text_space_at(s + i, n - i) == 0)
            i++;
        tok[k++].end = i;
    }
    *count = k;
    return true;
}

#define TOKEN(k) (s + tok[k].start), (tok[k].end - tok[k].start)

/* Finds the name and number spans of s (trimmed); an empty span is
 * start == end. */
static void split_address(const char *s, size_t n, Span *name, Span *number)
{
    Span tok[MAX_TOKENS];
    size_t count;
    name->start = name->end = number->start = number->end = 0;
    if (!tokenize(s, n, tok, &count) || count == 0) {
        name->end = n;
        return;
    }
    /* At the end: the first number token followed only by suffixes
     * ("12 - 14" is one number, not "14"). */
    size_t found = count;
    bool rest_are_suffixes = true;
    for (size_t i = count; i-- > 0 && rest_are_suffixes && count - i <= MAX_SUFFIXES + 1;) {
        if (is_number_token(TOKEN(i)))
            found = i;
        rest_are_suffixes = is_suffix_token(TOKEN(i));
    }
    if (found < count) {
        *number = (Span){ tok[found].start, tok[count - 1].end };
        if (found > 0)
            *name = (Span){ tok[0].start, tok[found - 1].end };
        return;
    }
    /* Glued to the name: "Hauptstr.12", "Hauptstrasse12a". */
    const char *last = s + tok[count - 1].start;
    size_t len = tok[count - 1].end - tok[count - 1].start;
    for (size_t p = 3; p < len; p++) {
        if (is_digit(last[p]) && !is_digit(last[p - 1]) && last[p - 1] != '-'
            && is_number_token(last + p, len - p)) {
            *name = (Span){ tok[0].start, tok[count - 1].start + p };
            *number = (Span){ tok[count - 1].start + p, tok[count - 1].end };
            return;
        }
    }
    /* At the start: "12 Main Street", "5 bis rue de la Paix". */
    if (is_number_token(TOKEN(0)) && count > 1) {
        size_t j = 1;
        while (j < count - 1 && j <= MAX_SUFFIXES && is_suffix_token(TOKEN(j))
               && !is_number_token(TOKEN(j)))
            j++;
        *number = (Span){ tok[0].start, tok[j - 1].end };
        *name = (Span){ tok[j].start, tok[count - 1].end };
        return;
    }
    name->end = n;
}

static bool address_part(BiCtx *cx, const Value *arg, bool want_name, Value *out)
{
    BiText t;
    if (!bi_text(cx, arg, &t))
        return false;
    text_trim(&t.s, &t.n);
    if (t.n == 0)
        return true;
    Span name, number;
    split_address(t.s, t.n, &name, &number);
    Span part = want_name ? name : number;
    const char *p = t.s + part.start;
    size_t n = part.end - part.start;
    text_trim(&p, &n);
    while (n > 0 && p[n - 1] == ',')
        n--;
    text_trim(&p, &n);
    return bi_out_text(cx, out, p, n);
}

bool bi_street_name(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return address_part(cx, &args[0], true, out);
}

bool bi_house_number(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return address_part(cx, &args[0], false, out);
}
