/* mtest_map: what `crmmap test` needs to know about the mapping under test
 * beyond its bytecode — names as C strings, which statement assigns a field,
 * which field is the owner, whether an entity can be skipped; see mtest.h. */
#include <string.h>

#include "cm_alloc.h"
#include "crm_vendor.h"
#include "mtest.h"

void mt_map_init(MtMap *map, const Checked *c, const Mapc *m)
{
    map->c = c;
    map->m = m;
    cm_arena_init(&map->arena, 4096);
    map->entity_names = cm_arena_alloc(&map->arena, (m->nentities + 1) * sizeof *map->entity_names);
    map->field_names = cm_arena_alloc(&map->arena, (m->nentities + 1) * sizeof *map->field_names);
    for (uint32_t e = 0; e < m->nentities; e++) {
        const MapcEntity *me = &m->entities[e];
        uint32_t n;
        const char *s = mapc_str(m, me->name, &n);
        map->entity_names[e] = cm_arena_strndup(&map->arena, s, n);
        map->field_names[e] = cm_arena_alloc(&map->arena, (me->nfields + 1) * sizeof **map->field_names);
        for (uint32_t f = 0; f < me->nfields; f++) {
            s = mapc_str(m, me->fields[f].name, &n);
            map->field_names[e][f] = cm_arena_strndup(&map->arena, s, n);
        }
    }
}

void mt_map_free(MtMap *map)
{
    cm_arena_free(&map->arena);
}

typedef bool (*ExprTest)(const Expr *x);

/* True when x or an expression inside it passes test. */
static bool holds(const Expr *x, ExprTest test);

static bool holds_in(Expr *const *xs, size_t n, ExprTest test)
{
    for (size_t i = 0; i < n; i++)
        if (holds(xs[i], test))
            return true;
    return false;
}

static bool holds(const Expr *x, ExprTest test)
{
    if (x == NULL)
        return false;
    if (test(x))
        return true;
    switch (x->kind) {
    case EX_LIST: return holds_in(x->u.list.items, x->u.list.count, test);
    case EX_CALL: return holds_in(x->u.call.args, x->u.call.count, test);
    case EX_LOOKUP: return holds(x->u.lookup.key, test);
    case EX_UNARY: return holds(x->u.unary.operand, test);
    case EX_BINARY: return holds(x->u.binary.left, test) || holds(x->u.binary.right, test);
    case EX_IF:
        return holds(x->u.if_e.cond, test) || holds(x->u.if_e.then_e, test) || holds(x->u.if_e.else_e, test);
    case EX_CASE:
        for (size_t i = 0; i < x->u.case_e.count; i++)
            if (holds(x->u.case_e.arms[i].cond, test) || holds(x->u.case_e.arms[i].value, test))
                return true;
        return holds(x->u.case_e.else_e, test);
    default: return false;
    }
}

static bool is_ref(const Expr *x)
{
    return x->kind == EX_REF;
}

static bool is_user_call(const Expr *x)
{
    return x->kind == EX_CALL && x->info && x->info->builtin == BI__COUNT;
}

bool mt_entity_refs(const MtMap *map, uint32_t e)
{
    const CheckedEntity *ce = &map->c->entities[e];
    for (size_t i = 0; i < ce->nassigns; i++)
        if (holds(ce->assigns[i].stmt->u.assign.value, is_ref))
            return true;
    return false;
}

const Stmt *mt_assignment(const MtMap *map, uint32_t e, uint32_t f)
{
    const CheckedEntity *ce = &map->c->entities[e];
    const char *name = map->field_names[e][f];
    for (size_t i = 0; i < ce->nassigns; i++)
        if (strcmp(ce->assigns[i].field->name, name) == 0)
            return ce->assigns[i].stmt;
    return NULL;
}

int32_t mt_owner_field(const MtMap *map, uint32_t e)
{
    const MapcEntity *me = &map->m->entities[e];
    int32_t found = -1, standard = -1;
    for (uint32_t i = 0; i < me->nfields; i++) {
        const Stmt *s = mt_assignment(map, e, i);
        if (s && holds(s->u.assign.value, is_user_call)) {
            if (found >= 0)
                return -1;
            found = (int32_t)i;
        }
        for (const CrmVendor *const *v = crm_vendors(); *v; v++)
            if ((*v)->owner_field && strcmp(map->field_names[e][i], (*v)->owner_field) == 0)
                standard = (int32_t)i;
    }
    return found >= 0 ? found : standard;
}
