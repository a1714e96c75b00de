/* vm: see vm.h. The loader's verifier has proved every operand in range,
 * every jump forward onto an instruction and the stack depth within
 * max_stack, so the dispatch loop checks none of that again; debug builds
 * assert it, so a hole in the proof shows as an assertion, not as memory
 * corruption. */
#include "vm.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "numtext.h"
#include "opcodes.h"
#include "vm_check.h"

struct Vm {
    const Mapc *m;
    const uint32_t *slot_of_path;
    Value *stack;
    VmResult *results;
    uint8_t *set;               /* every entity's fields, back to back */
    Value *values;
    CmArena arena;              /* this record's values */
    BiCtx bi;
    size_t out_bytes;           /* text this record's fields send so far */
    char message[320];          /* the current runtime error */
    /* The entity being run: its result, the GUARD whose field's statement
     * runs (UINT32_MAX: none) and the last partial note. */
    VmResult *r;
    uint32_t guard;
    VmPartial *last;
    const VmPartial **tail;     /* where the next note is linked */
    /* The `??`s (TRY) whose left side runs: where an error there goes on
     * and with which stack. Code only jumps forward, so each TRY runs at
     * most once per entity: room for the most any entity has. */
    struct Try { uint32_t target; Value *sp; } *tries;
    uint32_t ntries;
    /* A value a check refused (BAD_VALUE): the note's value. */
    Value bad;
    /* Let slots: a value counts for this record when its generation is
     * the record's (one vm_run), so nothing is cleared per record. */
    Value *lets;
    uint32_t *let_gen;
    uint32_t gen;
};

Vm *vm_new(const Mapc *m, const uint32_t *slot_of_path)
{
    Vm *vm = cm_calloc(1, sizeof *vm);
    vm->m = m;
    vm->slot_of_path = slot_of_path;
    vm->stack = cm_calloc(m->max_stack + 1u, sizeof *vm->stack);
    vm->results = cm_calloc(m->nentities + 1u, sizeof *vm->results);
    size_t total = 0;
    for (uint32_t i = 0; i < m->nentities; i++)
        total += m->entities[i].nfields;
    vm->set = cm_calloc(total + 1, 1);
    vm->values = cm_calloc(total + 1, sizeof *vm->values);
    uint32_t most = 0;
    for (uint32_t i = 0; i < m->nentities; i++) {
        const MapcEntity *e = &m->entities[i];
        uint32_t n = 0;
        for (uint32_t pc = 0; pc < e->code_len; pc += op_size(e->code[pc]))
            n += e->code[pc] == BC_TRY;
        most = n > most ? n : most;
    }
    vm->tries = cm_calloc(most + 1u, sizeof *vm->tries);
    size_t at = 0;
    for (uint32_t i = 0; i < m->nentities; i++) {
        vm->results[i].entity = &m->entities[i];
        vm->results[i].set = vm->set + at;
        vm->results[i].values = vm->values + at;
        at += m->entities[i].nfields;
    }
    vm->lets = cm_calloc(m->nlets + 1u, sizeof *vm->lets);
    vm->let_gen = cm_calloc(m->nlets + 1u, sizeof *vm->let_gen);
    cm_arena_init(&vm->arena, 64 * 1024);
    vm->bi.arena = &vm->arena;
    vm->bi.max_bytes = VM_MAX_RECORD_BYTES;
    vm->bi.now = builtins_clock();
    return vm;
}

void vm_free(Vm *vm)
{
    if (vm == NULL)
        return;
    builtin_ctx_free(&vm->bi);
    cm_arena_free(&vm->arena);
    cm_free(vm->stack);
    cm_free(vm->results);
    cm_free(vm->set);
    cm_free(vm->values);
    cm_free(vm->tries);
    cm_free(vm->lets);
    cm_free(vm->let_gen);
    cm_free(vm);
}

CmArena *vm_record_arena(Vm *vm)
{
    return &vm->arena;
}

void vm_begin_record(Vm *vm)
{
    cm_arena_reset(&vm->arena);
}

/* ---- values ---- */

static bool truthy(const Value *v)
{
    if (v->type == V_BOOL)
        return v->u.b;
    return !value_is_empty(v);
}

static bool as_number(const Value *v, double *x)
{
    if (v->type == V_NUM) {
        *x = v->u.num;
        return true;
    }
    return v->type == V_STR && numtext_parse(v->u.str, v->len, x);
}

static Value text_of_number(Vm *vm, double x)
{
    char buf[NUMTEXT_MAX];
    size_t n = numtext_format(x, buf);
    return v_str(cm_arena_strndup(&vm->arena, buf, n), (uint32_t)n);
}

/* A scalar as text, for concatenation and text fields; false for lists,
 * objects and refs. */
static bool as_text(Vm *vm, const Value *v, Value *out)
{
    switch (v->type) {
    case V_NULL: *out = v_str("", 0); return true;
    case V_STR: *out = *v; return true;
    case V_BOOL: *out = v->u.b ? v_str("true", 4) : v_str("false", 5); return true;
    case V_NUM: *out = text_of_number(vm, v->u.num); return true;
    default: return false;
    }
}

static const char *type_name(const Value *v)
{
    static const char *const names[] = { "null", "boolean", "number", "string", "list", "object",
                                         "ref", "clear" };
    return v->type < sizeof names / sizeof names[0] ? names[v->type] : "value";
}

static bool fail(Vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(Vm *vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vm->message, sizeof vm->message, fmt, ap);
    va_end(ap);
    return false;
}

/* n bytes of the arena, or NULL with the error set past the record's
 * memory budget (the builtins' own check, so the message is the same). */
static void *alloc(Vm *vm, size_t n)
{
    void *p = builtin_alloc(&vm->bi, n);
    if (p == NULL)
        fail(vm, "%s", vm->bi.error);
    return p;
}

/* Joins a list's non-empty items' texts with sep into the arena. */
static bool join(Vm *vm, const Value *list, const char *sep, Value *out)
{
    size_t seplen = strlen(sep), total = 0;
    for (uint32_t pass = 0; pass < 2; pass++) {
        char *p = NULL;
        if (pass && (p = alloc(vm, total + 1)) == NULL)
            return false;
        size_t at = 0;
        for (uint32_t i = 0; i < list->len; i++) {
            Value t;
            if (value_is_empty(&list->u.items[i]))
                continue;
            if (!as_text(vm, &list->u.items[i], &t))
                return fail(vm, "a list holds a %s, which cannot be sent as text", type_name(&list->u.items[i]));
            if (at > 0) {
                if (p)
                    memcpy(p + at, sep, seplen);
                at += seplen;
            }
            if (p && t.len)
                memcpy(p + at, t.u.str, t.len);
            at += t.len;
        }
        total = at;
        if (p)
            *out = v_str(p, (uint32_t)total);
    }
    return true;
}

static bool equal(const Value *a, const Value *b)
{
    bool ea = value_is_empty(a), eb = value_is_empty(b);
    if (ea || eb)
        return ea && eb;
    double x, y;
    if (a->type == V_NUM || b->type == V_NUM)
        return as_number(a, &x) && as_number(b, &y) && x == y;
    if (a->type == V_BOOL && b->type == V_BOOL)
        return a->u.b == b->u.b;
    if (a->type == V_BOOL || b->type == V_BOOL) {
        const Value *bo = a->type == V_BOOL ? a : b, *s = a->type == V_BOOL ? b : a;
        const char *t = bo->u.b ? "true" : "false";
        return s->type == V_STR && s->len == strlen(t) && memcmp(s->u.str, t, s->len) == 0;
    }
    if (a->type == V_STR && b->type == V_STR)
        return a->len == b->len && memcmp(a->u.str, b->u.str, a->len) == 0;
    if (a->type == V_LIST && b->type == V_LIST) {
        if (a->len != b->len)
            return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (!equal(&a->u.items[i], &b->u.items[i]))
                return false;
        return true;
    }
    if (a->type == V_REF && b->type == V_REF)
        return a->u.ref == b->u.ref;
    return a->type == b->type && a->type == V_CLEAR;
}

/* -1, 0, 1, or 2 when a and b do not compare (empty, mixed types). */
static int compare(const Value *a, const Value *b)
{
    double x, y;
    if (value_is_empty(a) || value_is_empty(b))
        return 2;
    if ((a->type == V_NUM || b->type == V_NUM) && as_number(a, &x) && as_number(b, &y))
        return x < y ? -1 : x > y;
    if (a->type == V_STR && b->type == V_STR) {
        uint32_t n = a->len < b->len ? a->len : b->len;
        int d = memcmp(a->u.str, b->u.str, n);
        if (d != 0)
            return d < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    return 2;
}

static bool member(const Value *a, const Value *b)
{
    if (b->type != V_LIST)
        return equal(a, b);
    for (uint32_t i = 0; i < b->len; i++)
        if (equal(a, &b->u.items[i]))
            return true;
    return false;
}

static bool op_in(const Value *a, const Value *b)
{
    if (value_is_empty(a))
        return false;
    if (a->type != V_LIST)
        return member(a, b);
    for (uint32_t i = 0; i < a->len; i++)
        if (!value_is_empty(&a->u.items[i]) && member(&a->u.items[i], b))
            return true;
    return false;
}

static bool add(Vm *vm, const Value *a, const Value *b, Value *out)
{
    double x, y;
    if ((a->type == V_NUM || b->type == V_NUM) && as_number(a, &x) && as_number(b, &y)) {
        *out = v_num(x + y);
        return true;
    }
    /* Empty stays empty in arithmetic (like '-', '*', '/'); in
     * concatenation an empty side counts as "". */
    if ((value_is_empty(a) && value_is_empty(b)) || (a->type == V_NUM && value_is_empty(b))
        || (b->type == V_NUM && value_is_empty(a))) {
        *out = v_null();
        return true;
    }
    Value ta, tb;
    if (!as_text(vm, a, &ta) || !as_text(vm, b, &tb))
        return fail(vm, "'+' cannot combine a %s and a %s", type_name(a), type_name(b));
    char *p = alloc(vm, (size_t)ta.len + tb.len + 1);
    if (p == NULL)
        return false;
    if (ta.len)
        memcpy(p, ta.u.str, ta.len);
    if (tb.len)
        memcpy(p + ta.len, tb.u.str, tb.len);
    *out = v_str(p, ta.len + tb.len);
    return true;
}

static bool arith(Vm *vm, unsigned op, const Value *a, const Value *b, Value *out)
{
    static const char sym[] = { [BC_SUB] = '-', [BC_MUL] = '*', [BC_DIV] = '/' };
    double x, y;
    if (value_is_empty(a) || value_is_empty(b)) {
        *out = v_null();
        return true;
    }
    if (!as_number(a, &x) || !as_number(b, &y))
        return fail(vm, "'%c' needs numbers, got a %s and a %s", sym[op], type_name(a), type_name(b));
    if (op == BC_DIV && y == 0)
        return fail(vm, "division by zero");
    *out = v_num(op == BC_SUB ? x - y : op == BC_MUL ? x * y : x / y);
    return true;
}

/* ---- partial notes ---- */

static VmPartial *add_partial(Vm *vm, uint32_t pc)
{
    VmResult *r = vm->r;
    VmPartial *p = cm_arena_alloc(&vm->arena, sizeof *p);
    memset(p, 0, sizeof *p);
    p->field = -1;
    if (vm->guard != UINT32_MAX && pc < op_u16(r->entity->code + vm->guard + 1))
        p->field = (int32_t)op_u16(r->entity->code + vm->guard + 3);
    mapc_position(r->entity, pc, &p->line, &p->col);
    *vm->tail = p;
    vm->tail = &p->next;
    vm->last = p;
    r->npartial++;
    return p;
}

static bool same_text(const char *a, uint32_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* A source answer that is not an option (question: the source path, or
 * NULL for a table's key): noted once per question and answer in a unit,
 * however often the mapping uses it; in a strict entity a runtime error. */
static bool unknown_option(Vm *vm, uint32_t pc, const Value *v, const MapcPath *question, const MapcTable *t)
{
    Value text;
    if (!as_text(vm, v, &text))
        text = v_str("", 0);
    const Mapc *m = vm->m;
    uint32_t tn;
    const char *tname = mapc_str(m, t->name, &tn);
    size_t qlen = question ? 0 : tn;
    for (uint32_t i = 0; question && i < question->nsegments; i++) {
        uint32_t n;
        mapc_str(m, question->segments[i], &n);
        qlen += n + (i > 0);
    }
    /* In the unit's arena: it outlives the check as the note's question. */
    char *qname = question ? cm_arena_alloc(&vm->arena, qlen + 1) : cm_arena_strndup(&vm->arena, tname, tn);
    for (size_t i = 0, at = 0; question && i < question->nsegments; i++) {
        uint32_t n;
        const char *seg = mapc_str(m, question->segments[i], &n);
        if (i > 0)
            qname[at++] = '.';
        memcpy(qname + at, seg, n);
        at += n;
    }
    if (question)
        qname[qlen] = '\0';
    int shown = (int)(text.len > 80 ? 80 : text.len);
    int len = question ? snprintf(vm->message, sizeof vm->message, "'%.*s' is not an option of %s", shown,
                                  text.u.str, qname)
                       : snprintf(vm->message, sizeof vm->message, "table %.*s has no entry for '%.*s'", (int)tn,
                                  tname, shown, text.u.str);
    bool strict = vm->r->entity->strict, seen = false;
    for (const VmPartial *p = vm->r->partial; p && !seen; p = p->next)
        seen = p->unknown_option && same_text(p->value, p->value_len, text.u.str, text.len)
               && same_text(p->question, p->question_len, qname, qlen);
    if (!strict && !seen) {
        VmPartial *p = add_partial(vm, pc);
        p->unknown_option = true;
        p->message = cm_arena_strndup(&vm->arena, vm->message, (size_t)len);
        p->message_len = (uint32_t)len;
        p->value = text.u.str;
        p->value_len = text.len;
        p->question = qname;
        p->question_len = (uint32_t)qlen;
    }
    return !strict;
}

/* Every non-empty element of v (a list or one value) is a key of t. */
static bool check_options(Vm *vm, uint32_t pc, const Value *v, const MapcPath *question, const MapcTable *t)
{
    const Value *items = v->type == V_LIST ? v->u.items : v;
    uint32_t n = v->type == V_LIST ? v->len : 1;
    for (uint32_t i = 0; i < n; i++)
        if (!value_is_empty(&items[i]) && mapc_table_get(t, &items[i]) == NULL
            && !unknown_option(vm, pc, &items[i], question, t))
            return false;
    return true;
}

/* A table's value for key; a key the table has no entry for (and no else)
 * is noted, naming question (NULL: the table). */
static bool lookup(Vm *vm, uint32_t pc, const MapcTable *t, const MapcPath *question, const Value *key, Value *out)
{
    if (key->type != V_LIST) {
        /* An empty key gives an empty value, not the else: a missing answer
         * must not turn into a default that overwrites the CRM. */
        const Value *v = value_is_empty(key) ? NULL : mapc_table_get(t, key);
        if (v == NULL && !value_is_empty(key) && !unknown_option(vm, pc, key, question, t))
            return false;
        *out = v ? *v : v_null();
        return true;
    }
    Value *items = alloc(vm, ((size_t)key->len + 1) * sizeof *items);
    if (items == NULL)
        return false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < key->len; i++) {
        const Value *v = mapc_table_get(t, &key->u.items[i]);
        if (v == NULL && !value_is_empty(&key->u.items[i])
            && !unknown_option(vm, pc, &key->u.items[i], question, t))
            return false;
        if (v != NULL && !value_is_empty(v))
            items[n++] = *v;
    }
    out->type = V_LIST;
    out->len = n;
    out->u.items = items;
    return true;
}

/* ---- encoding for the CRM (docs/bytecode.md, "Encodings") ---- */

static bool option_value(Vm *vm, const Mapc *m, const MapcField *f, const Value *v, double *x)
{
    if (v->type == V_NUM) {
        *x = v->u.num;
        return true;
    }
    const Value *hit = v->type == V_STR ? mapc_table_get(&m->tables[f->option_table], v) : NULL;
    if (hit == NULL) {
        uint32_t n;
        const char *name = mapc_str(m, f->name, &n);
        Value t;
        if (as_text(vm, v, &t))
            return fail(vm, "'%.*s' is not an option of %.*s", (int)(t.len > 80 ? 80 : t.len), t.u.str,
                        (int)n, name);
        return fail(vm, "a %s is not an option of %.*s", type_name(v), (int)n, name);
    }
    *x = hit->u.num;
    return true;
}

static bool encode(Vm *vm, const MapcField *f, const Value *v, Value *out)
{
    const Mapc *m = vm->m;
    uint32_t n;
    const char *name = mapc_str(m, f->name, &n);
    switch (f->encoding & ~ENC_STRINGIFY) {
    case ENC_TEXT:
    case ENC_MULTI:
        if (v->type == V_LIST) {
            if (!join(vm, v, ";", out))
                return false;
            break;
        }
        if (v->type == V_REF)
            return fail(vm, "ref cannot be sent to the text field %.*s", (int)n, name);
        if (!as_text(vm, v, out))
            return fail(vm, "a %s cannot be sent to %.*s", type_name(v), (int)n, name);
        break;
    case ENC_NUMBER: {
        double x;
        if (!as_number(v, &x))
            return fail(vm, "%.*s needs a number, got a %s", (int)n, name, type_name(v));
        *out = v_num(x);
        break;
    }
    case ENC_BOOL:
        if (v->type == V_BOOL) {
            *out = *v;
        } else if (v->type == V_STR && (v->len == 4 || v->len == 5)
                   && (memcmp(v->u.str, "true", v->len) == 0 || memcmp(v->u.str, "false", v->len) == 0)) {
            *out = v_bool(v->len == 4);
        } else {
            return fail(vm, "%.*s needs true or false, got a %s", (int)n, name, type_name(v));
        }
        break;
    case ENC_OPTION: {
        double x;
        if (!option_value(vm, m, f, v, &x))
            return false;
        *out = v_num(x);
        break;
    }
    case ENC_OPTION_MULTI: {
        const Value *items = v->type == V_LIST ? v->u.items : v;
        uint32_t count = v->type == V_LIST ? v->len : 1;
        Value *codes = alloc(vm, ((size_t)count + 1) * sizeof *codes);
        if (codes == NULL)
            return false;
        uint32_t k = 0;
        for (uint32_t i = 0; i < count; i++) {
            double x;
            if (value_is_empty(&items[i]))
                continue;
            if (!option_value(vm, m, f, &items[i], &x))
                return false;
            codes[k++] = v_num(x);
        }
        Value list = { V_LIST, k, { .items = codes } };
        return join(vm, &list, ",", out);
    }
    case ENC_REF:
        if (v->type != V_REF && v->type != V_STR)
            return fail(vm, "%.*s needs a ref or a record id, got a %s", (int)n, name, type_name(v));
        if (f->lookup && v->type == V_STR && f->bind_set < 0)
            return fail(vm, "%.*s links to several tables and a record id alone does not say which: "
                        "link it with `ref ENTITY`", (int)n, name);
        *out = *v;
        break;
    }
    if (f->check != MK_NONE && !vm_check_value(m, f, v, out, vm->message, sizeof vm->message))
        return false;
    if (f->encoding & ENC_STRINGIFY) {
        if (out->type == V_NUM)
            *out = text_of_number(vm, out->u.num);
        else if (out->type == V_BOOL)
            *out = out->u.b ? v_str("true", 4) : v_str("false", 5);
    }
    return true;
}

static bool emit(Vm *vm, VmResult *r, uint32_t field, const Value *v)
{
    const MapcField *f = &r->entity->fields[field];
    Value *slot = (Value *)&r->values[field];
    uint8_t *set = (uint8_t *)&r->set[field];
    if (v->type == V_CLEAR) {
        /* A system that takes only strings clears with "" (HubSpot). */
        *slot = f->encoding & ENC_STRINGIFY ? v_str("", 0) : *v;
        *set = 1;
        return true;
    }
    if (value_is_empty(v))
        return true;
    if (!encode(vm, f, v, slot)) {
        vm->bad = *v;       /* the field does not take it: BAD_VALUE */
        return false;
    }
    *set = !value_is_empty(slot);
    vm->out_bytes += slot->len;
    if (vm->out_bytes > VM_MAX_OUTPUT_BYTES)
        return fail(vm, "the record's fields would send more than %u MiB of text (the per-record output limit, "
                    "docs/run.md)", VM_MAX_OUTPUT_BYTES >> 20);
    return true;
}

/* ---- the dispatch loop ---- */

/* A ref to x, one branch of a fallback pair (`entity F ... when no E`), where
 * x produced nothing and the other branch, mapped before entity `index`,
 * produced a record: the child links to that one (docs/language.md,
 * "Fallback entities"), so this link is empty rather than a skip. The
 * loader links both halves of a pair, so this runs in constant time. */
static bool ref_to_other_branch(const Mapc *m, const VmResult *results, uint32_t x, uint32_t index)
{
    if (results[x].outcome != VM_NONE)
        return false;
    const MapcEntity *e = &m->entities[x];
    int32_t other = e->fallback_of >= 0 ? e->fallback_of : e->fallback;
    return other >= 0 && (uint32_t)other < index && results[other].outcome == VM_RECORD;
}

static void finish(VmResult *r, VmOutcome outcome, const char *msg, uint32_t len, uint32_t pc)
{
    r->outcome = (uint8_t)outcome;
    r->message = msg;
    r->message_len = len;
    mapc_position(r->entity, pc, &r->line, &r->col);
}

static void run_entity(Vm *vm, uint32_t index, const Value *slots)
{
    const Mapc *m = vm->m;
    VmResult *r = &vm->results[index];
    const MapcEntity *e = r->entity;
    const uint8_t *code = e->code;
    Value *sp = vm->stack;     /* next free slot */
    memset((uint8_t *)r->set, 0, e->nfields);
    r->message = NULL;
    r->message_len = 0;
    r->line = r->col = 0;
    r->partial = NULL;
    r->npartial = 0;
    vm->r = r;
    vm->guard = UINT32_MAX;
    vm->last = NULL;
    vm->tail = &r->partial;
    vm->ntries = 0;
    vm->bad.type = V_NULL;
    Value *guard_sp = sp;
    uint32_t pc = 0;
    for (;;) {
        unsigned op = code[pc];
        assert(op < BC__COUNT && op_size(op) <= e->code_len - pc);
        assert((size_t)(sp - vm->stack) >= op_pops(op, code + pc + 1));
        unsigned x = op_size(op) > 1 ? op_u16(code + pc + 1) : 0;
        uint32_t next = pc + op_size(op);
        switch ((OpCode)op) {
        case BC_NULL: *sp++ = v_null(); break;
        case BC_TRUE: *sp++ = v_bool(true); break;
        case BC_FALSE: *sp++ = v_bool(false); break;
        case BC_CONST: assert(x < m->nconsts); *sp++ = m->consts[x]; break;
        case BC_SRC: assert(x < m->npaths); *sp++ = slots[vm->slot_of_path[x]]; break;
        case BC_LIST: {
            Value *items = cm_arena_alloc(&vm->arena, ((size_t)x + 1) * sizeof *items);
            sp -= x;
            if (x)
                memcpy(items, sp, x * sizeof *items);
            sp->type = V_LIST;
            sp->len = x;
            sp->u.items = items;
            sp++;
            break;
        }
        case BC_CLEAR: sp->type = V_CLEAR; sp->len = 0; sp++; break;
        case BC_REF:
            assert(x < index);     /* an earlier entity: its outcome is known */
            if (ref_to_other_branch(m, vm->results, x, index)) {
                *sp++ = v_null();   /* the link to the branch not written is left out */
                break;
            }
            if (vm->results[x].outcome != VM_RECORD) {
                finish(r, VM_SKIP, NULL, 0, pc);
                r->parent = x;
                r->parent_outcome = vm->results[x].outcome;
                return;
            }
            sp->type = V_REF;
            sp->len = 0;
            sp->u.ref = x;
            sp++;
            break;
        case BC_REFS: {
            /* the first with a record; the transfer, which knows which of a
             * fallback pair was written, walks the rest of the chain */
            const MapcChain *ch = &m->chains[x];
            int32_t linked = -1, parent = -1;
            for (uint32_t k = 0; k < ch->n && linked < 0; k++) {
                uint32_t c = ch->entities[k];
                assert(c < index);
                if (vm->results[c].outcome == VM_RECORD)
                    linked = (int32_t)c;
                else if (parent < 0 && !ref_to_other_branch(m, vm->results, c, index))
                    parent = (int32_t)c;
            }
            if (linked < 0 && parent >= 0) {
                finish(r, VM_SKIP, NULL, 0, pc);
                r->parent = (uint32_t)parent;
                r->parent_outcome = vm->results[parent].outcome;
                return;
            }
            if (linked < 0) {
                *sp++ = v_null();   /* each a fallback pair's branch not written */
                break;
            }
            sp->type = V_REF;
            sp->len = x + 1;
            sp->u.ref = (uint32_t)linked;
            sp++;
            break;
        }
        case BC_ADD:
            sp--;
            if (!add(vm, sp - 1, sp, sp - 1))
                goto error;
            break;
        case BC_SUB: case BC_MUL: case BC_DIV:
            sp--;
            if (!arith(vm, op, sp - 1, sp, sp - 1))
                goto error;
            break;
        case BC_NEG: {
            double n;
            if (value_is_empty(sp - 1))
                break;
            if (!as_number(sp - 1, &n)) {
                fail(vm, "'-' needs a number, got a %s", type_name(sp - 1));
                goto error;
            }
            sp[-1] = v_num(-n);
            break;
        }
        case BC_EQ: sp--; sp[-1] = v_bool(equal(sp - 1, sp)); break;
        case BC_NE: sp--; sp[-1] = v_bool(!equal(sp - 1, sp)); break;
        case BC_LT: case BC_LE: case BC_GT: case BC_GE: {
            sp--;
            int d = compare(sp - 1, sp);
            bool t = d != 2 && (op == BC_LT ? d < 0 : op == BC_LE ? d <= 0 : op == BC_GT ? d > 0 : d >= 0);
            sp[-1] = v_bool(t);
            break;
        }
        case BC_IN: sp--; sp[-1] = v_bool(op_in(sp - 1, sp)); break;
        case BC_NOT: sp[-1] = v_bool(!truthy(sp - 1)); break;
        case BC_CALL: {
            unsigned argc = code[pc + 2];
            assert(code[pc + 1] < m->nbuiltins);
            Value out;
            sp -= argc;
            if (!builtin_call(&vm->bi, m->builtins[code[pc + 1]], sp, argc, &out)) {
                fail(vm, "%s", vm->bi.error);
                goto error;
            }
            *sp++ = out;
            break;
        }
        case BC_LOOKUP:
            assert(x < m->ntables);
            if (!lookup(vm, pc, &m->tables[x], NULL, sp - 1, sp - 1))
                goto error;
            break;
        case BC_SRC_LOOKUP: {
            unsigned t = op_u16(code + pc + 3);
            assert(x < m->npaths && t < m->ntables);
            if (!lookup(vm, pc, &m->tables[t], &m->paths[x], &slots[vm->slot_of_path[x]], sp))
                goto error;
            sp++;
            break;
        }
        case BC_SRC_OPTION: {
            unsigned t = op_u16(code + pc + 3);
            assert(x < m->npaths && t < m->ntables);
            *sp = slots[vm->slot_of_path[x]];
            if (!check_options(vm, pc, sp, &m->paths[x], &m->tables[t]))
                goto error;
            sp++;
            break;
        }
        case BC_GUARD:
            vm->guard = pc;
            guard_sp = sp;
            break;
        case BC_TRY:
            vm->tries[vm->ntries].target = x;
            vm->tries[vm->ntries++].sp = sp;
            break;
        case BC_POP: sp--; break;
        case BC_DUP: sp[0] = sp[-1]; sp++; break;
        case BC_JUMP: next = x; break;
        case BC_JUMP_IF_FALSE:
            sp--;
            if (!truthy(sp))
                next = x;
            break;
        case BC_JUMP_IF_SET:
            sp--;
            if (!value_is_empty(sp))
                next = x;
            break;
        case BC_EMIT:
            assert(x < e->nfields);
            sp--;
            if (!emit(vm, r, x, sp))
                goto error;
            break;
        case BC_REJECT: {
            uint32_t len;
            assert(x < m->nstrings && sp == vm->stack);
            const char *msg = mapc_str(m, x, &len);
            finish(r, VM_REJECT, msg, len, pc);
            return;
        }
        case BC_SKIP:
            assert(sp == vm->stack);
            finish(r, VM_NONE, NULL, 0, pc);
            return;
        case BC_RET:
            assert(sp == vm->stack);
            if (e->key >= 0 && !r->set[e->key]) {
                uint32_t n;
                const char *key = mapc_str(m, e->fields[e->key].name, &n);
                int len = snprintf(vm->message, sizeof vm->message, "the key %.*s has no value",
                                   (int)(n > 200 ? 200 : n), key);
                finish(r, VM_REJECT, cm_arena_strdup(&vm->arena, vm->message), (uint32_t)len, pc);
                r->line = e->line;
                r->col = e->col;
                return;
            }
            finish(r, VM_RECORD, NULL, 0, pc);
            return;
        case BC_LET_JUMP:
            if (vm->let_gen[op_u16(code + pc + 3)] == vm->gen)
                next = x;
            break;
        case BC_LET_SET:
            sp--;
            vm->lets[x] = *sp;
            vm->let_gen[x] = vm->gen;
            break;
        case BC_PARAM:
            *sp++ = vm->m->params[x].value;
            break;
        case BC_LET_GET:
            *sp++ = vm->let_gen[x] == vm->gen ? vm->lets[x] : v_null();
            break;
        case BC__COUNT:
            break;
        }
        /* Every path ends in a STOP opcode, jumps only go forward. */
        assert((size_t)(sp - vm->stack) <= e->max_stack && next > pc && next < e->code_len);
        pc = next;
        continue;
    error:
        /* Inside a guarded field's statement the field is left out and the
         * program goes on past it, with the stack the GUARD had (the
         * verifier proved that depth at its target); elsewhere — the key,
         * a required field, a reject rule, a strict entity — the entity
         * fails. Only forward: an error past the target is not the field's.
         * Past the record's memory or output budget (a hostile mapping) the
         * entity fails too: the budget is the record's, not the field's.
         * Inside the left side of a `??` the author said what to send
         * instead: the right side, with the stack the TRY had (its target's
         * depth, proved so by the verifier). */
        if (vm->bi.over || vm->out_bytes > VM_MAX_OUTPUT_BYTES) {
            finish(r, VM_ERROR, cm_arena_strdup(&vm->arena, vm->message), (uint32_t)strlen(vm->message), pc);
            return;
        }
        while (vm->ntries > 0 && pc >= vm->tries[vm->ntries - 1].target)
            vm->ntries--;
        if (vm->ntries > 0) {
            vm->ntries--;
            sp = vm->tries[vm->ntries].sp;
            pc = vm->tries[vm->ntries].target;
            vm->bad.type = V_NULL;
            continue;
        }
        if (vm->guard == UINT32_MAX || pc >= op_u16(code + vm->guard + 1)) {
            finish(r, VM_ERROR, cm_arena_strdup(&vm->arena, vm->message), (uint32_t)strlen(vm->message), pc);
            return;
        }
        /* An answer already noted as unknown says why its field is left
         * out (a Dynamics option set refusing it): one line, not two. */
        int32_t field = (int32_t)op_u16(code + vm->guard + 3);
        if (vm->last == NULL || !vm->last->unknown_option || vm->last->field != field) {
            VmPartial *p = add_partial(vm, pc);
            p->message_len = (uint32_t)strlen(vm->message);
            p->message = cm_arena_strndup(&vm->arena, vm->message, p->message_len);
            Value text;
            if (vm->bad.type != V_NULL && (as_text(vm, &vm->bad, &text) || join(vm, &vm->bad, ";", &text))) {
                p->bad_value = true;
                p->value = text.u.str;
                p->value_len = text.len;
            }
        }
        vm->bad.type = V_NULL;
        ((uint8_t *)r->set)[field] = 0;
        sp = guard_sp;
        pc = op_u16(code + vm->guard + 1);
        vm->guard = UINT32_MAX;
    }
}

const VmResult *vm_run(Vm *vm, const Value *slots)
{
    vm->out_bytes = 0;
    vm->bi.over = false;
    if (++vm->gen == 0) {   /* wrapped: no slot may look computed */
        memset(vm->let_gen, 0, (vm->m->nlets + 1u) * sizeof *vm->let_gen);
        vm->gen = 1;
    }
    for (uint32_t i = 0; i < vm->m->nentities; i++)
        run_entity(vm, i, slots);
    return vm->results;
}
