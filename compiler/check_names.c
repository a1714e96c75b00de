/* check_names: the checker's name indexes and the pieces of its help texts
 * (suggestions, value lists ordered by closeness); see check_int.h. */
#include "check_int.h"

#include <string.h>

#include "cm_alloc.h"
#include "cm_utf8.h"

/* ---- NameIndex: FNV-1a, linear probing, kept at most half full ---- */

static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return (size_t)h;
}

void names_init(NameIndex *ix, size_t expected)
{
    size_t cap = 16;
    while (cap < 2 * expected + 2)
        cap *= 2;
    ix->keys = cm_calloc(cap, sizeof *ix->keys);
    ix->vals = cm_calloc(cap, sizeof *ix->vals);
    ix->cap = cap;
    ix->count = 0;
}

static void grow(NameIndex *ix)
{
    NameIndex bigger;
    names_init(&bigger, ix->cap);
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->keys[i])
            names_put(&bigger, ix->keys[i], ix->vals[i]);
    names_free(ix);
    *ix = bigger;
}

const void *names_put(NameIndex *ix, const char *key, const void *val)
{
    if (ix->cap == 0)
        names_init(ix, 8);
    if (2 * (ix->count + 1) > ix->cap)
        grow(ix);
    size_t i = hash_name(key) & (ix->cap - 1);
    while (ix->keys[i]) {
        if (strcmp(ix->keys[i], key) == 0)
            return ix->vals[i];
        i = (i + 1) & (ix->cap - 1);
    }
    ix->keys[i] = key;
    ix->vals[i] = val;
    ix->count++;
    return NULL;
}

const void *names_get(const NameIndex *ix, const char *key)
{
    if (ix->cap == 0)
        return NULL;
    size_t i = hash_name(key) & (ix->cap - 1);
    while (ix->keys[i]) {
        if (strcmp(ix->keys[i], key) == 0)
            return ix->vals[i];
        i = (i + 1) & (ix->cap - 1);
    }
    return NULL;
}

void names_free(NameIndex *ix)
{
    cm_free(ix->keys);
    cm_free(ix->vals);
    memset(ix, 0, sizeof *ix);
}

/* ---- spans and source text ---- */

const char *ck_text(Checker *ck, const Expr *e)
{
    size_t len;
    const char *text = diag_source_text(e->span.src, &len);
    if (text == NULL || e->span.end > len || e->span.end - e->span.start > 48)
        return NULL;
    const char *s = text + e->span.start;
    size_t n = e->span.end - e->span.start;
    if (memchr(s, '\n', n) || memchr(s, '#', n))
        return NULL;
    return cm_arena_strndup(ck->arena, s, n);
}

Span ck_head(Span sp, uint32_t n)
{
    if (sp.end - sp.start > n)
        sp.end = sp.start + n;
    return sp;
}

uint32_t ck_line(Span sp)
{
    uint32_t line, col;
    diag_position(sp.src, sp.start, &line, &col);
    return line;
}

uint32_t ck_chars(const char *s, size_t len)
{
    if (cm_utf8_invalid_at(s, len) != len)
        return (uint32_t)len;
    return (uint32_t)cm_utf8_count(s, len);
}

void ck_suggest(Diag *d, const char *name, const char *const *cands, size_t n)
{
    const char *best = diag_suggest(name, cands, n);
    if (best)
        diag_help(d, "did you mean '%s'?", best);
}

void ck_put_names(CmBuf *b, const char *const *names, size_t n, const char *quote, const char *conj)
{
    for (size_t i = 0; i < n; i++) {
        if (i + 1 == n && i)
            cm_buf_printf(b, " %s ", conj);
        else if (i)
            cm_buf_puts(b, ", ");
        cm_buf_printf(b, "%s%s%s", quote, names[i], quote);
    }
}

const char *ck_a(const char *word)
{
    return word[0] && strchr("aeioAEIO", word[0]) ? "an" : "a";
}

const char *ck_system_key_kind(const char *system)
{
    if (system && strcmp(system, "salesforce") == 0)
        return "an External ID or idLookup field";
    if (system && strcmp(system, "hubspot") == 0)
        return "a unique property or the object's id property";
    if (system && strcmp(system, "dynamics") == 0)
        return "an alternate key";
    return "a unique or external-id field";
}

/* ---- value lists ---- */

void ck_put_value(CmBuf *b, const Field *f, const PickValue *v)
{
    if (f->numeric_values) {
        cm_buf_puts(b, v->value);
        if (v->label) {
            cm_buf_puts(b, " (");
            cm_buf_put_json_string(b, v->label, strlen(v->label));
            cm_buf_puts(b, ")");
        }
    } else {
        cm_buf_put_json_string(b, v->value, strlen(v->value));
    }
}

static bool same_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

/* How far text is from an option: 0 for a case-insensitive match of its
 * value or label, else the edit distance + 1 (the smaller of the two). */
static size_t closeness(const char *text, const PickValue *v)
{
    if (same_ignoring_case(text, v->value) || (v->label && same_ignoring_case(text, v->label)))
        return 0;
    size_t d = diag_edit_distance(text, v->value);
    if (v->label) {
        size_t dl = diag_edit_distance(text, v->label);
        if (dl < d)
            d = dl;
    }
    return d + 1;
}

/* Longest list of values a help line shows. */
enum { VALUES_SHOWN = 12 };

void ck_help_values(Diag *d, const Field *f, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nvalues; i++)
        n += f->values[i].active;
    if (n == 0)
        return;
    const PickValue **v = cm_malloc(n * sizeof *v);
    size_t *dist = cm_malloc(n * sizeof *dist);
    size_t k = 0;
    for (size_t i = 0; i < f->nvalues; i++)
        if (f->values[i].active) {
            v[k] = &f->values[i];
            dist[k] = text ? closeness(text, v[k]) : 0;
            k++;
        }
    /* Stable insertion sort by closeness: equally close values keep the schema's order. */
    for (size_t i = 1; i < n; i++) {
        const PickValue *pv = v[i];
        size_t pd = dist[i], j = i;
        while (j > 0 && dist[j - 1] > pd) {
            v[j] = v[j - 1];
            dist[j] = dist[j - 1];
            j--;
        }
        v[j] = pv;
        dist[j] = pd;
    }
    CmBuf b = CM_BUF_INIT;
    cm_buf_puts(&b, n == 1 ? "the only allowed value is " : "allowed values: ");
    for (size_t i = 0; i < n && i < VALUES_SHOWN; i++) {
        if (i)
            cm_buf_puts(&b, ", ");
        ck_put_value(&b, f, v[i]);
    }
    if (n > VALUES_SHOWN)
        cm_buf_printf(&b, " and %zu more", n - VALUES_SHOWN);
    diag_help(d, "%s", b.data);
    cm_buf_free(&b);
    cm_free(v);
    cm_free(dist);
}
