/* reader_paths: the source paths a program reads, as a trie of segments,
 * and filling one Value slot per path from a record's tree. Paths sharing a
 * prefix ("answers.q_interest", "answers.q_products") look it up once. */
#include <string.h>

#include "cm_alloc.h"
#include "reader_int.h"

typedef struct PathNode {
    const char *name;
    size_t len;
    int32_t slot;               /* -1: only a prefix of other paths */
    uint32_t first, next;       /* children, siblings; 0 ends (0 is the root) */
} PathNode;

struct RdPaths {
    PathNode *nodes;            /* nodes[0] is the root */
    uint32_t nnodes, cap;
    bool *as_list;              /* per slot */
    size_t nslots;
    CmArena names;
};

RdPaths *rd_paths_new(void)
{
    RdPaths *p = cm_calloc(1, sizeof *p);
    cm_arena_init(&p->names, 4096);
    p->cap = 16;
    p->nodes = cm_calloc(p->cap, sizeof *p->nodes);
    p->nodes[0].slot = -1;
    p->nnodes = 1;
    return p;
}

static uint32_t child(RdPaths *p, uint32_t parent, const char *name)
{
    size_t len = strlen(name);
    uint32_t last = 0;
    for (uint32_t k = p->nodes[parent].first; k; k = p->nodes[k].next) {
        if (p->nodes[k].len == len && memcmp(p->nodes[k].name, name, len) == 0)
            return k;
        last = k;
    }
    if (p->nnodes == p->cap) {
        p->cap *= 2;
        p->nodes = cm_realloc(p->nodes, p->cap * sizeof *p->nodes);
    }
    uint32_t id = p->nnodes++;
    p->nodes[id] = (PathNode){ cm_arena_strndup(&p->names, name, len), len, -1, 0, 0 };
    if (last)
        p->nodes[last].next = id;
    else
        p->nodes[parent].first = id;
    return id;
}

size_t rd_paths_add(RdPaths *p, const char *const *segments, size_t nsegments, bool as_list)
{
    uint32_t node = 0;
    for (size_t i = 0; i < nsegments; i++)
        node = child(p, node, segments[i]);
    if (p->nodes[node].slot >= 0)
        return (size_t)p->nodes[node].slot;
    size_t slot = p->nslots++;
    p->nodes[node].slot = (int32_t)slot;
    p->as_list = cm_realloc(p->as_list, p->nslots * sizeof *p->as_list);
    p->as_list[slot] = as_list;
    return slot;
}

size_t rd_paths_count(const RdPaths *p)
{
    return p->nslots;
}

void rd_paths_free(RdPaths *p)
{
    if (p == NULL)
        return;
    cm_free(p->nodes);
    cm_free(p->as_list);
    cm_arena_free(&p->names);
    cm_free(p);
}

static bool space(char c)
{
    return c == ' ' || c == '\t';
}

/* A CSV multi-select cell "a; b;c" as the list [a, b, c]. */
static Value split_list(const char *s, size_t n, CmArena *arena)
{
    size_t max = 1;
    for (size_t i = 0; i < n; i++)
        max += s[i] == ';';
    Value *items = cm_arena_alloc(arena, max * sizeof *items);
    uint32_t k = 0;
    size_t from = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ';')
            continue;
        size_t a = from, b = i;
        while (a < b && space(s[a]))
            a++;
        while (b > a && space(s[b - 1]))
            b--;
        if (b > a)
            items[k++] = v_str(s + a, (uint32_t)(b - a));
        from = i + 1;
    }
    Value list = { V_LIST, k, { .items = items } };
    return list;
}

static void fill_slots(const Reader *r, const RdPaths *p, uint32_t pn, RdNode n, Value *slots, CmArena *arena)
{
    for (uint32_t k = p->nodes[pn].first; k; k = p->nodes[k].next) {
        const PathNode *kid = &p->nodes[k];
        RdNode v = rd_get(r, n, kid->name, kid->len);
        if (v == RD_NONE)
            continue;
        if (kid->slot >= 0) {
            size_t len;
            const char *text;
            if (r->fmt == RD_CSV && p->as_list[kid->slot] && (text = rd_text(r, v, &len)) != NULL)
                slots[kid->slot] = split_list(text, len, arena);
            else
                slots[kid->slot] = rd_value(r, v, arena);
        }
        if (kid->first)
            fill_slots(r, p, k, v, slots, arena);
    }
}

RdStatus rd_next(Reader *r, Value *slots, CmArena *arena)
{
    const RdPaths *p = r->paths;
    size_t nslots = p ? p->nslots : 0;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = v_null();
    RdStatus st = rd_read(r);
    if (st == RD_RECORD && p)
        fill_slots(r, p, 0, rd_root(r), slots, arena);
    return st;
}
