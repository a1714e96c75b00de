/* mapc: reads a .mapc image into a Mapc, checking the header, the checksum
 * and every section (docs/bytecode.md); the code itself is checked by
 * mapc_verify.c. Every read goes through a bounds-checked cursor. */
#include "mapc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "cm_alloc.h"
#include "cm_utf8.h"
#include "mapc_lookup.h"
#include "mapc_verify.h"
#include "numtext.h"

typedef struct Cursor {
    const uint8_t *base;    /* start of the file, for offsets in messages */
    const uint8_t *p, *end;
    char *err;
    size_t errlen;
    const char *context;    /* "entity Contact", ... */
} Cursor;

static bool failf(Cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool failf(Cursor *c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "offset %zu: %s%s%s", (size_t)(c->p - c->base),
             c->context ? c->context : "", c->context ? ": " : "", msg);
    return false;
}

static bool need(Cursor *c, size_t n, const char *what)
{
    if ((size_t)(c->end - c->p) < n)
        return failf(c, "truncated: %s runs past the end of its section", what);
    return true;
}

static bool get_u8(Cursor *c, uint8_t *v, const char *what)
{
    *v = 0;
    if (!need(c, 1, what))
        return false;
    *v = *c->p++;
    return true;
}

static bool get_var(Cursor *c, uint32_t *v, const char *what)
{
    uint32_t x = 0;
    *v = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t b;
        if (!get_u8(c, &b, what))
            return false;
        if (shift == 28 && b > 0x0f)    /* a fifth byte may only hold the top 4 bits */
            return failf(c, "%s: number too large", what);
        x |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
}

/* A count of elements that take at least min_bytes each: bounded by what is
 * left, so a hostile count cannot cause a large allocation. */
static bool get_count(Cursor *c, uint32_t *n, size_t min_bytes, uint32_t max, const char *what)
{
    if (!get_var(c, n, what))
        return false;
    if (*n > max)
        return failf(c, "too many %s (%u, at most %u)", what, *n, max);
    if ((size_t)*n * min_bytes > (size_t)(c->end - c->p))
        return failf(c, "truncated: %u %s do not fit in the section", *n, what);
    return true;
}

/* A count (get_count) and room in the arena for that many elements of size
 * bytes, zeroed; NULL when the count is bad (reported). One element at
 * least, so that an empty section's array is still a pointer. */
static void *get_array(Cursor *c, Mapc *m, uint32_t *n, size_t min_bytes, uint32_t max, size_t size,
                       const char *what)
{
    if (!get_count(c, n, min_bytes, max, what))
        return NULL;
    return cm_arena_alloc(&m->arena, (*n ? *n : 1) * size);
}

static bool get_index(Cursor *c, uint32_t *v, uint32_t limit, const char *what)
{
    if (!get_var(c, v, what))
        return false;
    if (*v >= limit)
        return failf(c, "%s index %u out of range (there are %u)", what, *v, limit);
    return true;
}

/* opt#: 0 none (-1), n+1 index n. */
static bool get_opt(Cursor *c, int32_t *v, uint32_t limit, const char *what)
{
    uint32_t x;
    *v = -1;
    if (!get_var(c, &x, what))
        return false;
    if (x > limit)
        return failf(c, "%s index %u out of range (there are %u)", what, x - 1, limit);
    *v = (int32_t)x - 1;
    return true;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A finite f64, little-endian. */
static bool get_num(Cursor *c, double *x, const char *what)
{
    if (!need(c, 8, what))
        return false;
    uint64_t bits = (uint64_t)le32(c->p) | (uint64_t)le32(c->p + 4) << 32;
    memcpy(x, &bits, sizeof *x);
    c->p += 8;
    return isfinite(*x) || failf(c, "%s is not a finite number", what);
}

/* One element of a section's list: items[i], read from the cursor. ctx is
 * what the list's reader passes along (the entity, ...). */
typedef bool (*ReadItem)(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i);

/* A list as the sections hold them: a count (bounded as get_array does),
 * then each element, read by item. The elements, or NULL when any is bad
 * (reported); *n is the count. */
static void *read_list(Cursor *c, Mapc *m, uint32_t *n, size_t min_bytes, uint32_t max, size_t size,
                       const char *what, ReadItem item, void *ctx)
{
    void *items = get_array(c, m, n, min_bytes, max, size, what);
    for (uint32_t i = 0; items != NULL && i < *n; i++)
        if (!item(c, m, ctx, items, i))
            return NULL;
    return items;
}

static bool string_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)m;
    (void)ctx;
    uint32_t len;
    if (!get_var(c, &len, "string length") || !need(c, len, "string"))
        return false;
    size_t bad = cm_utf8_invalid_at((const char *)c->p, len);
    if (bad != len) {
        c->p += bad;
        return failf(c, "string %u is not valid UTF-8", i);
    }
    ((Value *)items)[i] = v_str((const char *)c->p, len);
    c->p += len;
    return true;
}

static bool read_strings(Cursor *c, Mapc *m)
{
    m->strings = read_list(c, m, &m->nstrings, 1, MAPC_MAX_INDEX, sizeof *m->strings, "strings", string_item,
                           NULL);
    return m->strings != NULL;
}

static bool read_meta(Cursor *c, Mapc *m)
{
    return get_index(c, &m->mapping, m->nstrings, "mapping name string")
        && get_index(c, &m->system, m->nstrings, "target system string")
        && get_index(c, &m->source, m->nstrings, "source file string");
}

/* A list constant: its items are earlier constants; depth[] (one per
 * constant) tracks how deep lists nest. */
static bool list_const(Cursor *c, Mapc *m, Value *k, uint8_t *depth, uint32_t i)
{
    uint32_t len;
    Value *items = get_array(c, m, &len, 1, MAPC_MAX_INDEX, sizeof *items, "list items");
    if (items == NULL)
        return false;
    for (uint32_t j = 0; j < len; j++) {
        uint32_t item;
        if (!get_index(c, &item, i, "list item constant (must be an earlier constant)"))
            return false;
        items[j] = k[item];
        if (depth[item] >= depth[i])
            depth[i] = (uint8_t)(depth[item] + 1);
    }
    /* Comparing and printing lists recurses: keep nesting shallow. */
    if (depth[i] > MAPC_MAX_LIST_DEPTH)
        return failf(c, "constant %u: lists nested deeper than %u", i, MAPC_MAX_LIST_DEPTH);
    k[i].type = V_LIST;
    k[i].len = len;
    k[i].u.items = items;
    return true;
}

static bool const_item(Cursor *c, Mapc *m, void *depth, void *items, uint32_t i)
{
    Value *k = items;
    uint8_t tag;
    if (!get_u8(c, &tag, "constant tag"))
        return false;
    switch (tag) {
    case MC_NULL: k[i] = v_null(); return true;
    case MC_FALSE: k[i] = v_bool(false); return true;
    case MC_TRUE: k[i] = v_bool(true); return true;
    case MC_NUMBER: {
        double x;
        if (!get_num(c, &x, "a number constant"))
            return false;
        k[i] = v_num(x);
        return true;
    }
    case MC_STRING: {
        uint32_t s;
        if (!get_index(c, &s, m->nstrings, "string"))
            return false;
        k[i] = m->strings[s];
        return true;
    }
    case MC_LIST:
        return list_const(c, m, k, depth, i);
    default:
        c->p--;
        return failf(c, "constant %u has unknown tag %u", i, tag);
    }
}

static bool read_consts(Cursor *c, Mapc *m)
{
    /* A depth for each constant, zeroed: the count is read after, but a
     * constant takes a byte at least, and there are MAPC_MAX_INDEX at most. */
    size_t most = (size_t)(c->end - c->p) < MAPC_MAX_INDEX ? (size_t)(c->end - c->p) : MAPC_MAX_INDEX;
    uint8_t *depth = cm_arena_alloc(&m->arena, most + 1);
    m->consts = read_list(c, m, &m->nconsts, 1, MAPC_MAX_INDEX, sizeof *m->consts, "constants", const_item, depth);
    return m->consts != NULL;
}

static bool path_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    uint8_t flags;
    uint32_t nseg;
    if (!get_u8(c, &flags, "path flags"))
        return false;
    if (flags & ~1u) {
        c->p--;
        return failf(c, "source path %u has unknown flags 0x%02x", i, flags);
    }
    if (!get_count(c, &nseg, 1, MAPC_MAX_SEGMENTS, "path segments"))
        return false;
    if (nseg == 0)
        return failf(c, "source path %u has no segments", i);
    uint32_t *segs = cm_arena_alloc(&m->arena, nseg * sizeof *segs);
    for (uint32_t j = 0; j < nseg; j++)
        if (!get_index(c, &segs[j], m->nstrings, "path segment string"))
            return false;
    ((MapcPath *)items)[i] = (MapcPath){ segs, nseg, flags & 1u };
    return true;
}

static bool read_paths(Cursor *c, Mapc *m)
{
    m->paths = read_list(c, m, &m->npaths, 2, MAPC_MAX_INDEX, sizeof *m->paths, "source paths", path_item, NULL);
    return m->paths != NULL;
}

static bool builtin_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    BuiltinId *ids = items;
    uint32_t s;
    if (!get_index(c, &s, m->nstrings, "builtin name string"))
        return false;
    char name[64];
    uint32_t len = m->strings[s].len;
    if (len >= sizeof name || memchr(m->strings[s].u.str, '\0', len))
        return failf(c, "builtin %u has an invalid name", i);
    memcpy(name, m->strings[s].u.str, len);
    name[len] = '\0';
    ids[i] = builtin_lookup(name);
    if (ids[i] == BI__COUNT)
        return failf(c, "the mapping needs the builtin '%s', which this crmmap does not have", name);
    return true;
}

static bool read_builtins(Cursor *c, Mapc *m)
{
    m->builtins = read_list(c, m, &m->nbuiltins, 1, MAPC_MAX_BUILTINS, sizeof *m->builtins, "builtins",
                            builtin_item, NULL);
    return m->builtins != NULL;
}

static bool is_scalar(const Value *v)
{
    return v->type == V_NULL || v->type == V_BOOL || v->type == V_NUM || v->type == V_STR;
}

static bool table_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    MapcTable *t = &((MapcTable *)items)[i];
    uint32_t count;
    if (!get_index(c, &t->name, m->nstrings, "table name string")
        || !get_count(c, &count, 2, MAPC_MAX_INDEX, "table entries"))
        return false;
    Value *keys = cm_arena_alloc(&m->arena, (count ? count : 1) * sizeof *keys);
    Value *values = cm_arena_alloc(&m->arena, (count ? count : 1) * sizeof *values);
    for (uint32_t j = 0; j < count; j++) {
        uint32_t k, v;
        if (!get_index(c, &k, m->nconsts, "table key constant")
            || !get_index(c, &v, m->nconsts, "table value constant"))
            return false;
        keys[j] = m->consts[k];
        values[j] = m->consts[v];
        if (!is_scalar(&keys[j]))
            return failf(c, "table %u: key %u is a list", i, j);
        if (j > 0 && mapc_key_cmp(&keys[j - 1], &keys[j]) >= 0)
            return failf(c, "table %u: keys are not in ascending order at entry %u", i, j);
    }
    int32_t dflt;
    if (!get_opt(c, &dflt, m->nconsts, "table else constant"))
        return false;
    t->n = count;
    t->keys = keys;
    t->values = values;
    t->has_else = dflt >= 0;
    t->else_value = dflt >= 0 ? m->consts[dflt] : v_null();
    return true;
}

static bool read_tables(Cursor *c, Mapc *m)
{
    m->tables = read_list(c, m, &m->ntables, 3, MAPC_MAX_INDEX, sizeof *m->tables, "tables", table_item, NULL);
    return m->tables != NULL;
}

static bool is_option_table(const MapcTable *t)
{
    if (t->has_else)
        return false;
    for (uint32_t i = 0; i < t->n; i++)
        if (t->values[i].type != V_NUM)
            return false;
    return true;
}

static bool field_item(Cursor *c, Mapc *m, void *entity, void *items, uint32_t i)
{
    MapcEntity *e = entity;
    MapcField *f = &((MapcField *)items)[i];
    if (!get_index(c, &f->name, m->nstrings, "field name string") || !get_u8(c, &f->section, "field section")
        || !get_u8(c, &f->encoding, "field encoding")
        || !get_opt(c, &f->option_table, m->ntables, "option table"))
        return false;
    if (f->section >= FS__COUNT)
        return failf(c, "field %u has unknown section %u", i, f->section);
    unsigned enc = f->encoding & ~ENC_STRINGIFY;
    if (enc >= ENC__COUNT)
        return failf(c, "field %u has unknown encoding %u", i, f->encoding);
    bool wants_table = enc == ENC_OPTION || enc == ENC_OPTION_MULTI;
    if (wants_table != (f->option_table >= 0)
        || (wants_table && !is_option_table(&m->tables[f->option_table])))
        return failf(c, "field %u: option table does not match its encoding", i);
    e->has_section[f->section] = true;
    f->lookup = f->per_target = false;
    f->bind_nav = f->bind_set = -1;
    f->check = MK_NONE;
    f->check_table = -1;
    CmBuf key = CM_BUF_INIT;
    cm_buf_put_json_string(&key, m->strings[f->name].u.str, m->strings[f->name].len);
    cm_buf_put(&key, ": ", 2);
    f->json_key = cm_arena_strndup(&m->arena, key.data, key.len);
    f->json_key_len = (uint32_t)key.len;
    cm_buf_free(&key);
    return true;
}

static bool line_item(Cursor *c, Mapc *m, void *entity, void *items, uint32_t i)
{
    (void)m;
    const MapcEntity *e = entity;
    MapcLine *l = items;
    if (!get_var(c, &l[i].offset, "line table offset") || !get_var(c, &l[i].line, "line")
        || !get_var(c, &l[i].col, "column"))
        return false;
    if (l[i].offset >= e->code_len || (i > 0 && l[i].offset <= l[i - 1].offset))
        return failf(c, "line table entry %u: offset %u out of order or outside the code", i, l[i].offset);
    if (l[i].line == 0 || l[i].col == 0)
        return failf(c, "line table entry %u: lines and columns count from 1", i);
    return true;
}

static bool entity_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t index)
{
    (void)ctx;
    MapcEntity *e = &((MapcEntity *)items)[index];
    if (!get_index(c, &e->name, m->nstrings, "entity name string")
        || !get_u8(c, &e->mode, "entity mode"))
        return false;
    e->strict = (e->mode & MAPC_MODE_STRICT) != 0;
    e->mode &= (uint8_t)~MAPC_MODE_STRICT;
    if (e->mode > MODE_C_UPSERT)
        return failf(c, "entity %u has unknown mode %u", index, e->mode);
    uint32_t key_raw;
    if (!get_var(c, &key_raw, "key field") || !get_var(c, &e->line, "entity line")
        || !get_var(c, &e->col, "entity column"))
        return false;
    char ctx_name[120];
    snprintf(ctx_name, sizeof ctx_name, "entity %.*s",
             (int)(m->strings[e->name].len > 80 ? 80 : m->strings[e->name].len), m->strings[e->name].u.str);
    c->context = ctx_name;
    e->fields = read_list(c, m, &e->nfields, 4, MAPC_MAX_INDEX, sizeof *e->fields, "fields", field_item, e);
    if (e->fields == NULL)
        return false;
    if (key_raw > e->nfields)
        return failf(c, "key field index %u out of range (there are %u fields)", key_raw - 1, e->nfields);
    e->key = (int32_t)key_raw - 1;
    e->fallback_of = -1;
    e->fallback = -1;
    if (!get_var(c, &e->max_stack, "max stack") || !get_var(c, &e->code_len, "code length"))
        return false;
    if (e->max_stack > MAPC_MAX_INDEX)
        return failf(c, "max stack %u is above %u", e->max_stack, MAPC_MAX_INDEX);
    if (e->code_len == 0 || e->code_len > MAPC_MAX_INDEX)
        return failf(c, "code length %u is not between 1 and %u", e->code_len, MAPC_MAX_INDEX);
    if (!need(c, e->code_len, "code"))
        return false;
    e->code = c->p;
    c->p += e->code_len;
    e->lines = read_list(c, m, &e->nlines, 3, e->code_len, sizeof *e->lines, "line table entries", line_item, e);
    if (e->lines == NULL)
        return false;
    c->context = NULL;
    if (e->max_stack > m->max_stack)
        m->max_stack = e->max_stack;
    if (e->nfields > m->max_fields)
        m->max_fields = e->nfields;
    return true;
}

static bool read_entities(Cursor *c, Mapc *m)
{
    m->entities = read_list(c, m, &m->nentities, 8, MAPC_MAX_INDEX, sizeof *m->entities, "entities", entity_item,
                            NULL);
    return m->entities != NULL;
}

static bool read_facts_of(Cursor *c, Mapc *m, MapcEntity *e)
{
    uint32_t n;
    if (!get_var(c, &n, "facts field count"))
        return false;
    if (n != e->nfields)
        return failf(c, "facts for %u fields, the entity has %u", n, e->nfields);
    MapcFacts *f = cm_arena_alloc(&m->arena, (n ? n : 1) * sizeof *f);
    for (uint32_t i = 0; i < n; i++) {
        if (!get_index(c, &f[i].type, m->nstrings, "facts type string")
            || !get_opt(c, &f[i].label, m->nstrings, "facts label string")
            || !get_var(c, &f[i].length, "facts length") || !get_var(c, &f[i].max_len, "facts max length")
            || !get_u8(c, &f[i].flags, "facts flags"))
            return false;
        if (f[i].flags & ~MF__ALL)
            return failf(c, "field %u: unknown facts flags 0x%02x", i, f[i].flags);
        uint32_t *v = get_array(c, m, &f[i].nvalues, 1, MAPC_MAX_INDEX, sizeof *v, "facts values");
        if (v == NULL)
            return false;
        for (uint32_t k = 0; k < f[i].nvalues; k++) {
            if (!get_index(c, &v[k], m->nstrings, "facts value string"))
                return false;
            if (k > 0) {
                const Value *a = &m->strings[v[k - 1]], *b = &m->strings[v[k]];
                uint32_t len = a->len < b->len ? a->len : b->len;
                int d = len ? memcmp(a->u.str, b->u.str, len) : 0;
                if (d > 0 || (d == 0 && a->len >= b->len))
                    return failf(c, "field %u: facts values out of order or repeated", i);
            }
        }
        f[i].values = v;
    }
    e->facts = f;
    return true;
}

static bool user_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    MapcUser *u = &((MapcUser *)items)[i];
    return get_index(c, &u->email, m->nstrings, "user e-mail string")
        && get_index(c, &u->id, m->nstrings, "user id string");
}

static bool read_facts(Cursor *c, Mapc *m)
{
    uint32_t n;
    if (!get_var(c, &n, "facts entity count"))
        return false;
    if (n != m->nentities)
        return failf(c, "facts for %u entities, the file has %u", n, m->nentities);
    for (uint32_t i = 0; i < n; i++)
        if (!read_facts_of(c, m, (MapcEntity *)&m->entities[i]))
            return false;
    m->users = read_list(c, m, &m->nusers, 2, MAPC_MAX_INDEX, sizeof *m->users, "users", user_item, NULL);
    m->has_facts = m->users != NULL;
    return m->has_facts;
}

/* One lookup (section 9): its field now goes out as "NAV@odata.bind",
 * its key rebuilt here once like every field's. */
static bool read_lookup(Cursor *c, Mapc *m, uint32_t *prev_entity, int64_t *prev_field, uint32_t i)
{
    uint32_t ei, fi;
    uint8_t flags;
    int32_t nav, set;
    if (!get_index(c, &ei, m->nentities, "lookup entity") || !get_var(c, &fi, "lookup field")
        || !get_u8(c, &flags, "lookup flags") || !get_opt(c, &nav, m->nstrings, "lookup navigation string")
        || !get_opt(c, &set, m->nstrings, "lookup entity set string"))
        return false;
    MapcEntity *e = (MapcEntity *)&m->entities[ei];
    if (fi >= e->nfields)
        return failf(c, "lookup %u: field %u out of range (entity %u has %u fields)", i, fi, ei, e->nfields);
    if (ei < *prev_entity || (ei == *prev_entity && (int64_t)fi <= *prev_field))
        return failf(c, "lookup %u: entries out of order or repeated", i);
    *prev_entity = ei;
    *prev_field = fi;
    MapcField *f = (MapcField *)&e->fields[fi];
    if (f->encoding != ENC_REF)
        return failf(c, "lookup %u: field %u is not a reference field", i, fi);
    if (flags & ~ML__ALL)
        return failf(c, "lookup %u: unknown flags 0x%02x", i, flags);
    if ((nav < 0) != (set < 0) || (nav >= 0 && (m->strings[nav].len == 0 || m->strings[set].len == 0)))
        return failf(c, "lookup %u: a navigation property needs its entity set, and neither may be empty", i);
    f->lookup = true;
    f->per_target = flags & ML_PER_TARGET;
    f->bind_nav = nav;
    f->bind_set = set;
    if (nav >= 0) {
        CmBuf key = CM_BUF_INIT;
        mapc_lookup_key(&key, m->strings[nav].u.str, m->strings[nav].len, NULL, 0);
        f->json_key = cm_arena_strndup(&m->arena, key.data, key.len);
        f->json_key_len = (uint32_t)key.len;
        cm_buf_free(&key);
    }
    return true;
}

static bool read_lookups(Cursor *c, Mapc *m)
{
    uint32_t sl;
    const char *sys = mapc_str(m, m->system, &sl);
    if (!mapc_lookups_allowed(sys, sl))
        return failf(c, "a lookups section in a mapping for %.*s (lookups are Dynamics')", (int)sl, sys);
    uint32_t n, prev_entity = 0;
    int64_t prev_field = -1;
    if (!get_count(c, &n, 5, UINT32_MAX, "lookups"))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!read_lookup(c, m, &prev_entity, &prev_field, i))
            return false;
    return true;
}

/* Section 10: pairs of (entity, the earlier update entity whose misses it takes). */
static bool read_fallbacks(Cursor *c, Mapc *m)
{
    uint32_t n, prev = 0;
    if (!(m->flags & MAPC_FLAG_FALLBACKS))
        return failf(c, "a fallbacks section without the header's fallbacks flag");
    if (!get_count(c, &n, 2, m->nentities, "fallbacks"))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ei, of;
        if (!get_index(c, &ei, m->nentities, "fallback entity") || !get_index(c, &of, m->nentities, "fallback of"))
            return false;
        if (i > 0 && ei <= prev)
            return failf(c, "fallback %u: entries out of order or repeated", i);
        prev = ei;
        MapcEntity *e = (MapcEntity *)&m->entities[ei];
        if (of >= ei || m->entities[of].mode != MODE_C_UPDATE || e->mode == MODE_C_UPDATE)
            return failf(c, "fallback %u: entity %u must follow update entity %u and create or upsert", i, ei, of);
        MapcEntity *update = (MapcEntity *)&m->entities[of];
        if (update->fallback >= 0)
            return failf(c, "fallback %u: entity %u has two fallbacks", i, of);
        e->fallback_of = (int32_t)of;
        update->fallback = (int32_t)ei;
    }
    return true;
}

/* 1.6: what a number check also holds a value to (MK_HAS_*), after the
 * kind's own data: min, max (finite, min <= max), places. */
static bool read_bounds(Cursor *c, MapcField *f, uint32_t i, uint8_t bounds)
{
    if (f->check != MK_INTEGER && f->check != MK_DECIMAL)
        return failf(c, "check %u: bounds on a check that is not a number's", i);
    if ((bounds & MK_HAS_PLACES) && f->check != MK_DECIMAL)
        return failf(c, "check %u: digits after the point on a whole number's check", i);
    f->bounds = bounds;
    f->min = -HUGE_VAL;
    f->max = HUGE_VAL;
    if (((bounds & MK_HAS_MIN) && !get_num(c, &f->min, "a check's minimum"))
        || ((bounds & MK_HAS_MAX) && !get_num(c, &f->max, "a check's maximum")))
        return false;
    if (f->min > f->max)
        return failf(c, "check %u: the minimum is greater than the maximum", i);
    if ((bounds & MK_HAS_PLACES) && !get_u8(c, &f->places, "check places"))
        return false;
    if (f->places > MAPC_MAX_PLACES)
        return failf(c, "check %u: %u digits after the point (at most %u)", i, f->places, MAPC_MAX_PLACES);
    return true;
}

/* Section 11: per checked field (entity, field order) its check byte and
 * what the check needs; a picklist's table lists the values as keys. */
static bool read_checks(Cursor *c, Mapc *m)
{
    uint32_t n, prev_entity = 0;
    int64_t prev_field = -1;
    if (!get_count(c, &n, 3, UINT32_MAX, "checks"))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ei, fi;
        uint8_t kind;
        if (!get_index(c, &ei, m->nentities, "check entity") || !get_var(c, &fi, "check field")
            || !get_u8(c, &kind, "check kind"))
            return false;
        MapcEntity *e = (MapcEntity *)&m->entities[ei];
        if (fi >= e->nfields)
            return failf(c, "check %u: field %u out of range (entity %u has %u fields)", i, fi, ei, e->nfields);
        if (ei < prev_entity || (ei == prev_entity && (int64_t)fi <= prev_field))
            return failf(c, "check %u: entries out of order or repeated", i);
        prev_entity = ei;
        prev_field = fi;
        MapcField *f = (MapcField *)&e->fields[fi];
        uint8_t bounds = kind & (uint8_t)~MK_KIND_MASK;
        kind &= MK_KIND_MASK;
        if (kind == MK_NONE || kind >= MK__COUNT || (bounds & ~(MK_HAS_MIN | MK_HAS_MAX | MK_HAS_PLACES))
            || (kind == MK_FILE && m->minor < 6))
            return failf(c, "check %u: unknown kind %u", i, kind | bounds);
        f->check = kind;
        if (kind == MK_DECIMAL && (!get_u8(c, &f->precision, "check precision") || !get_u8(c, &f->scale, "check scale")))
            return false;
        if (kind == MK_PICKLIST) {
            uint32_t t;
            if (!get_index(c, &t, m->ntables, "check table"))
                return false;
            f->check_table = (int32_t)t;
        }
        if (bounds && !read_bounds(c, f, i, bounds))
            return false;
    }
    return true;
}

static bool let_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    return get_index(c, &((uint32_t *)items)[i], m->nstrings, "let name");
}

/* Section 12: the let slots' names; their count bounds the LET operands. */
static bool read_lets(Cursor *c, Mapc *m)
{
    uint32_t *names = read_list(c, m, &m->nlets, 1, MAPC_MAX_INDEX, sizeof *names, "lets", let_item, NULL);
    m->lets = names;
    return names != NULL;
}

static bool param_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    MapcParam *p = &((MapcParam *)items)[i];
    static const uint8_t of_type[] = { [MP_STRING] = V_STR, [MP_NUMBER] = V_NUM, [MP_BOOL] = V_BOOL };
    if (!get_index(c, &p->name, m->nstrings, "param name") || !get_u8(c, &p->type, "param type"))
        return false;
    if (p->type == 0 || p->type > MP__LAST)
        return failf(c, "param %u has unknown type %u", i, p->type);
    if (!get_index(c, &p->default_const, m->nconsts, "param default constant"))
        return false;
    p->value = m->consts[p->default_const];
    if (p->value.type != of_type[p->type])
        return failf(c, "param %u's default is not a %s", i, mapc_param_type_name(p->type));
    for (uint32_t j = 0; j < i; j++)
        if (mapc_key_cmp(&m->strings[((MapcParam *)items)[j].name], &m->strings[p->name]) == 0)
            return failf(c, "param %u has the name of param %u", i, j);
    return true;
}

/* Section 13: the params; their count bounds the PARAM operands. */
static bool read_params(Cursor *c, Mapc *m)
{
    m->params = read_list(c, m, &m->nparams, 3, MAPC_MAX_INDEX, sizeof *m->params, "params", param_item, NULL);
    return m->params != NULL;
}

static bool chain_item(Cursor *c, Mapc *m, void *ctx, void *items, uint32_t i)
{
    (void)ctx;
    MapcChain *ch = &((MapcChain *)items)[i];
    uint32_t *entities = get_array(c, m, &ch->n, 1, MAPC_MAX_CHAIN, sizeof *entities, "chained entities");
    if (entities == NULL)
        return false;
    if (ch->n < 2)
        return failf(c, "ref chain %u has %u entities (at least 2)", i, ch->n);
    for (uint32_t k = 0; k < ch->n; k++) {
        if (!get_index(c, &entities[k], m->nentities, "chained entity"))
            return false;
        for (uint32_t j = 0; j < k; j++)
            if (entities[j] == entities[k])
                return failf(c, "ref chain %u names entity %u twice", i, entities[k]);
    }
    ch->entities = entities;
    return true;
}

/* Section 14: the ref chains; their count bounds the REFS operands, and the
 * verifier holds each chain's entities to earlier ones than its user. */
static bool read_refs(Cursor *c, Mapc *m)
{
    if (m->minor < 7)
        return failf(c, "a refs section in a 1.%u file (ref chains are 1.7)", m->minor);
    m->chains = read_list(c, m, &m->nchains, 3, MAPC_MAX_INDEX, sizeof *m->chains, "ref chains", chain_item, NULL);
    return m->chains != NULL;
}

/* After every section: the lets section bounds what the code may name. */
static bool verify_code(Cursor *c, Mapc *m)
{
    for (uint32_t i = 0; i < m->nentities; i++) {
        const MapcEntity *e = &m->entities[i];
        char verr[200];
        if (!mapc_verify_code(m, e, i, verr, sizeof verr)) {
            uint32_t n;
            const char *name = mapc_str(m, e->name, &n);
            snprintf(c->err, c->errlen, "entity %.*s: %s (code at file offset %zu)", (int)(n > 80 ? 80 : n), name,
                     verr, (size_t)(e->code - c->base));
            return false;
        }
    }
    return true;
}

static bool read_header(Cursor *c, size_t len, Mapc *m)
{
    const uint8_t *d = c->base;
    size_t magic_len = len < 4 ? len : 4;
    if (memcmp(d, MAPC_MAGIC, magic_len) != 0)
        return failf(c, "not a .mapc bytecode file (bad magic)");
    if (len < 6)
        return failf(c, "truncated: %zu bytes, a .mapc file has at least %u", len,
                     MAPC_HEADER_SIZE + MAPC_TRAILER_SIZE);
    m->major = d[4];
    m->minor = d[5];
    if (m->major > MAPC_MAJOR)
        return failf(c, "bytecode format %u.%u is newer than this crmmap understands (%u.x): "
                     "recompile the mapping with this version", m->major, m->minor, MAPC_MAJOR);
    if (m->major < MAPC_MAJOR)
        return failf(c, "bytecode format %u.%u is older than this crmmap reads (%u.x): recompile the mapping",
                     m->major, m->minor, MAPC_MAJOR);
    if (len < MAPC_HEADER_SIZE + MAPC_TRAILER_SIZE)
        return failf(c, "truncated: %zu bytes, a .mapc file has at least %u", len,
                     MAPC_HEADER_SIZE + MAPC_TRAILER_SIZE);
    if ((d[6] | d[7] << 8) != MAPC_BOM)
        return failf(c, "bad byte-order mark");
    if (d[8] != 8 || d[9] != 2)
        return failf(c, "unsupported number or operand size (%u, %u)", d[8], d[9]);
    m->flags = (uint16_t)(d[10] | d[11] << 8);
    if (m->flags & ~MAPC_FLAG__ALL)
        return failf(c, "unknown flags 0x%04x", m->flags);
    if (le32(d + 12) != len)
        return failf(c, "truncated or padded: the header says %u bytes, the file has %zu", le32(d + 12), len);
    uint32_t want = le32(d + len - 4);
    uint32_t got = (uint32_t)crc32(0L, d, (uInt)(len - 4));
    if (want != got)
        return failf(c, "checksum mismatch (stored %08x, computed %08x): the file is corrupt", want, got);
    memcpy(m->fingerprint, d + 16, 32);
    return true;
}

static bool read_sections(Cursor *c, Mapc *m)
{
    static const char *const names[] = { "", "strings", "meta", "constants", "source paths",
                                         "builtins", "tables", "entities", "facts", "lookups", "fallbacks",
                                         "checks", "lets", "params", "refs" };
    typedef bool (*Reader)(Cursor *, Mapc *);
    static const Reader readers[] = { NULL, read_strings, read_meta, read_consts, read_paths,
                                      read_builtins, read_tables, read_entities, read_facts, read_lookups,
                                      read_fallbacks, read_checks, read_lets, read_params, read_refs };
    const uint8_t *file_end = c->end;
    unsigned last = 0;
    while (c->p < file_end) {
        c->end = file_end;
        uint8_t id;
        uint32_t len;
        if (!get_u8(c, &id, "section id") || !get_var(c, &len, "section length"))
            return false;
        if (id <= last)
            return failf(c, "section %u after section %u: sections out of order or repeated", id, last);
        if (id > last + 1 && last < MS__LAST)
            return failf(c, "the %s section is missing", names[last + 1]);
        if (len > (size_t)(file_end - c->p))
            return failf(c, "truncated: section %u is %u bytes, only %zu are left", id, len,
                         (size_t)(file_end - c->p));
        c->end = c->p + len;
        last = id;
        if (id > MS__KNOWN) {   /* a later minor version's section */
            c->p = c->end;
            continue;
        }
        if (!readers[id](c, m))
            return false;
        if (c->p != c->end)
            return failf(c, "%zu unexpected bytes at the end of the %s section", (size_t)(c->end - c->p),
                         names[id]);
    }
    if (last < MS__LAST)
        return failf(c, "the %s section is missing", names[last + 1]);
    if ((m->flags & MAPC_FLAG_FALLBACKS) && last < MS_FALLBACKS)
        return failf(c, "the header's fallbacks flag is set but the fallbacks section is missing");
    return true;
}

Mapc *mapc_load(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    Cursor c = { data, data, data + len, err, errlen, NULL };
    if (len > MAPC_MAX_FILE) {
        snprintf(err, errlen, "file too large (%zu bytes; the limit is %u)", len, MAPC_MAX_FILE);
        return NULL;
    }
    Mapc *m = cm_calloc(1, sizeof *m);
    cm_arena_init(&m->arena, 16 * 1024);
    if (!read_header(&c, len, m))
        goto fail;
    uint8_t *copy = cm_arena_alloc(&m->arena, len);
    memcpy(copy, data, len);
    c = (Cursor){ copy, copy + MAPC_HEADER_SIZE, copy + len - MAPC_TRAILER_SIZE, err, errlen, NULL };
    if (!read_sections(&c, m) || !verify_code(&c, m))
        goto fail;
    return m;
fail:
    mapc_free(m);
    return NULL;
}

void mapc_free(Mapc *m)
{
    if (m == NULL)
        return;
    cm_arena_free(&m->arena);
    cm_free(m);
}

void mapc_position(const MapcEntity *e, uint32_t pc, uint32_t *line, uint32_t *col)
{
    *line = e->line;
    *col = e->col;
    size_t lo = 0, hi = e->nlines;
    while (lo < hi) {   /* first entry with offset > pc */
        size_t mid = (lo + hi) / 2;
        if (e->lines[mid].offset <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        *line = e->lines[lo - 1].line;
        *col = e->lines[lo - 1].col;
    }
}

static int type_rank(const Value *v)
{
    switch (v->type) {
    case V_NULL: return 0;
    case V_BOOL: return v->u.b ? 2 : 1;
    case V_NUM: return 3;
    default: return 4;
    }
}

int mapc_key_cmp(const Value *a, const Value *b)
{
    int ra = type_rank(a), rb = type_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 3)
        return a->u.num < b->u.num ? -1 : a->u.num > b->u.num;
    if (ra == 4) {
        uint32_t n = a->len < b->len ? a->len : b->len;
        int d = n ? memcmp(a->u.str, b->u.str, n) : 0;
        if (d != 0)
            return d < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    return 0;
}

static const Value *find(const MapcTable *t, const Value *key)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = mapc_key_cmp(&t->keys[mid], key);
        if (d == 0)
            return &t->values[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const Value *mapc_table_get(const MapcTable *t, const Value *key)
{
    if (!is_scalar(key))    /* lists, objects and refs are never keys */
        return t->has_else ? &t->else_value : NULL;
    const Value *v = find(t, key);
    if (v == NULL && key->type == V_STR) {
        Value num = v_num(0);
        if (numtext_parse(key->u.str, key->len, &num.u.num))
            v = find(t, &num);
    } else if (v == NULL && key->type == V_NUM) {
        char buf[NUMTEXT_MAX];
        size_t n = numtext_format(key->u.num, buf);
        Value text = v_str(buf, (uint32_t)n);
        v = find(t, &text);
    }
    if (v == NULL && t->has_else)
        v = &t->else_value;
    return v;
}
