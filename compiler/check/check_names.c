/* check_names: the checker's name indexes and the pieces of its help texts
 * (suggestions, value lists ordered by closeness); see check_int.h. */
#include "check_int.h"

#include <stdio.h>
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

const char *ck_line_of(Checker *ck, Span sp)
{
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "line %u", ck_line(sp));
    if (sp.src != ck->src)
        cm_buf_printf(&b, " of %s", diag_source_name(sp.src));
    char *s = cm_arena_strndup(ck->arena, b.data, b.len);
    cm_buf_free(&b);
    return s;
}

uint32_t ck_chars(const char *s, size_t len)
{
    if (cm_utf8_invalid_at(s, len) != len)
        return (uint32_t)len;
    return (uint32_t)cm_utf8_count(s, len);
}

/* Diagnostics after which searching helps are left out, and edit distances
 * measured for helps in one check, after which closeness is only judged by
 * length: together they bound the time a mapping full of mistakes costs. */
enum { HELP_BUDGET = 500, MEASURE_BUDGET = 1000000, SUGGEST_MAX_LEN = 256 };

bool ck_helps(const Checker *ck)
{
    return diag_total(ck->sink) <= HELP_BUDGET;
}

bool ck_suggest(Checker *ck, Diag *d, const char *name, const char *const *cands, size_t n)
{
    /* Edit distance costs the product of the lengths: names longer than any
     * real field, option or e-mail get no suggestion. */
    if (!ck_helps(ck) || strlen(name) > SUGGEST_MAX_LEN)
        return false;
    /* diag_suggest accepts a candidate at most len/3 + 1 edits away, which a
     * length differing by more can never be: leave those out unmeasured. */
    size_t len = strlen(name), limit = len / 3 + 1, k = 0;
    const char **near = cm_malloc((n + 1) * sizeof *near);
    for (size_t i = 0; i < n; i++) {
        size_t cl = strlen(cands[i]);
        if ((cl > len ? cl - len : len - cl) <= limit && cl <= SUGGEST_MAX_LEN)
            near[k++] = cands[i];
    }
    ck->measures += k;
    const char *best = ck->measures <= MEASURE_BUDGET ? diag_suggest(name, near, k) : NULL;
    if (best)
        diag_help(d, "did you mean '%s'?", best);
    cm_free(near);
    return best != NULL;
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

const char *ck_system_key_kind(const CrmVendor *v)
{
    return v && v->key_kind ? v->key_kind : "a unique or external-id field";
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

/* Edit distance, or for long or very different texts the difference of
 * their lengths (a lower bound), which orders them well enough for a help
 * line and keeps each measure cheap. */
static size_t distance(Checker *ck, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), gap = la > lb ? la - lb : lb - la;
    if (la > 64 || lb > 64 || gap > 16 || ++ck->measures > MEASURE_BUDGET)
        return gap;
    return diag_edit_distance(a, b);
}

/* How far text is from an option: 0 for a case-insensitive match of its
 * value or label, else the edit distance + 1 (the smaller of the two). */
static size_t closeness(Checker *ck, const char *text, const PickValue *v)
{
    if (diag_equal_ignoring_case(text, v->value) || (v->label && diag_equal_ignoring_case(text, v->label)))
        return 0;
    size_t d = distance(ck, text, v->value);
    if (v->label) {
        size_t dl = distance(ck, text, v->label);
        if (dl < d)
            d = dl;
    }
    return d + 1;
}

/* Longest list of values a help line shows. */
enum { VALUES_SHOWN = 12 };

void ck_help_values(Checker *ck, Diag *d, const Field *f, const char *text)
{
    if (!ck_helps(ck))
        return;
    /* The VALUES_SHOWN closest active values, kept sorted while scanning
     * once; equally close values keep the schema's order. */
    const PickValue *best[VALUES_SHOWN];
    size_t dist[VALUES_SHOWN], k = 0, n = 0;
    for (size_t i = 0; i < f->nvalues; i++) {
        const PickValue *v = &f->values[i];
        if (!v->active)
            continue;
        n++;
        size_t dv = text ? closeness(ck, text, v) : 0, j = k;
        if (k == VALUES_SHOWN && dist[k - 1] <= dv)
            continue;
        if (k < VALUES_SHOWN)
            k++;
        for (j = k - 1; j > 0 && dist[j - 1] > dv; j--) {
            best[j] = best[j - 1];
            dist[j] = dist[j - 1];
        }
        best[j] = v;
        dist[j] = dv;
    }
    if (n == 0)
        return;
    CmBuf b = CM_BUF_INIT;
    cm_buf_puts(&b, n == 1 ? "the only allowed value is " : "allowed values: ");
    for (size_t i = 0; i < k; i++) {
        if (i)
            cm_buf_puts(&b, ", ");
        ck_put_value(&b, f, best[i]);
    }
    if (n > k)
        cm_buf_printf(&b, " and %zu more", n - k);
    diag_help(d, "%s", b.data);
    cm_buf_free(&b);
}

/* ---- picklist values by text ---- */

typedef struct ValueIndex {
    NameIndex values, labels;
} ValueIndex;

static const ValueIndex *value_index(Checker *ck, const Field *f)
{
    char key[2 * sizeof(void *) + 4];
    snprintf(key, sizeof key, "%p", (const void *)f);
    const ValueIndex *found = names_get(&ck->value_ix, key);
    if (found)
        return found;
    ValueIndex *vi = cm_arena_alloc(ck->arena, sizeof *vi);
    names_init(&vi->values, f->nvalues);
    names_init(&vi->labels, f->numeric_values ? f->nvalues : 0);
    /* The first of two equal texts wins, as a linear search would find it. */
    for (size_t i = 0; i < f->nvalues; i++) {
        names_put(&vi->values, f->values[i].value, &f->values[i]);
        if (f->numeric_values && f->values[i].label)
            names_put(&vi->labels, f->values[i].label, &f->values[i]);
    }
    if (ck->nvalue_list % 16 == 0)
        ck->value_list = cm_realloc(ck->value_list, (ck->nvalue_list + 16) * sizeof *ck->value_list);
    ck->value_list[ck->nvalue_list++] = vi;
    names_put(&ck->value_ix, cm_arena_strdup(ck->arena, key), vi);
    return vi;
}

const PickValue *ck_value(Checker *ck, const Field *f, const char *text, bool labels)
{
    if (f->nvalues == 0)
        return NULL;
    const ValueIndex *vi = value_index(ck, f);
    const PickValue *v = names_get(&vi->values, text);
    if (v == NULL && labels)
        v = names_get(&vi->labels, text);
    return v;
}

void ck_values_free(Checker *ck)
{
    for (size_t i = 0; i < ck->nvalue_list; i++) {
        names_free(&ck->value_list[i]->values);
        names_free(&ck->value_list[i]->labels);
    }
    cm_free(ck->value_list);
    names_free(&ck->value_ix);
}
