/* codegen: see codegen.h. One pass over each entity: its `when`, its reject
 * rules, then its assignments, each a stack program ending in EMIT. Jumps are
 * emitted forward and patched when their target is reached. */
#include "codegen.h"

#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "crm_vendor.h"
#include "fingerprint.h"
#include "mapc_write.h"
#include "numtext.h"

typedef struct OptionTable {
    const Field *field;
    uint32_t table;
} OptionTable;

typedef struct Gen {
    const Checked *c;
    MapcWriter *w;
    MwEntity *e;
    uint32_t *tables;           /* writer index of Checked.tables[i] */
    OptionTable *options;
    size_t noptions;
    const Field *option_target; /* an option-set field the value being
                                   generated goes to, while in value position */
    OptionTable *answers;       /* per source question with listed options: them */
    size_t nanswers;
    OptionTable *labels;        /* per question given to label(): option -> label */
    size_t nlabels;
    OptionTable *picks;         /* per restricted picklist written: the values it takes */
    size_t npicks;
    int32_t users_table;        /* user(x)'s lower-cased key -> id table, -1: not yet */
    bool in_field;              /* generating a field's statement: answers are checked */
    bool failed;
    char *err;
    size_t errlen;
} Gen;

static void gen_fail(Gen *g, const char *msg)
{
    if (!g->failed)
        snprintf(g->err, g->errlen, "%s", msg);
    g->failed = true;
}

static void at(Gen *g, Span sp)
{
    uint32_t line = 1, col = 1;
    if (sp.src)
        diag_position(sp.src, sp.start, &line, &col);
    mw_line(g->e, line, col);
}

/* ---- constants ---- */

static bool literal_const(Gen *g, const Expr *x, uint32_t *k)
{
    switch (x->kind) {
    case EX_NULL: *k = mw_const_null(g->w); return true;
    case EX_BOOL: *k = mw_const_bool(g->w, x->u.boolean); return true;
    case EX_NUMBER: *k = mw_const_num(g->w, x->u.number.value); return true;
    case EX_STRING: *k = mw_const_str(g->w, x->u.string.value, x->u.string.len); return true;
    case EX_LIST: {
        uint32_t *items = cm_malloc((x->u.list.count + 1) * sizeof *items);
        bool ok = true;
        for (size_t i = 0; i < x->u.list.count && ok; i++)
            ok = x->u.list.items[i]->kind != EX_LIST && literal_const(g, x->u.list.items[i], &items[i]);
        if (ok)
            *k = mw_const_list(g->w, items, (uint32_t)x->u.list.count);
        cm_free(items);
        return ok;
    }
    default: return false;
    }
}

static void gen_tables(Gen *g)
{
    const Checked *c = g->c;
    g->tables = cm_calloc(c->ntables + 1, sizeof *g->tables);
    for (size_t i = 0; i < c->ntables; i++) {
        const Item *t = c->tables[i];
        size_t n = t->u.table.count;
        uint32_t *keys = cm_malloc((n + 1) * sizeof *keys), *vals = cm_malloc((n + 1) * sizeof *vals);
        for (size_t j = 0; j < n; j++)
            if (!literal_const(g, t->u.table.entries[j].key, &keys[j])
                || !literal_const(g, t->u.table.entries[j].value, &vals[j]))
                gen_fail(g, "a table entry is not a literal");
        int32_t dflt = -1;
        uint32_t k;
        if (t->u.table.else_value) {
            if (literal_const(g, t->u.table.else_value, &k))
                dflt = (int32_t)k;
            else
                gen_fail(g, "a table's else value is not a literal");
        }
        g->tables[i] = mw_table(g->w, t->u.table.name.name, keys, vals, (uint32_t)n, dflt);
        cm_free(keys);
        cm_free(vals);
    }
}

static uint32_t table_index(Gen *g, const Item *t)
{
    for (size_t i = 0; i < g->c->ntables; i++)
        if (g->c->tables[i] == t)
            return g->tables[i];
    gen_fail(g, "a table lookup names no known table");
    return 0;
}

/* The option table of a Dynamics option-set field: value text and label to
 * the integer, for values only known at run time. */
/* The table made for f earlier, -1: none yet. */
static int32_t known_table(const OptionTable *list, size_t n, const Field *f)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].field == f)
            return (int32_t)list[i].table;
    return -1;
}

/* Writes the table "PREFIX FIELD" of count entries (keys and vals, freed
 * here) and remembers it for f in list. */
static int32_t field_table(Gen *g, OptionTable **list, size_t *n, const Field *f, const char *prefix,
                           uint32_t *keys, uint32_t *vals, uint32_t count)
{
    CmBuf name = CM_BUF_INIT;
    cm_buf_printf(&name, "%s %s", prefix, f->name);
    uint32_t t = mw_table(g->w, name.data, keys, vals, count, -1);
    cm_buf_free(&name);
    cm_free(keys);
    cm_free(vals);
    *list = cm_realloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = (OptionTable){ f, t };
    return (int32_t)t;
}

static int32_t option_table(Gen *g, const Field *f)
{
    int32_t known = known_table(g->options, g->noptions, f);
    if (known >= 0)
        return known;
    size_t n = f->nvalues;
    uint32_t *keys = cm_malloc((2 * n + 1) * sizeof *keys), *vals = cm_malloc((2 * n + 1) * sizeof *vals);
    uint32_t count = 0;
    for (size_t i = 0; i < n; i++) {
        double x;
        const char *v = f->values[i].value;
        if (!numtext_parse(v, strlen(v), &x))
            continue;
        uint32_t num = mw_const_num(g->w, x);
        keys[count] = mw_const_str(g->w, v, strlen(v));
        vals[count++] = num;
        if (f->values[i].label) {
            keys[count] = mw_const_str(g->w, f->values[i].label, strlen(f->values[i].label));
            vals[count++] = num;
        }
    }
    return field_table(g, &g->options, &g->noptions, f, "options of", keys, vals, count);
}

/* The options a source question lists, as a table (option -> true), for
 * SRC_OPTION; -1 when the question lists none. */
static int32_t answer_table(Gen *g, const Field *f)
{
    if (f == NULL || f->nvalues == 0 || (f->type != FT_PICKLIST && f->type != FT_MULTIPICKLIST))
        return -1;
    int32_t known = known_table(g->answers, g->nanswers, f);
    if (known >= 0)
        return known;
    uint32_t *keys = cm_malloc((f->nvalues + 1) * sizeof *keys), *vals = cm_malloc((f->nvalues + 1) * sizeof *vals);
    uint32_t yes = mw_const_bool(g->w, true);
    for (size_t i = 0; i < f->nvalues; i++) {
        keys[i] = mw_const_str(g->w, f->values[i].value, strlen(f->values[i].value));
        vals[i] = yes;
    }
    return field_table(g, &g->answers, &g->nanswers, f, "options of source", keys, vals, (uint32_t)f->nvalues);
}

/* label(q): the question's options and their labels (the option itself
 * when the schema gives none), so the run needs no schema. */
static int32_t label_table(Gen *g, const Field *f)
{
    int32_t known = known_table(g->labels, g->nlabels, f);
    if (known >= 0)
        return known;
    uint32_t *keys = cm_malloc((f->nvalues + 1) * sizeof *keys), *vals = cm_malloc((f->nvalues + 1) * sizeof *vals);
    for (size_t i = 0; i < f->nvalues; i++) {
        const PickValue *v = &f->values[i];
        const char *label = v->label ? v->label : v->value;
        keys[i] = mw_const_str(g->w, v->value, strlen(v->value));
        vals[i] = mw_const_str(g->w, label, strlen(label));
    }
    return field_table(g, &g->labels, &g->nlabels, f, "labels of source", keys, vals, (uint32_t)f->nvalues);
}

/* user(x) with x known at run time: every link of the users file, lower-cased
 * (user(x) finds them case-insensitively), to the active user's id, or to a
 * one-item list of an inactive one's (bi_user.c tells them apart); an
 * unknown key gives "". Active users go first: a repeated key keeps its
 * first value. */
typedef struct UserKeys {
    Gen *g;
    uint32_t *keys, *vals;
    uint32_t n, cap;
    bool active;
} UserKeys;

static void user_key(void *ctx, const User *u, const char *key)
{
    UserKeys *k = ctx;
    if (u->active != k->active)
        return;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        k->keys = cm_realloc(k->keys, k->cap * sizeof *k->keys);
        k->vals = cm_realloc(k->vals, k->cap * sizeof *k->vals);
    }
    char *low = cm_strdup(key);
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    uint32_t id = mw_const_str(k->g->w, u->id, strlen(u->id));
    k->keys[k->n] = mw_const_str(k->g->w, low, strlen(low));
    k->vals[k->n++] = u->active ? id : mw_const_list(k->g->w, &id, 1);
    cm_free(low);
}

static uint32_t users_table(Gen *g)
{
    if (g->users_table >= 0)
        return (uint32_t)g->users_table;
    UserKeys k = { .g = g, .active = true };
    if (g->c->users != NULL) {
        users_each_key(g->c->users, user_key, &k);
        k.active = false;
        users_each_key(g->c->users, user_key, &k);
    }
    uint32_t t = mw_table(g->w, "users", k.keys, k.vals, k.n, (int32_t)mw_const_str(g->w, "", 0));
    cm_free(k.keys);
    cm_free(k.vals);
    g->users_table = (int32_t)t;
    return t;
}

/* ---- expressions ---- */

static void expr(Gen *g, const Expr *x);

static uint32_t path_index(Gen *g, const Expr *x)
{
    size_t n = x->u.path.count;
    const char **segs = cm_malloc((n + 1) * sizeof *segs);
    for (size_t i = 0; i < n; i++)
        segs[i] = x->u.path.segments[i].name;
    bool as_list = x->info && x->info->source
                   && (x->info->source->type == FT_MULTIPICKLIST || x->info->source->type == FT_FILES);
    if (n == 0 || n > MAPC_MAX_SEGMENTS)
        gen_fail(g, "a source path has too many segments");
    uint32_t p = mw_path(g->w, segs, (uint32_t)n, as_list);
    cm_free(segs);
    return p;
}

/* The params, each with its default as a constant of its own type (the
 * checker let only literals through). */
static void gen_params(Gen *g)
{
    for (size_t i = 0; i < g->c->nparams; i++) {
        const CheckedParam *p = &g->c->params[i];
        const Expr *v = p->decl->value;
        uint32_t k;
        if (v->kind == EX_UNARY)
            k = mw_const_num(g->w, -v->u.unary.operand->u.number.value);
        else if (!literal_const(g, v, &k))
            gen_fail(g, "a param's default is no literal");
        mw_param(g->w, p->decl->name.name, p->type == CT_NUMBER ? MP_NUMBER : p->type == CT_BOOL ? MP_BOOL : MP_STRING, k);
    }
}

/* A source answer; in a field's statement one of a question with listed
 * options is checked against them (nothing silent: docs/run.md). */
/* A let's use: its value is computed at the first use a record reaches
 * (in any entity) and kept in its slot; later uses read the slot. */
static void gen_let(Gen *g, const Expr *x)
{
    const CheckedLet *l = x->info->let;
    uint32_t slot = (uint32_t)(l - g->c->lets);
    uint32_t done = mw_op(g->e, BC_LET_JUMP, slot << 16);
    at(g, l->decl->value->span);
    expr(g, l->decl->value);
    mw_op(g->e, BC_LET_SET, slot);
    mw_patch_here(g->e, done);
    at(g, x->span);
    mw_op(g->e, BC_LET_GET, slot);
}

static void gen_path(Gen *g, const Expr *x)
{
    if (x->info && x->info->let) {
        gen_let(g, x);
        return;
    }
    if (x->info && x->info->param) {
        mw_op(g->e, BC_PARAM, (uint32_t)(x->info->param - g->c->params));
        return;
    }
    uint32_t p = path_index(g, x);
    int32_t t = g->in_field ? answer_table(g, x->info ? x->info->source : NULL) : -1;
    if (t >= 0)
        mw_op(g->e, BC_SRC_OPTION, p | (uint32_t)t << 16);
    else
        mw_op(g->e, BC_SRC, p);
}

static void gen_call(Gen *g, const Expr *x)
{
    const struct CheckInfo *in = x->info;
    if (in && in->labels) {
        /* An answer the question does not list is noted, as a table's miss. */
        at(g, x->span);
        mw_op(g->e, BC_SRC_LOOKUP, path_index(g, x->u.call.args[0]) | (uint32_t)label_table(g, in->labels) << 16);
        return;
    }
    if (in && in->user_key) {
        expr(g, in->user_key);
        at(g, x->span);
        mw_op(g->e, BC_CALL, mw_builtin(g->w, BI_lower) | 1u << 8);
        mw_op(g->e, BC_DUP, 0);
        mw_op(g->e, BC_LOOKUP, users_table(g));
        mw_op(g->e, BC_CALL, mw_builtin(g->w, BI_user) | 2u << 8);
        return;
    }
    if (in && in->builtin == BI__COUNT) {
        if (in->user == NULL) {
            gen_fail(g, "user(...) was not resolved");
            return;
        }
        /* Positioned, so that doctor's D0407 can point at the call. */
        at(g, x->span);
        mw_op(g->e, BC_CONST, mw_const_str(g->w, in->user->id, strlen(in->user->id)));
        if (in->user->email)
            mw_user(g->w, in->user->email, in->user->id);
        return;
    }
    BuiltinId id = in ? in->builtin : builtin_lookup(x->u.call.name.name);
    if (id == BI__COUNT || x->u.call.count > 255) {
        gen_fail(g, "a call names no builtin");
        return;
    }
    for (size_t i = 0; i < x->u.call.count; i++)
        expr(g, x->u.call.args[i]);
    at(g, x->span);
    mw_op(g->e, BC_CALL, mw_builtin(g->w, id) | (unsigned)x->u.call.count << 8);
}

/* `a and b`, `a or b`: a boolean, b evaluated only when needed. */
static void gen_logic(Gen *g, const Expr *x)
{
    bool is_and = x->u.binary.op == OP_AND;
    expr(g, x->u.binary.left);
    uint32_t j1 = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
    if (is_and) {
        expr(g, x->u.binary.right);
        uint32_t j2 = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
        mw_op(g->e, BC_TRUE, 0);
        uint32_t end = mw_op(g->e, BC_JUMP, 0);
        mw_patch_here(g->e, j1);
        mw_patch_here(g->e, j2);
        mw_op(g->e, BC_FALSE, 0);
        mw_patch_here(g->e, end);
    } else {
        mw_op(g->e, BC_TRUE, 0);
        uint32_t end = mw_op(g->e, BC_JUMP, 0);
        mw_patch_here(g->e, j1);
        expr(g, x->u.binary.right);
        mw_op(g->e, BC_NOT, 0);
        mw_op(g->e, BC_NOT, 0);
        mw_patch_here(g->e, end);
    }
}

/* a ?? b: b where a is empty, and where a fails at run time (docs/language.md,
 * "A value that cannot be made"): a TRY around a's code sends an error there
 * on to b. A path or a literal cannot fail, so needs none. */
static void gen_coalesce(Gen *g, const Expr *a, const Expr *b)
{
    ExprKind k = a->kind;
    bool safe = k == EX_PATH || k == EX_NULL || k == EX_BOOL || k == EX_NUMBER || k == EX_STRING || k == EX_REF
                || k == EX_CLEAR;
    uint32_t handler = safe ? 0 : mw_op(g->e, BC_TRY, 0);
    expr(g, a);
    mw_op(g->e, BC_DUP, 0);
    uint32_t j = mw_op(g->e, BC_JUMP_IF_SET, 0);
    mw_op(g->e, BC_POP, 0);
    if (!safe)
        mw_patch_here(g->e, handler);
    expr(g, b);
    mw_patch_here(g->e, j);
}

static void gen_binary(Gen *g, const Expr *x)
{
    static const OpCode ops[] = {
        [OP_EQ] = BC_EQ, [OP_NE] = BC_NE, [OP_LT] = BC_LT, [OP_LE] = BC_LE, [OP_GT] = BC_GT,
        [OP_GE] = BC_GE, [OP_IN] = BC_IN, [OP_ADD] = BC_ADD, [OP_SUB] = BC_SUB, [OP_MUL] = BC_MUL,
        [OP_DIV] = BC_DIV,
    };
    BinOp op = x->u.binary.op;
    if (op == OP_AND || op == OP_OR) {
        gen_logic(g, x);
        return;
    }
    if (op == OP_COALESCE) {
        gen_coalesce(g, x->u.binary.left, x->u.binary.right);
        return;
    }
    expr(g, x->u.binary.left);
    expr(g, x->u.binary.right);
    at(g, x->u.binary.op_span);
    mw_op(g->e, ops[op], 0);
}

static void gen_if(Gen *g, const Field *target, const Expr *cond, const Expr *then_e, const Expr *else_e)
{
    expr(g, cond);
    uint32_t j = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
    g->option_target = target;
    expr(g, then_e);
    uint32_t end = mw_op(g->e, BC_JUMP, 0);
    mw_patch_here(g->e, j);
    g->option_target = target;
    if (else_e)
        expr(g, else_e);
    else
        mw_op(g->e, BC_NULL, 0);
    mw_patch_here(g->e, end);
}

static void gen_case(Gen *g, const Field *target, const Expr *x)
{
    size_t n = x->u.case_e.count;
    uint32_t *ends = cm_malloc((n + 1) * sizeof *ends);
    for (size_t i = 0; i < n; i++) {
        expr(g, x->u.case_e.arms[i].cond);
        uint32_t next = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
        g->option_target = target;
        expr(g, x->u.case_e.arms[i].value);
        ends[i] = mw_op(g->e, BC_JUMP, 0);
        mw_patch_here(g->e, next);
    }
    g->option_target = target;
    if (x->u.case_e.else_e)
        expr(g, x->u.case_e.else_e);
    else
        mw_op(g->e, BC_NULL, 0);
    for (size_t i = 0; i < n; i++)
        mw_patch_here(g->e, ends[i]);
    cm_free(ends);
}

/* A string literal sent to an option-set field: its integer, when the text
 * is one of the field's values or labels. */
static bool option_literal(Gen *g, const Field *f, const Expr *x)
{
    double num;
    if (f == NULL || x->kind != EX_STRING || memchr(x->u.string.value, '\0', x->u.string.len))
        return false;
    const PickValue *pv = check_pick_value(f, x->u.string.value);
    if (pv == NULL || !numtext_parse(pv->value, strlen(pv->value), &num))
        return false;
    mw_op(g->e, BC_CONST, mw_const_num(g->w, num));
    return true;
}

/* Option-set labels are resolved here where the value is a literal in value
 * position (the whole value, or a branch of if/case); values only known at
 * run time go through the field's option table. */
static void expr(Gen *g, const Expr *x)
{
    const Field *target = g->option_target;
    g->option_target = NULL;
    uint32_t k;
    switch (x->kind) {
    case EX_NULL: mw_op(g->e, BC_NULL, 0); break;
    case EX_BOOL: mw_op(g->e, x->u.boolean ? BC_TRUE : BC_FALSE, 0); break;
    case EX_NUMBER:
    case EX_STRING:
        if (option_literal(g, target, x))
            break;
        literal_const(g, x, &k);
        mw_op(g->e, BC_CONST, k);
        break;
    case EX_LIST:
        if (literal_const(g, x, &k)) {
            mw_op(g->e, BC_CONST, k);
        } else {
            for (size_t i = 0; i < x->u.list.count; i++)
                expr(g, x->u.list.items[i]);
            mw_op(g->e, BC_LIST, (unsigned)x->u.list.count);
        }
        break;
    case EX_PATH: gen_path(g, x); break;
    case EX_CALL: gen_call(g, x); break;
    case EX_LOOKUP: {
        uint32_t t = x->info && x->info->table ? table_index(g, x->info->table) : 0;
        if (!x->info || !x->info->table)
            gen_fail(g, "a table lookup was not resolved");
        /* A lookup of an answer names its question when it misses. */
        const struct CheckInfo *key = x->u.lookup.key->info;
        if (x->u.lookup.key->kind == EX_PATH && !(key && (key->let || key->param))) {
            mw_op(g->e, BC_SRC_LOOKUP, path_index(g, x->u.lookup.key) | t << 16);
        } else {
            expr(g, x->u.lookup.key);
            mw_op(g->e, BC_LOOKUP, t);
        }
        break;
    }
    case EX_REF:
        if (x->info == NULL)
            gen_fail(g, "a ref was not resolved");
        else
            mw_op(g->e, BC_REF, (unsigned)x->info->ref);
        break;
    case EX_CLEAR: mw_op(g->e, BC_CLEAR, 0); break;
    case EX_UNARY:
        expr(g, x->u.unary.operand);
        at(g, x->span);
        mw_op(g->e, x->u.unary.op == OP_NEG ? BC_NEG : BC_NOT, 0);
        break;
    case EX_BINARY: gen_binary(g, x); break;
    case EX_IF: gen_if(g, target, x->u.if_e.cond, x->u.if_e.then_e, x->u.if_e.else_e); break;
    case EX_CASE: gen_case(g, target, x); break;
    }
    g->option_target = NULL;
}

/* ---- entities ---- */

/* The values restricted picklist f takes (its active ones), as the keys of
 * a table mapping each to true; -1 when the schema lists none. */
static int32_t picklist_table(Gen *g, const Field *f)
{
    int32_t known = known_table(g->picks, g->npicks, f);
    if (known >= 0)
        return known;
    uint32_t *keys = cm_malloc((f->nvalues + 1) * sizeof *keys), *vals = cm_malloc((f->nvalues + 1) * sizeof *vals);
    uint32_t count = 0, yes = mw_const_bool(g->w, true);
    for (size_t i = 0; i < f->nvalues; i++)
        if (f->values[i].active) {
            keys[count] = mw_const_str(g->w, f->values[i].value, strlen(f->values[i].value));
            vals[count++] = yes;
        }
    if (count == 0) {
        cm_free(keys);
        cm_free(vals);
        return -1;
    }
    return field_table(g, &g->picks, &g->npicks, f, "values of", keys, vals, count);
}

/* What a value must look like to go into f (vm_check.h); the number
 * fields' digits, least and greatest value and digits after the point
 * where the schema gives them. */
static void field_check(Gen *g, uint32_t index, const Field *f, uint8_t enc)
{
    unsigned base = enc & ~ENC_STRINGIFY;
    int32_t table = -1;
    uint8_t bounds = (uint8_t)((f->has_min ? MK_HAS_MIN : 0) | (f->has_max ? MK_HAS_MAX : 0)
                               | (f->has_places && f->type == FT_DECIMAL ? MK_HAS_PLACES : 0));
    switch (f->type) {
    case FT_DATE: mw_field_check(g->e, index, MK_DATE, 0, 0, 0); break;
    case FT_DATETIME: mw_field_check(g->e, index, MK_DATETIME, 0, 0, 0); break;
    case FT_INT: mw_field_check(g->e, index, MK_INTEGER, 0, 0, 0); break;
    case FT_BINARY: case FT_FILE: mw_field_check(g->e, index, MK_FILE, 0, 0, 0); break;
    case FT_DECIMAL:
        if (f->precision > 0 || bounds)
            mw_field_check(g->e, index, MK_DECIMAL, (uint8_t)f->precision, (uint8_t)f->scale, 0);
        break;
    case FT_PICKLIST: case FT_MULTIPICKLIST:
        if (f->restricted && (base == ENC_TEXT || base == ENC_MULTI) && (table = picklist_table(g, f)) >= 0)
            mw_field_check(g->e, index, MK_PICKLIST, 0, 0, (uint32_t)table);
        break;
    default: break;
    }
    if (bounds && (f->type == FT_INT || f->type == FT_DECIMAL))
        mw_field_bounds(g->e, index, bounds, f->min, f->max, (uint8_t)f->places);
}

static uint8_t encoding(const Checked *c, const Field *f)
{
    uint8_t enc;
    switch (f->type) {
    case FT_INT: case FT_DECIMAL: case FT_DURATION: enc = ENC_NUMBER; break;
    case FT_BOOL: enc = ENC_BOOL; break;
    case FT_PICKLIST: enc = f->numeric_values ? ENC_OPTION : ENC_TEXT; break;
    case FT_MULTIPICKLIST: enc = f->numeric_values ? ENC_OPTION_MULTI : ENC_MULTI; break;
    case FT_REFERENCE: case FT_ID: enc = ENC_REF; break;
    default: enc = ENC_TEXT; break;
    }
    if (c->vendor && c->vendor->stringify)
        enc |= ENC_STRINGIFY;
    return enc;
}

static void rejects(Gen *g, Stmt *const *stmts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *s = stmts[i];
        if (s->kind == ST_BLOCK) {
            rejects(g, s->u.block.stmts, s->u.block.count);
        } else if (s->kind == ST_REJECT) {
            at(g, s->span);
            expr(g, s->u.reject.when);
            uint32_t j = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
            at(g, s->span);
            const char *msg = s->u.reject.message;
            mw_op(g->e, BC_REJECT, mw_string(g->w, msg, strlen(msg)));
            mw_patch_here(g->e, j);
        }
    }
}

/* The facts section: field f as checked, and what the mapping sends it. */
static void field_facts(Gen *g, uint32_t index, const CheckedAssign *a)
{
    const Field *f = a->field;
    const Expr *value = a->stmt->u.assign.value;
    const char **values = cm_malloc((g->c->nsends + 1) * sizeof *values);
    uint32_t n = 0;
    for (size_t i = 0; i < g->c->nsends; i++)
        if (g->c->sends[i].field == f)
            values[n++] = g->c->sends[i].value;
    /* A computed list's max_len bounds each item, not the text sent. */
    bool item_bound = value->info && value->info->type == CT_LIST && value->kind != EX_PATH;
    MwFacts facts = {
        schema_type_name(f->type), f->label, f->length > 0 ? (uint32_t)f->length : 0,
        value->info && !item_bound ? value->info->max_len : 0,
        (uint8_t)((f->required ? MF_REQUIRED : 0) | (f->createable ? MF_CREATEABLE : 0)
                  | (f->updateable ? MF_UPDATEABLE : 0) | (f->restricted ? MF_RESTRICTED : 0)),
        values, n,
    };
    mw_field_facts(g->e, index, &facts);
    cm_free(values);
}

/* A reference field's binding where the target binds references
 * (CrmVendor.bind_target: Dynamics lookups, docs/run.md). */
static void field_lookup(Gen *g, uint32_t index, const Field *f)
{
    bool per_target;
    char *nav, *set;
    g->c->vendor->bind_target(f->name, (const char *const *)f->references, (const char *const *)f->navigations,
                              f->nreferences, &per_target, &nav, &set);
    mw_field_lookup(g->e, index, per_target, nav, set);
    cm_free(nav);
    cm_free(set);
}

static void gen_entity(Gen *g, const CheckedEntity *ce)
{
    const Item *it = ce->item;
    uint32_t line = 1, col = 1;
    diag_position(it->span.src, it->span.start, &line, &col);
    static const MapcMode modes[] = { [MODE_CREATE] = MODE_C_CREATE, [MODE_UPDATE] = MODE_C_UPDATE,
                                      [MODE_UPSERT] = MODE_C_UPSERT };
    g->e = mw_entity(g->w, it->u.entity.name.name, modes[it->u.entity.mode], line, col);
    if (it->u.entity.strict)
        mw_strict(g->e);
    if (ce->fallback_of >= 0)
        mw_fallback(g->e, (uint32_t)ce->fallback_of);
    const Field *key = ce->by ? ce->by : ce->key;
    uint32_t *field_of = cm_malloc((ce->nassigns + 1) * sizeof *field_of);
    for (size_t i = 0; i < ce->nassigns; i++) {
        const CheckedAssign *a = &ce->assigns[i];
        MapcFieldSection sec = a->own == OWN_CRM ? FS_IF_EMPTY : a->own == OWN_ON_CREATE ? FS_ON_CREATE : FS_PAYLOAD;
        uint8_t enc = encoding(g->c, a->field);
        unsigned base = enc & ~ENC_STRINGIFY;
        int32_t opt = base == ENC_OPTION || base == ENC_OPTION_MULTI ? option_table(g, a->field) : -1;
        field_of[i] = mw_field(g->e, a->field->name, sec, enc, opt);
        field_facts(g, field_of[i], a);
        field_check(g, field_of[i], a->field, enc);
        if (a->field->type == FT_REFERENCE && g->c->vendor && g->c->vendor->bind_target)
            field_lookup(g, field_of[i], a->field);
        if (a->field == key)
            mw_key(g->e, field_of[i]);
    }
    mw_line(g->e, line, col);
    uint32_t skip = 0;
    bool has_when = it->u.entity.when != NULL;
    if (has_when) {
        expr(g, it->u.entity.when);
        skip = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
    }
    rejects(g, it->u.entity.stmts, it->u.entity.count);
    g->in_field = true;
    for (size_t i = 0; i < ce->nassigns; i++) {
        const Stmt *s = ce->assigns[i].stmt;
        const Field *f = ce->assigns[i].field;
        at(g, s->span);
        /* Field-level isolation (docs/run.md, "Partial units"): a field the
         * record can go without is guarded, so a runtime error in it leaves
         * it out; the key, a field required on create and every field of a
         * strict entity are not, so an error there fails the record. */
        bool guarded = !it->u.entity.strict && f != key && !(f->required && it->u.entity.mode != MODE_UPDATE);
        uint32_t guard = guarded ? mw_op(g->e, BC_GUARD, field_of[i] << 16) : 0;
        uint32_t j = 0;
        if (s->u.assign.when) {
            expr(g, s->u.assign.when);
            j = mw_op(g->e, BC_JUMP_IF_FALSE, 0);
        }
        g->option_target = f->numeric_values && f->type == FT_PICKLIST ? f : NULL;
        expr(g, s->u.assign.value);
        at(g, s->span);
        mw_op(g->e, BC_EMIT, field_of[i]);
        if (s->u.assign.when)
            mw_patch_here(g->e, j);
        if (guarded)
            mw_patch_here(g->e, guard);
    }
    g->in_field = false;
    mw_op(g->e, BC_RET, 0);
    if (has_when) {
        mw_patch_here(g->e, skip);
        mw_op(g->e, BC_SKIP, 0);
    }
    cm_free(field_of);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The `mapping "NAME"` declaration, for limits of the whole mapping. */
static Span mapping_span(const Checked *c)
{
    for (size_t i = 0; i < c->ast->count; i++)
        if (c->ast->items[i]->kind == IT_MAPPING)
            return c->ast->items[i]->u.mapping.name_span;
    return (Span){ NULL, 0, 0 };
}

bool codegen(const Checked *c, const char *source_name, CmBuf *out, char *err, size_t errlen, Span *where)
{
    Gen g = { .c = c, .w = mw_new(), .users_table = -1, .err = err, .errlen = errlen };
    mw_meta(g.w, c->mapping_name ? c->mapping_name : "", c->system ? c->system : "", base_name(source_name));
    const SchemaEntity **targets = cm_malloc((c->nentities + 1) * sizeof *targets);
    size_t ntargets = 0;
    for (size_t i = 0; i < c->nentities; i++)
        if (c->entities[i].schema && !crm_no_fields(c->vendor, c->entities[i].schema->name))
            targets[ntargets++] = c->entities[i].schema;
    uint8_t fp[32];
    fingerprint_targets(targets, ntargets, fp);
    mw_fingerprint(g.w, fp);
    cm_free(targets);
    gen_tables(&g);
    for (size_t i = 0; i < c->nlets; i++)
        mw_let(g.w, c->lets[i].decl->name.name);
    gen_params(&g);
    where->src = NULL;
    for (size_t i = 0; i < c->nentities && !g.failed; i++) {
        gen_entity(&g, &c->entities[i]);
        /* u16 jump operands: no entity's code may pass 64 KiB */
        if (!g.failed && mw_offset(g.e) > MAPC_MAX_INDEX) {
            const Ident *name = &c->entities[i].item->u.entity.name;
            snprintf(err, errlen, "the program of entity %s is %u bytes; the bytecode format holds at most %u "
                     "per entity", name->name, mw_offset(g.e), MAPC_MAX_INDEX);
            *where = name->span;
            g.failed = true;
        }
    }
    bool ok = !g.failed && mw_finish(g.w, out, err, errlen);
    if (!ok && where->src == NULL)
        *where = mapping_span(c);
    cm_free(g.tables);
    cm_free(g.options);
    cm_free(g.answers);
    cm_free(g.labels);
    cm_free(g.picks);
    mw_free(g.w);
    return ok;
}
