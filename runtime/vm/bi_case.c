/* bi_case: lower(), upper() and title() over the generated case table
 * (bi_case.h). ASCII text takes a fast path. Special rules beyond the
 * table's one-for-one mappings:
 *   - upper("ß") is "SS" (Unicode's full mapping, as German spelling has
 *     it); the capital ẞ U+1E9E lowers to ß. title() leaves a word-initial ß.
 *   - lower() writes Greek capital sigma as final sigma ς at the end of a
 *     word (after a letter, not before one), σ elsewhere.
 *   - İ U+0130 lowers to plain i (its simple mapping).
 * Combining marks are kept as they are and do not end a word. */
#include "bi_case.h"

#include <string.h>

#include "bi_impl.h"
#include "cm_utf8.h"

typedef enum CaseOp { CASE_LOWER, CASE_UPPER, CASE_TITLE } CaseOp;

static const BiCaseRow *case_row(uint32_t cp)
{
    size_t lo = 0, hi = bi_case_nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bi_case_rows[mid].cp == cp)
            return &bi_case_rows[mid];
        if (bi_case_rows[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Simple mappings; cp itself when it has none. */
static uint32_t case_lower(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    const BiCaseRow *r = cp <= 0xFFFF ? case_row(cp) : NULL;
    return r ? r->lower : cp;
}

static uint32_t case_upper(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    const BiCaseRow *r = cp <= 0xFFFF ? case_row(cp) : NULL;
    return r ? r->upper : cp;
}

/* True for letters that have a case. */
static bool is_cased(uint32_t cp)
{
    if (cp < 0x80)
        return (cp | 32) >= 'a' && (cp | 32) <= 'z';
    return cp == 0xDF || (cp <= 0xFFFF && case_row(cp) != NULL);
}

static bool is_combining(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF)
           || (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF)
           || (cp >= 0xFE20 && cp <= 0xFE2F);
}

/* title() words: letters, digits, marks and apostrophes ("o'neil" is one
 * word, "jean-luc" two). Everything else separates words: white space, ASCII
 * and Latin-1 punctuation and symbols, General Punctuation but ’. */
static bool is_word_char(uint32_t cp)
{
    if (cp < 0x80)
        return ((cp | 32) >= 'a' && (cp | 32) <= 'z') || (cp >= '0' && cp <= '9') || cp == '\'';
    if (cp == 0x2019)
        return true;
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
        return false;
    return !(cp >= 0x2000 && cp <= 0x206F) && !(cp >= 0x3000 && cp <= 0x303F) && cp != 0xFEFF;
}

/* Where title() is in the text: whether in a word, how many characters of
 * it came before, and the first two. */
typedef struct TitleState {
    bool in_word;
    size_t pos;
    uint32_t first, second;
} TitleState;

static bool is_apostrophe(uint32_t cp) { return cp == '\'' || cp == 0x2019; }

/* Whether title() capitalises cp: the first letter of a word, and the letter
 * after the O', D' or L' that starts Irish, Italian and French names
 * ("O'Neil", "D'Angelo", "L'Oréal"); "don't" and "I'm" are left alone. */
static bool title_capital(TitleState *st, uint32_t cp)
{
    bool word = is_word_char(cp);
    if (!word) {
        st->in_word = false;
        return false;
    }
    if (!st->in_word) {
        st->in_word = true;
        st->pos = 0;
    }
    size_t pos = st->pos++;
    if (pos == 0)
        st->first = cp;
    else if (pos == 1)
        st->second = cp;
    if (pos == 0)
        return is_cased(cp);
    uint32_t f = st->first | 32;
    return pos == 2 && is_apostrophe(st->second) && (f == 'o' || f == 'd' || f == 'l')
           && is_cased(cp);
}

static void ascii_map(CaseOp op, const char *s, size_t n, char *dst)
{
    TitleState st = { false, 0, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool to_upper = op == CASE_TITLE ? title_capital(&st, c) : op == CASE_UPPER;
        dst[i] = (char)(to_upper ? case_upper(c) : case_lower(c));
    }
}

/* Greek capital sigma lowers to final ς after a cased letter when no cased
 * letter follows (combining marks skipped). */
static bool sigma_is_final(const char *s, size_t n, size_t after, bool prev_cased)
{
    if (!prev_cased)
        return false;
    size_t i = after;
    while (i < n) {
        uint32_t cp;
        size_t len = cm_utf8_decode(s + i, n - i, &cp);
        if (!is_combining(cp))
            return !is_cased(cp);
        i += len;
    }
    return true;
}

/* Maps valid UTF-8 s into dst (room for 2n bytes: no mapping of the table
 * grows a code point by more than half, ß -> SS keeps its two bytes). */
static size_t unicode_map(CaseOp op, const char *s, size_t n, char *dst)
{
    size_t at = 0, i = 0;
    bool prev_cased = false;
    TitleState st = { false, 0, 0, 0 };
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80 && op != CASE_TITLE) {   /* the ASCII between non-ASCII letters */
            dst[at++] = (char)(op == CASE_UPPER ? case_upper(c) : case_lower(c));
            prev_cased = is_cased(c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = cm_utf8_decode(s + i, n - i, &cp);
        bool to_upper = op == CASE_TITLE ? title_capital(&st, cp) : op == CASE_UPPER;
        uint32_t mapped;
        if (to_upper && cp == 0xDF && op == CASE_UPPER) {
            dst[at++] = 'S';
            dst[at++] = 'S';
            mapped = 0;
        } else if (to_upper) {
            mapped = cp == 0xDF ? cp : case_upper(cp);
        } else if (cp == 0x03A3 && sigma_is_final(s, n, i + len, prev_cased)) {
            mapped = 0x03C2;
        } else {
            mapped = case_lower(cp);
        }
        if (mapped)
            at += cm_utf8_encode(mapped, dst + at);
        if (!is_combining(cp))
            prev_cased = is_cased(cp);
        i += len;
    }
    return at;
}

static bool change_case(BiCtx *cx, CaseOp op, const Value *arg, Value *out)
{
    if (value_is_empty(arg))
        return true;
    BiText t;
    if (!bi_text(cx, arg, &t))
        return false;
    if (bi_is_ascii(t.s, t.n)) {
        char *dst = builtin_alloc(cx, t.n);
        if (dst == NULL)
            return false;
        ascii_map(op, t.s, t.n, dst);
        return bi_out_text(cx, out, dst, t.n);
    }
    if (!bi_check_utf8(cx, t.s, t.n))
        return false;
    char *dst = builtin_alloc(cx, 2 * t.n);
    if (dst == NULL)
        return false;
    return bi_out_text(cx, out, dst, unicode_map(op, t.s, t.n, dst));
}

bool bi_lower(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return change_case(cx, CASE_LOWER, &args[0], out);
}

bool bi_upper(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return change_case(cx, CASE_UPPER, &args[0], out);
}

bool bi_title(BiCtx *cx, const Value *args, size_t nargs, Value *out)
{
    (void)nargs;
    return change_case(cx, CASE_TITLE, &args[0], out);
}

/* The code point at *s as lower() maps it, final sigma folded to sigma,
 * and *s moved past it; a byte that is not UTF-8 stands for itself, beyond
 * every code point, so it equals only the same byte. No strlen: the keys
 * compared are sorted and searched by the 100,000. */
static uint32_t folded_next(const char **s)
{
    const unsigned char c = (unsigned char)**s;
    uint32_t cp = c;
    size_t len = c < 0x80 ? 1 : cm_utf8_decode(*s, strnlen(*s, 4), &cp);
    if (len == 0) {
        cp = 0x110000u + c;
        len = 1;
    }
    *s += len;
    cp = case_lower(cp);
    return cp == 0x3C2 ? 0x3C3 : cp;
}

int builtin_text_casecmp(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        uint32_t ca = folded_next(&a), cb = folded_next(&b);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return *a != '\0' ? 1 : *b != '\0' ? -1 : 0;
}
