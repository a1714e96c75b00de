/* mapc_write: see mapc_write.h. Sections are built in separate buffers and
 * joined at the end, because the strings section comes first but is only
 * complete once everything else has been added. */
#include "mapc_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cm_alloc.h"
#include "stack_walk.h"

typedef struct MwConst {
    uint8_t tag;
    double num;
    uint32_t str;               /* MC_STRING: string index */
    uint32_t *items;            /* MC_LIST */
    uint32_t nitems;
} MwConst;

typedef struct MwField {
    uint32_t name;
    uint8_t section, encoding;
    int32_t option_table;
    /* facts (mw_field_facts) */
    uint32_t type, label1, length, max_len;     /* label1: 0 none, else string index + 1 */
    uint8_t flags;
    uint32_t *values;           /* string indexes, sorted by the strings' bytes, unique */
    uint32_t nvalues;
    /* lookups (mw_field_lookup) */
    bool lookup, per_target;
    uint32_t nav1, set1;        /* 0 none, else string index + 1 */
    /* checks (mw_field_check) */
    uint8_t check, precision, scale;
    uint32_t check_table;
    uint8_t bounds, places;     /* mw_field_bounds: MK_HAS_* */
    double min, max;
} MwField;

struct MwEntity {
    MapcWriter *w;
    uint32_t name;
    uint8_t mode;               /* MapcMode, maybe | MAPC_MODE_STRICT */
    int32_t key;
    uint32_t line, col;
    MwField *fields;
    uint32_t nfields, cap_fields;
    CmBuf code;
    MapcLine *lines;
    uint32_t nlines, cap_lines;
    int64_t max_stack;          /* -1: compute */
    int32_t fallback_of;        /* -1: none */
};

struct MapcWriter {
    CmBuf *strings;             /* each string's bytes */
    uint32_t nstrings, cap_strings;
    MwConst *consts;
    uint32_t nconsts, cap_consts;
    CmBuf paths, builtins, tables;
    uint32_t npaths, nbuiltins, ntables;
    CmBuf *path_keys;           /* encoded path per index, for interning */
    BuiltinId *builtin_ids;
    uint32_t meta[3];
    uint8_t fingerprint[32];
    MwEntity **entities;
    uint32_t nentities, cap_entities;
    bool facts;                 /* mw_field_facts or mw_user was called: write the facts section */
    bool lookups;               /* mw_field_lookup was called: write the lookups section (1.2) */
    bool v1_3;                  /* a strict entity or 1.3 opcodes: minor version 3 */
    bool fallbacks;             /* mw_fallback was called: write the fallbacks section (1.3) */
    bool v1_4;                  /* 1.4 opcodes or a field check (section 11): minor version 4 */
    bool v1_6;                  /* a file check, or a number check with bounds: minor version 6 */
    uint32_t *users;            /* pairs of string indexes: e-mail, id */
    uint32_t nusers, cap_users;
    uint32_t *lets;             /* each let slot's name (string index): the lets section, 1.4 */
    uint32_t nlets, cap_lets;
    struct MwParam { uint32_t name, type, default_const; } *params;     /* the params section, 1.5 */
    uint32_t nparams, cap_params;
    CmBuf chains;               /* the refs section's entries, 1.7 */
    uint32_t nchains;
};

#define GROW(arr, n, cap) do {                                        \
        if ((n) == (cap)) {                                           \
            (cap) = (cap) ? (cap) * 2 : 8;                            \
            (arr) = cm_realloc((arr), (size_t)(cap) * sizeof *(arr)); \
        }                                                             \
    } while (0)

static void put_var(CmBuf *b, uint32_t x)
{
    do {
        uint8_t byte = x & 0x7f;
        x >>= 7;
        if (x)
            byte |= 0x80;
        cm_buf_putc(b, (char)byte);
    } while (x);
}

static void put_u32(CmBuf *b, uint32_t x)
{
    uint8_t p[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24) };
    cm_buf_put(b, p, 4);
}

MapcWriter *mw_new(void)
{
    MapcWriter *w = cm_calloc(1, sizeof *w);
    uint32_t empty = mw_string(w, "", 0);
    w->meta[0] = w->meta[1] = w->meta[2] = empty;
    return w;
}

void mw_free(MapcWriter *w)
{
    if (w == NULL)
        return;
    for (uint32_t i = 0; i < w->nstrings; i++)
        cm_buf_free(&w->strings[i]);
    cm_free(w->strings);
    for (uint32_t i = 0; i < w->nconsts; i++)
        cm_free(w->consts[i].items);
    cm_free(w->consts);
    for (uint32_t i = 0; i < w->npaths; i++)
        cm_buf_free(&w->path_keys[i]);
    cm_free(w->path_keys);
    cm_free(w->builtin_ids);
    cm_free(w->lets);
    cm_free(w->params);
    cm_buf_free(&w->chains);
    cm_buf_free(&w->paths);
    cm_buf_free(&w->builtins);
    cm_buf_free(&w->tables);
    for (uint32_t i = 0; i < w->nentities; i++) {
        MwEntity *e = w->entities[i];
        for (uint32_t j = 0; j < e->nfields; j++)
            cm_free(e->fields[j].values);
        cm_free(e->fields);
        cm_free(e->lines);
        cm_buf_free(&e->code);
        cm_free(e);
    }
    cm_free(w->entities);
    cm_free(w->users);
    cm_free(w);
}

uint32_t mw_string(MapcWriter *w, const char *s, size_t len)
{
    for (uint32_t i = 0; i < w->nstrings; i++)
        if (w->strings[i].len == len && (len == 0 || memcmp(w->strings[i].data, s, len) == 0))
            return i;
    GROW(w->strings, w->nstrings, w->cap_strings);
    CmBuf b = CM_BUF_INIT;
    cm_buf_put(&b, s, len);
    w->strings[w->nstrings] = b;
    return w->nstrings++;
}

static uint32_t add_const(MapcWriter *w, MwConst k)
{
    if (k.tag != MC_LIST)
        for (uint32_t i = 0; i < w->nconsts; i++) {
            const MwConst *c = &w->consts[i];
            if (c->tag == k.tag && c->str == k.str && memcmp(&c->num, &k.num, sizeof k.num) == 0)
                return i;
        }
    GROW(w->consts, w->nconsts, w->cap_consts);
    w->consts[w->nconsts] = k;
    return w->nconsts++;
}

uint32_t mw_const_null(MapcWriter *w) { return add_const(w, (MwConst){ .tag = MC_NULL }); }
uint32_t mw_const_bool(MapcWriter *w, bool b) { return add_const(w, (MwConst){ .tag = b ? MC_TRUE : MC_FALSE }); }

uint32_t mw_const_num(MapcWriter *w, double x)
{
    if (x == 0)
        x = 0;  /* one constant for 0 and -0 */
    return add_const(w, (MwConst){ .tag = MC_NUMBER, .num = x });
}

uint32_t mw_const_str(MapcWriter *w, const char *s, size_t len)
{
    return add_const(w, (MwConst){ .tag = MC_STRING, .str = mw_string(w, s, len) });
}

uint32_t mw_const_list(MapcWriter *w, const uint32_t *items, uint32_t n)
{
    MwConst k = { .tag = MC_LIST, .nitems = n };
    k.items = cm_malloc((n ? n : 1) * sizeof *items);
    if (n)
        memcpy(k.items, items, n * sizeof *items);
    return add_const(w, k);
}

uint32_t mw_path(MapcWriter *w, const char *const *segments, uint32_t n, bool as_list)
{
    CmBuf key = CM_BUF_INIT;
    cm_buf_putc(&key, as_list ? 1 : 0);
    put_var(&key, n);
    for (uint32_t i = 0; i < n; i++)
        put_var(&key, mw_string(w, segments[i], strlen(segments[i])));
    for (uint32_t i = 0; i < w->npaths; i++)
        if (w->path_keys[i].len == key.len && memcmp(w->path_keys[i].data, key.data, key.len) == 0) {
            cm_buf_free(&key);
            return i;
        }
    cm_buf_put(&w->paths, key.data, key.len);
    uint32_t cap = w->npaths;
    if ((cap & (cap - 1)) == 0)     /* grow at powers of two */
        w->path_keys = cm_realloc(w->path_keys, (cap ? cap * 2 : 1) * sizeof *w->path_keys);
    w->path_keys[w->npaths] = key;
    return w->npaths++;
}

uint32_t mw_builtin(MapcWriter *w, BuiltinId id)
{
    for (uint32_t i = 0; i < w->nbuiltins; i++)
        if (w->builtin_ids[i] == id)
            return i;
    uint32_t cap = w->nbuiltins;
    if ((cap & (cap - 1)) == 0)
        w->builtin_ids = cm_realloc(w->builtin_ids, (cap ? cap * 2 : 1) * sizeof *w->builtin_ids);
    w->builtin_ids[w->nbuiltins] = id;
    const char *name = builtin_info[id].name;
    put_var(&w->builtins, mw_string(w, name, strlen(name)));
    return w->nbuiltins++;
}

static Value const_value(const MapcWriter *w, uint32_t k)
{
    const MwConst *c = &w->consts[k];
    switch (c->tag) {
    case MC_FALSE: return v_bool(false);
    case MC_TRUE: return v_bool(true);
    case MC_NUMBER: return v_num(c->num);
    case MC_STRING: return v_str(w->strings[c->str].data ? w->strings[c->str].data : "",
                                 (uint32_t)w->strings[c->str].len);
    default: return v_null();
    }
}

uint32_t mw_table(MapcWriter *w, const char *name, const uint32_t *keys, const uint32_t *values,
                  uint32_t n, int32_t else_const)
{
    uint32_t name_s = mw_string(w, name, strlen(name));
    /* Insertion sort keeps the first of equal keys first: tables are small. */
    uint32_t *order = cm_malloc((n ? n : 1) * sizeof *order);
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        Value k = const_value(w, keys[i]);
        uint32_t at = count;
        bool dup = false;
        while (at > 0) {
            Value prev = const_value(w, keys[order[at - 1]]);
            int d = mapc_key_cmp(&prev, &k);
            if (d == 0)
                dup = true;
            if (d <= 0)
                break;
            at--;
        }
        if (dup)
            continue;
        memmove(order + at + 1, order + at, (count - at) * sizeof *order);
        order[at] = i;
        count++;
    }
    put_var(&w->tables, name_s);
    put_var(&w->tables, count);
    for (uint32_t i = 0; i < count; i++) {
        put_var(&w->tables, keys[order[i]]);
        put_var(&w->tables, values[order[i]]);
    }
    put_var(&w->tables, else_const < 0 ? 0 : (uint32_t)else_const + 1);
    cm_free(order);
    return w->ntables++;
}

void mw_meta(MapcWriter *w, const char *mapping, const char *system, const char *source_file)
{
    w->meta[0] = mw_string(w, mapping, strlen(mapping));
    w->meta[1] = mw_string(w, system, strlen(system));
    w->meta[2] = mw_string(w, source_file, strlen(source_file));
}

void mw_fingerprint(MapcWriter *w, const uint8_t fingerprint[32])
{
    memcpy(w->fingerprint, fingerprint, 32);
}

MwEntity *mw_entity(MapcWriter *w, const char *name, MapcMode mode, uint32_t line, uint32_t col)
{
    MwEntity *e = cm_calloc(1, sizeof *e);
    e->w = w;
    e->name = mw_string(w, name, strlen(name));
    e->mode = (uint8_t)mode;
    e->key = -1;
    e->line = line;
    e->col = col;
    e->max_stack = -1;
    e->fallback_of = -1;
    GROW(w->entities, w->nentities, w->cap_entities);
    w->entities[w->nentities++] = e;
    return e;
}

uint32_t mw_field(MwEntity *e, const char *name, MapcFieldSection section, uint8_t encoding,
                  int32_t option_table)
{
    GROW(e->fields, e->nfields, e->cap_fields);
    e->fields[e->nfields] = (MwField){ .name = mw_string(e->w, name, strlen(name)), .section = (uint8_t)section,
                                       .encoding = encoding, .option_table = option_table };
    return e->nfields++;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mw_field_facts(MwEntity *e, uint32_t field, const MwFacts *facts)
{
    MapcWriter *w = e->w;
    MwField *f = &e->fields[field];
    w->facts = true;
    f->type = mw_string(w, facts->type, strlen(facts->type));
    f->label1 = facts->label ? mw_string(w, facts->label, strlen(facts->label)) + 1 : 0;
    f->length = facts->length;
    f->max_len = facts->max_len;
    f->flags = facts->flags;
    /* strcmp order is byte order: values are NUL-free text. */
    const char **sorted = cm_malloc((facts->nvalues + 1) * sizeof *sorted);
    if (facts->nvalues)
        memcpy(sorted, facts->values, facts->nvalues * sizeof *sorted);
    qsort(sorted, facts->nvalues, sizeof *sorted, cmp_text);
    cm_free(f->values);
    f->values = cm_malloc((facts->nvalues + 1) * sizeof *f->values);
    f->nvalues = 0;
    for (uint32_t i = 0; i < facts->nvalues; i++)
        if (i == 0 || strcmp(sorted[i - 1], sorted[i]) != 0)
            f->values[f->nvalues++] = mw_string(w, sorted[i], strlen(sorted[i]));
    cm_free(sorted);
}

void mw_field_lookup(MwEntity *e, uint32_t field, bool per_target, const char *nav, const char *set)
{
    MapcWriter *w = e->w;
    MwField *f = &e->fields[field];
    w->lookups = true;
    f->lookup = true;
    f->per_target = per_target;
    f->nav1 = nav ? mw_string(w, nav, strlen(nav)) + 1 : 0;
    f->set1 = set ? mw_string(w, set, strlen(set)) + 1 : 0;
}

void mw_field_check(MwEntity *e, uint32_t field, MapcCheck check, uint8_t precision, uint8_t scale,
                    uint32_t table)
{
    MwField *f = &e->fields[field];
    e->w->v1_4 = true;
    e->w->v1_6 |= check == MK_FILE;
    f->check = (uint8_t)check;
    f->precision = precision;
    f->scale = scale;
    f->check_table = table;
}

void mw_field_bounds(MwEntity *e, uint32_t field, uint8_t bounds, double min, double max, uint8_t places)
{
    MwField *f = &e->fields[field];
    e->w->v1_6 |= bounds != 0;
    f->bounds = bounds;
    f->min = min;
    f->max = max;
    f->places = places;
}

static void put_num(CmBuf *b, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, 8);
    put_u32(b, (uint32_t)bits);
    put_u32(b, (uint32_t)(bits >> 32));
}

/* Section 11: one entry per checked field, in (entity, field) order. */
static uint32_t write_checks(const MapcWriter *w, CmBuf *b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->nentities; i++)
        for (uint32_t j = 0; j < w->entities[i]->nfields; j++)
            n += w->entities[i]->fields[j].check != MK_NONE;
    put_var(b, n);
    for (uint32_t i = 0; i < w->nentities; i++)
        for (uint32_t j = 0; j < w->entities[i]->nfields; j++) {
            const MwField *f = &w->entities[i]->fields[j];
            if (f->check == MK_NONE)
                continue;
            put_var(b, i);
            put_var(b, j);
            cm_buf_putc(b, (char)(f->check | f->bounds));
            if (f->check == MK_DECIMAL) {
                cm_buf_putc(b, (char)f->precision);
                cm_buf_putc(b, (char)f->scale);
            } else if (f->check == MK_PICKLIST) {
                put_var(b, f->check_table);
            }
            if (f->bounds & MK_HAS_MIN)
                put_num(b, f->min);
            if (f->bounds & MK_HAS_MAX)
                put_num(b, f->max);
            if (f->bounds & MK_HAS_PLACES)
                cm_buf_putc(b, (char)f->places);
        }
    return n;
}

void mw_user(MapcWriter *w, const char *email, const char *id)
{
    w->facts = true;
    uint32_t e = mw_string(w, email, strlen(email));
    for (uint32_t i = 0; i < w->nusers; i++)
        if (w->users[2 * i] == e)
            return;
    if (w->nusers == w->cap_users) {
        w->cap_users = w->cap_users ? 2 * w->cap_users : 8;
        w->users = cm_realloc(w->users, 2 * (size_t)w->cap_users * sizeof *w->users);
    }
    w->users[2 * w->nusers] = e;
    w->users[2 * w->nusers + 1] = mw_string(w, id, strlen(id));
    w->nusers++;
}

void mw_key(MwEntity *e, uint32_t field)
{
    e->key = (int32_t)field;
}

void mw_line(MwEntity *e, uint32_t line, uint32_t col)
{
    uint32_t at = (uint32_t)e->code.len;
    if (e->nlines > 0) {
        MapcLine *last = &e->lines[e->nlines - 1];
        if (last->line == line && last->col == col)
            return;
        if (last->offset == at) {
            last->line = line;
            last->col = col;
            return;
        }
    }
    GROW(e->lines, e->nlines, e->cap_lines);
    e->lines[e->nlines++] = (MapcLine){ at, line, col };
}

void mw_strict(MwEntity *e)
{
    e->mode |= MAPC_MODE_STRICT;
    e->w->v1_3 = true;
}

uint32_t mw_op(MwEntity *e, OpCode op, uint32_t operand)
{
    uint32_t at = (uint32_t)e->code.len;
    cm_buf_putc(&e->code, (char)op);
    for (unsigned i = 0; i < operand_info[op_info[op].operand].bytes; i++)
        cm_buf_putc(&e->code, (char)((operand >> (8 * i)) & 0xff));
    if (op >= BC_GUARD && op < BC_TRY)
        e->w->v1_3 = true;
    if (op >= BC_TRY)
        e->w->v1_4 = true;
    return at;
}

void mw_patch_here(MwEntity *e, uint32_t at)
{
    uint32_t to = (uint32_t)e->code.len;
    e->code.data[at + 1] = (char)(to & 0xff);
    e->code.data[at + 2] = (char)((to >> 8) & 0xff);
}

uint32_t mw_offset(const MwEntity *e)
{
    return (uint32_t)e->code.len;
}

void mw_code_raw(MwEntity *e, const uint8_t *bytes, size_t n)
{
    cm_buf_put(&e->code, bytes, n);
}

void mw_set_max_stack(MwEntity *e, uint32_t max)
{
    e->max_stack = max;
}

/* The deepest the stack gets along any path. Well-formed code only: for
 * anything else the verifier has the last word, so a walk that stops at a
 * fault gives the deepest it saw before. */
static uint32_t compute_max_stack(const MwEntity *e)
{
    StackWalk w;
    stack_walk((const uint8_t *)e->code.data, (uint32_t)e->code.len, UINT32_MAX, &w);
    return w.max;
}

static void put_section(CmBuf *out, uint8_t id, const CmBuf *payload)
{
    cm_buf_putc(out, (char)id);
    put_var(out, (uint32_t)payload->len);
    cm_buf_put(out, payload->data ? payload->data : "", payload->len);
}

static void write_entity(const MwEntity *e, CmBuf *b)
{
    put_var(b, e->name);
    cm_buf_putc(b, (char)e->mode);
    put_var(b, e->key < 0 ? 0 : (uint32_t)e->key + 1);
    put_var(b, e->line);
    put_var(b, e->col);
    put_var(b, e->nfields);
    for (uint32_t i = 0; i < e->nfields; i++) {
        put_var(b, e->fields[i].name);
        cm_buf_putc(b, (char)e->fields[i].section);
        cm_buf_putc(b, (char)e->fields[i].encoding);
        put_var(b, e->fields[i].option_table < 0 ? 0 : (uint32_t)e->fields[i].option_table + 1);
    }
    put_var(b, e->max_stack >= 0 ? (uint32_t)e->max_stack : compute_max_stack(e));
    put_var(b, (uint32_t)e->code.len);
    cm_buf_put(b, e->code.data ? e->code.data : "", e->code.len);
    put_var(b, e->nlines);
    for (uint32_t i = 0; i < e->nlines; i++) {
        put_var(b, e->lines[i].offset);
        put_var(b, e->lines[i].line);
        put_var(b, e->lines[i].col);
    }
}

static void write_facts(const MapcWriter *w, CmBuf *b)
{
    put_var(b, w->nentities);
    for (uint32_t i = 0; i < w->nentities; i++) {
        const MwEntity *e = w->entities[i];
        put_var(b, e->nfields);
        for (uint32_t j = 0; j < e->nfields; j++) {
            const MwField *f = &e->fields[j];
            put_var(b, f->type);
            put_var(b, f->label1);
            put_var(b, f->length);
            put_var(b, f->max_len);
            cm_buf_putc(b, (char)f->flags);
            put_var(b, f->nvalues);
            for (uint32_t k = 0; k < f->nvalues; k++)
                put_var(b, f->values[k]);
        }
    }
    put_var(b, w->nusers);
    for (uint32_t i = 0; i < 2 * w->nusers; i++)
        put_var(b, w->users[i]);
}

static void write_lookups(const MapcWriter *w, CmBuf *b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->nentities; i++)
        for (uint32_t j = 0; j < w->entities[i]->nfields; j++)
            n += w->entities[i]->fields[j].lookup;
    put_var(b, n);
    for (uint32_t i = 0; i < w->nentities; i++)
        for (uint32_t j = 0; j < w->entities[i]->nfields; j++) {
            const MwField *f = &w->entities[i]->fields[j];
            if (!f->lookup)
                continue;
            put_var(b, i);
            put_var(b, j);
            cm_buf_putc(b, f->per_target ? ML_PER_TARGET : 0);
            put_var(b, f->nav1);
            put_var(b, f->set1);
        }
}

void mw_fallback(MwEntity *e, uint32_t of)
{
    e->fallback_of = (int32_t)of;
    e->w->fallbacks = true;
}

uint32_t mw_let(MapcWriter *w, const char *name)
{
    GROW(w->lets, w->nlets, w->cap_lets);
    w->lets[w->nlets] = mw_string(w, name, strlen(name));
    return w->nlets++;
}

uint32_t mw_param(MapcWriter *w, const char *name, MapcParamType type, uint32_t default_const)
{
    GROW(w->params, w->nparams, w->cap_params);
    w->params[w->nparams] = (struct MwParam){ mw_string(w, name, strlen(name)), type, default_const };
    return w->nparams++;
}

uint32_t mw_chain(MapcWriter *w, const uint32_t *entities, uint32_t n)
{
    put_var(&w->chains, n);
    for (uint32_t i = 0; i < n; i++)
        put_var(&w->chains, entities[i]);
    return w->nchains++;
}

static void write_fallbacks(const MapcWriter *w, CmBuf *b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->nentities; i++)
        n += w->entities[i]->fallback_of >= 0;
    put_var(b, n);
    for (uint32_t i = 0; i < w->nentities; i++)
        if (w->entities[i]->fallback_of >= 0) {
            put_var(b, i);
            put_var(b, (uint32_t)w->entities[i]->fallback_of);
        }
}

bool mw_finish(MapcWriter *w, CmBuf *out, char *err, size_t errlen)
{
    if (w->nstrings > MAPC_MAX_INDEX || w->nconsts > MAPC_MAX_INDEX || w->npaths > MAPC_MAX_INDEX
        || w->nlets > MAPC_MAX_INDEX || w->nparams > MAPC_MAX_INDEX || w->nchains > MAPC_MAX_INDEX
        || w->ntables > MAPC_MAX_INDEX || w->nentities > MAPC_MAX_INDEX || w->nbuiltins > MAPC_MAX_BUILTINS) {
        snprintf(err, errlen, "the mapping is too large for the bytecode format (more than %u strings, lets, params, "
                 "ref chains, constants, paths, tables or entities)", MAPC_MAX_INDEX);
        return false;
    }
    for (uint32_t i = 0; i < w->nentities; i++)
        if (w->entities[i]->code.len > MAPC_MAX_INDEX || w->entities[i]->nfields > MAPC_MAX_INDEX) {
            snprintf(err, errlen, "an entity's program is too large for the bytecode format (over %u bytes)",
                     MAPC_MAX_INDEX);
            return false;
        }
    CmBuf sec = CM_BUF_INIT;
    cm_buf_clear(out);
    cm_buf_put(out, MAPC_MAGIC, 4);
    cm_buf_putc(out, MAPC_MAJOR);
    /* The oldest minor version that has everything written: a mapping
     * without Dynamics lookups, 1.3 code or fallbacks stays readable by a
     * 1.1 runtime. */
    cm_buf_putc(out, w->nchains                ? MAPC_MINOR
                     : w->v1_6                 ? MAPC_MINOR_FILES
                     : w->nparams              ? MAPC_MINOR_PARAMS
                     : w->v1_4 || w->nlets     ? MAPC_MINOR_LETS
                     : w->v1_3 || w->fallbacks ? MAPC_MINOR_STRICT
                     : w->lookups              ? MAPC_MINOR_LOOKUPS
                                               : MAPC_MINOR_FACTS);
    cm_buf_putc(out, (char)(MAPC_BOM & 0xff));
    cm_buf_putc(out, (char)(MAPC_BOM >> 8));
    cm_buf_putc(out, 8);
    cm_buf_putc(out, 2);
    cm_buf_putc(out, w->fallbacks ? MAPC_FLAG_FALLBACKS : 0);
    cm_buf_putc(out, 0);
    put_u32(out, 0);    /* length, patched below */
    cm_buf_put(out, w->fingerprint, 32);

    /* Every string is interned by now; the sections that refer to them are
     * built first because the strings section precedes them. */
    CmBuf meta = CM_BUF_INIT, consts = CM_BUF_INIT, ents = CM_BUF_INIT, facts = CM_BUF_INIT, lookups = CM_BUF_INIT,
          fallbacks = CM_BUF_INIT, checks = CM_BUF_INIT;
    for (int i = 0; i < 3; i++)
        put_var(&meta, w->meta[i]);
    put_var(&consts, w->nconsts);
    for (uint32_t i = 0; i < w->nconsts; i++) {
        const MwConst *k = &w->consts[i];
        cm_buf_putc(&consts, (char)k->tag);
        if (k->tag == MC_NUMBER) {
            put_num(&consts, k->num);
        } else if (k->tag == MC_STRING) {
            put_var(&consts, k->str);
        } else if (k->tag == MC_LIST) {
            put_var(&consts, k->nitems);
            for (uint32_t j = 0; j < k->nitems; j++)
                put_var(&consts, k->items[j]);
        }
    }
    put_var(&ents, w->nentities);
    for (uint32_t i = 0; i < w->nentities; i++)
        write_entity(w->entities[i], &ents);
    if (w->facts)
        write_facts(w, &facts);
    if (w->lookups)
        write_lookups(w, &lookups);
    if (w->fallbacks)
        write_fallbacks(w, &fallbacks);
    uint32_t nchecks = w->v1_4 ? write_checks(w, &checks) : 0;

    put_var(&sec, w->nstrings);
    for (uint32_t i = 0; i < w->nstrings; i++) {
        put_var(&sec, (uint32_t)w->strings[i].len);
        cm_buf_put(&sec, w->strings[i].data ? w->strings[i].data : "", w->strings[i].len);
    }
    put_section(out, MS_STRINGS, &sec);
    put_section(out, MS_META, &meta);
    put_section(out, MS_CONSTS, &consts);
    cm_buf_clear(&sec);
    put_var(&sec, w->npaths);
    cm_buf_put(&sec, w->paths.data ? w->paths.data : "", w->paths.len);
    put_section(out, MS_PATHS, &sec);
    cm_buf_clear(&sec);
    put_var(&sec, w->nbuiltins);
    cm_buf_put(&sec, w->builtins.data ? w->builtins.data : "", w->builtins.len);
    put_section(out, MS_BUILTINS, &sec);
    cm_buf_clear(&sec);
    put_var(&sec, w->ntables);
    cm_buf_put(&sec, w->tables.data ? w->tables.data : "", w->tables.len);
    put_section(out, MS_TABLES, &sec);
    put_section(out, MS_ENTITIES, &ents);
    if (w->facts)
        put_section(out, MS_FACTS, &facts);
    if (w->lookups)
        put_section(out, MS_LOOKUPS, &lookups);
    if (w->fallbacks)
        put_section(out, MS_FALLBACKS, &fallbacks);
    if (nchecks > 0)
        put_section(out, MS_CHECKS, &checks);
    cm_buf_free(&checks);
    if (w->nlets) {
        cm_buf_clear(&sec);
        put_var(&sec, w->nlets);
        for (uint32_t i = 0; i < w->nlets; i++)
            put_var(&sec, w->lets[i]);
        put_section(out, MS_LETS, &sec);
    }
    if (w->nparams) {
        cm_buf_clear(&sec);
        put_var(&sec, w->nparams);
        for (uint32_t i = 0; i < w->nparams; i++) {
            put_var(&sec, w->params[i].name);
            cm_buf_putc(&sec, (char)w->params[i].type);
            put_var(&sec, w->params[i].default_const);
        }
        put_section(out, MS_PARAMS, &sec);
    }
    if (w->nchains) {
        cm_buf_clear(&sec);
        put_var(&sec, w->nchains);
        cm_buf_put(&sec, w->chains.data, w->chains.len);
        put_section(out, MS_REFS, &sec);
    }
    cm_buf_free(&facts);
    cm_buf_free(&lookups);
    cm_buf_free(&fallbacks);
    cm_buf_free(&sec);
    cm_buf_free(&meta);
    cm_buf_free(&consts);
    cm_buf_free(&ents);

    uint32_t total = (uint32_t)out->len + MAPC_TRAILER_SIZE;
    uint8_t *d = (uint8_t *)out->data;
    d[12] = (uint8_t)total;
    d[13] = (uint8_t)(total >> 8);
    d[14] = (uint8_t)(total >> 16);
    d[15] = (uint8_t)(total >> 24);
    put_u32(out, (uint32_t)crc32(0L, (const Bytef *)out->data, (uInt)out->len));
    return true;
}
