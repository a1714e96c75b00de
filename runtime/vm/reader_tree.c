/* reader_tree: access to the current record's tree (reader.h): nodes by
 * index, children linked as siblings, lookups by key (the last duplicate
 * wins) and dotted path, and conversion to VM values. */
#include <string.h>

#include "reader_int.h"

static const RdValue *at(const Reader *r, RdNode n)
{
    return n < r->nnodes ? &r->nodes[n] : NULL;
}

RdNode rd_root(const Reader *r)
{
    return r->nnodes > 0 && r->nodes[0].kind == RDK_OBJECT ? 0 : RD_NONE;
}

RdKind rd_kind(const Reader *r, RdNode n)
{
    const RdValue *v = at(r, n);
    return v ? (RdKind)v->kind : RDK_NULL;
}

RdNode rd_first(const Reader *r, RdNode n)
{
    const RdValue *v = at(r, n);
    return v && (v->kind == RDK_ARRAY || v->kind == RDK_OBJECT) && v->u.count > 0 ? n + 1 : RD_NONE;
}

RdNode rd_next_sibling(const Reader *r, RdNode n)
{
    const RdValue *v = at(r, n);
    return v ? v->next : RD_NONE;
}

size_t rd_count(const Reader *r, RdNode n)
{
    const RdValue *v = at(r, n);
    return v && (v->kind == RDK_ARRAY || v->kind == RDK_OBJECT) ? v->u.count : 0;
}

RdNode rd_get(const Reader *r, RdNode obj, const char *key, size_t len)
{
    const RdValue *o = at(r, obj);
    if (o == NULL || o->kind != RDK_OBJECT)
        return RD_NONE;
    RdNode found = RD_NONE;
    for (RdNode c = rd_first(r, obj); c != RD_NONE; c = r->nodes[c].next)
        if (r->nodes[c].key_len == len && memcmp(r->nodes[c].key, key, len) == 0)
            found = c;
    return found;
}

RdNode rd_get_path(const Reader *r, const char *path)
{
    RdNode n = rd_root(r);
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        n = rd_get(r, n, path, len);
        if (n == RD_NONE || dot == NULL)
            return n;
        path = dot + 1;
    }
}

const char *rd_key(const Reader *r, RdNode n, size_t *len)
{
    const RdValue *v = at(r, n);
    *len = v && v->key ? v->key_len : 0;
    return v ? v->key : NULL;
}

const char *rd_text(const Reader *r, RdNode n, size_t *len)
{
    const RdValue *v = at(r, n);
    if (v == NULL || (v->kind != RDK_STR && v->kind != RDK_NUM)) {
        *len = 0;
        return NULL;
    }
    *len = v->len;
    return v->text ? v->text : "";
}

double rd_num(const Reader *r, RdNode n)
{
    const RdValue *v = at(r, n);
    return v && v->kind == RDK_NUM ? v->u.num : 0;
}

bool rd_bool(const Reader *r, RdNode n)
{
    const RdValue *v = at(r, n);
    return v && v->kind == RDK_BOOL && v->u.b;
}

static Value scalar(const RdValue *v)
{
    switch (v->kind) {
    case RDK_BOOL: return v_bool(v->u.b);
    case RDK_NUM: return v_num(v->u.num);
    case RDK_STR: return v_str(v->text ? v->text : "", v->len);
    case RDK_NULL: return v_null();
    default: {
        Value o = { V_OBJECT, 0, { .b = false } };
        return o;
    }
    }
}

Value rd_value(const Reader *r, RdNode n, CmArena *arena)
{
    const RdValue *v = at(r, n);
    if (v == NULL)
        return v_null();
    if (v->kind != RDK_ARRAY)
        return scalar(v);
    Value *items = cm_arena_alloc(arena, (v->u.count + 1) * sizeof *items);
    uint32_t k = 0;
    for (RdNode c = rd_first(r, n); c != RD_NONE && k < v->u.count; c = r->nodes[c].next)
        items[k++] = scalar(&r->nodes[c]);
    Value list = { V_LIST, k, { .items = items } };
    return list;
}
