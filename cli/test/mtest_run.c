/* mtest_run: one case through the reader and the VM, exactly as `run
 * --dry-run` maps a record, and the comparison; see mtest.h. A failure points
 * at the .map: the assignment that produced a wrong value, the reject rule
 * that fired, the `when` that was false. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_utf8.h"
#include "dryrun.h"
#include "mtest.h"

typedef struct Cmp {
    MtRunner *r;
    const MtFile *f;
    DiagSink *sink;
    const VmResult *res;
} Cmp;

/* ---- where in the .map ---- */

/* Byte offset of 1-based line:col (code points) in src. */
static uint32_t offset_of(const DiagSource *src, uint32_t line, uint32_t col)
{
    size_t len;
    const char *t = diag_source_text(src, &len);
    size_t i = 0;
    for (uint32_t l = 1; l < line && i < len; i++)
        if (t[i] == '\n')
            l++;
    for (uint32_t c = 1; c < col && i < len && t[i] != '\n'; c++) {
        uint32_t cp;
        size_t n = cm_utf8_decode(t + i, len - i, &cp);
        i += n ? n : 1;
    }
    return (uint32_t)i;
}

static const Stmt *stmt_starting(Stmt *const *stmts, size_t n, uint32_t off)
{
    for (size_t i = 0; i < n; i++) {
        if (stmts[i]->span.start == off)
            return stmts[i];
        if (stmts[i]->kind == ST_BLOCK) {
            const Stmt *s = stmt_starting(stmts[i]->u.block.stmts, stmts[i]->u.block.count, off);
            if (s)
                return s;
        }
    }
    return NULL;
}

/* The span of what the VM reported at line:col in entity e: the statement
 * starting there, the entity's name for its header, else the point. */
static Span vm_span(const Cmp *c, uint32_t e, uint32_t line, uint32_t col)
{
    const Item *it = c->r->map->c->entities[e].item;
    const DiagSource *src = it->span.src;
    uint32_t off = offset_of(src, line, col);
    if (off == it->span.start)
        return it->u.entity.name.span;
    const Stmt *s = stmt_starting(it->u.entity.stmts, it->u.entity.count, off);
    return s ? s->span : diag_span(src, off, off);
}

static const Stmt *reject_rule(Stmt *const *stmts, size_t n, const char *msg)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *s = stmts[i];
        if (s->kind == ST_REJECT && strcmp(s->u.reject.message, msg) == 0)
            return s;
        if (s->kind == ST_BLOCK && (s = reject_rule(s->u.block.stmts, s->u.block.count, msg)) != NULL)
            return s;
    }
    return NULL;
}

/* ---- values ---- */

static const char *user_email(const MtMap *map, const char *id, size_t len)
{
    const UsersFile *u = map->c->users;
    for (size_t i = 0; u && i < u->nusers; i++)
        if (strlen(u->users[i].id) == len && memcmp(u->users[i].id, id, len) == 0)
            return u->users[i].email;
    return NULL;
}

static void put_actual(const Cmp *c, const Value *v, CmBuf *out)
{
    dryrun_value(c->r->map->m, v, out);
    const char *email = v->type == V_STR ? user_email(c->r->map, v->u.str, v->len) : NULL;
    if (email)
        cm_buf_printf(out, " (%s)", email);
}

static void put_expected(const Cmp *c, const MtField *mf, CmBuf *out)
{
    char *text = cJSON_PrintUnformatted(mf->value);
    cm_buf_puts(out, text ? text : "?");
    cJSON_free(text);
    const char *email = mf->owner;
    if (email == NULL && cJSON_IsString(mf->value))
        email = user_email(c->r->map, mf->value->valuestring, strlen(mf->value->valuestring));
    if (email)
        cm_buf_printf(out, " (%s)", email);
}

static bool same(const MtMap *map, const Value *v, const cJSON *x)
{
    switch (v->type) {
    case V_STR:
        return cJSON_IsString(x) && strlen(x->valuestring) == v->len && memcmp(x->valuestring, v->u.str, v->len) == 0;
    case V_NUM: return cJSON_IsNumber(x) && x->valuedouble == v->u.num;
    case V_BOOL: return cJSON_IsBool(x) && cJSON_IsTrue(x) == v->u.b;
    case V_REF: {
        const cJSON *ref = cJSON_IsObject(x) ? x->child : NULL;
        return ref && cJSON_IsString(ref) && strcmp(ref->valuestring, map->entity_names[v->u.ref]) == 0;
    }
    case V_CLEAR: return cJSON_IsNull(x);
    default: return false;
    }
}

/* ---- reporting ---- */

static void expected_at(const Cmp *c, Diag *d, Span at)
{
    uint32_t line, col;
    diag_position(at.src, at.start, &line, &col);
    diag_help(d, "expected at %s:%u:%u", c->f->path, line, col);
}

static Diag *fail(const Cmp *c, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static Diag *fail(const Cmp *c, Span at, const char *fmt, ...)
{
    CmBuf msg = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    Diag *d = diag_report(c->sink, DIAG_ERROR, "E0303", at, "%s", msg.data ? msg.data : "");
    cm_buf_free(&msg);
    return d;
}

static void describe_actual(const Cmp *c, const VmResult *res, CmBuf *out)
{
    static const char *const fates[] = { "", "made no record", "was rejected", "was skipped", "failed" };
    switch (res->outcome) {
    case VM_RECORD: cm_buf_puts(out, "a record"); break;
    case VM_NONE: cm_buf_puts(out, "no record (its `when` is false)"); break;
    case VM_REJECT:
        cm_buf_puts(out, "rejected: ");
        cm_buf_put_json_string(out, res->message, res->message_len);
        break;
    case VM_SKIP:
        cm_buf_printf(out, "skipped (parent %s %s)", c->r->map->entity_names[res->parent],
                      fates[res->parent_outcome]);
        break;
    default:
        cm_buf_puts(out, "failed: ");
        cm_buf_put_json_string(out, res->message, res->message_len);
        break;
    }
}

static void describe_expected(const MtEntity *me, CmBuf *out)
{
    switch (me->outcome) {
    case MT_RECORD: cm_buf_puts(out, "a record"); break;
    case MT_NO_RECORD: cm_buf_puts(out, "no record (its `when` is false)"); break;
    case MT_REJECT:
        cm_buf_puts(out, "rejected: ");
        cm_buf_put_json_string(out, me->message, strlen(me->message));
        break;
    case MT_SKIPPED: cm_buf_puts(out, "skipped"); break;
    case MT_ERROR:
        cm_buf_puts(out, "failed: ");
        cm_buf_put_json_string(out, me->message, strlen(me->message));
        break;
    }
}

static bool outcome_met(const MtEntity *me, const VmResult *res)
{
    switch (me->outcome) {
    case MT_RECORD: return res->outcome == VM_RECORD;
    case MT_NO_RECORD: return res->outcome == VM_NONE;
    case MT_SKIPPED: return res->outcome == VM_SKIP;
    case MT_REJECT:
    case MT_ERROR:
        return res->outcome == (me->outcome == MT_REJECT ? VM_REJECT : VM_ERROR) &&
               res->message_len == strlen(me->message) && memcmp(res->message, me->message, res->message_len) == 0;
    }
    return false;
}

/* The entity ended otherwise than expected: the message and the place name
 * what happened (or, for a record, what did not). */
static void outcome_failure(const Cmp *c, const MtEntity *me, const VmResult *res)
{
    const Item *it = c->r->map->c->entities[me->entity].item;
    const char *name = it->u.entity.name.name;
    Span at = it->u.entity.name.span;
    Diag *d;
    switch (res->outcome) {
    case VM_REJECT:
        d = fail(c, vm_span(c, me->entity, res->line, res->col), me->outcome == MT_REJECT
                 ? "%s was rejected by another rule than the case expects" : "%s was rejected", name);
        break;
    case VM_NONE:
        d = fail(c, it->u.entity.when ? it->u.entity.when->span : at, "%s made no record: its `when` is false",
                 name);
        break;
    case VM_SKIP:
        d = fail(c, vm_span(c, me->entity, res->line, res->col), "%s was skipped: the entity it refs made no record",
                 name);
        break;
    case VM_ERROR:
        d = fail(c, vm_span(c, me->entity, res->line, res->col), "%s failed here", name);
        break;
    default: {
        const Stmt *rule = me->outcome == MT_REJECT ? reject_rule(it->u.entity.stmts, it->u.entity.count, me->message)
                                                    : NULL;
        if (rule)
            d = fail(c, rule->span, "this rule did not reject %s: its condition is false", name);
        else if (me->outcome == MT_NO_RECORD)
            d = fail(c, it->u.entity.when->span, "%s made a record: its `when` is true", name);
        else
            d = fail(c, at, "%s made a record", name);
        break;
    }
    }
    CmBuf b = CM_BUF_INIT;
    describe_expected(me, &b);
    diag_help(d, "expected: %s", b.data);
    cm_buf_clear(&b);
    describe_actual(c, res, &b);
    diag_help(d, "actual:   %s", b.data);
    cm_buf_free(&b);
    expected_at(c, d, me->outcome == MT_RECORD ? me->at : me->outcome_at);
}

static void field_failure(const Cmp *c, const MtEntity *me, const MtField *mf)
{
    const MtMap *map = c->r->map;
    const char *ename = map->entity_names[me->entity], *fname = map->field_names[me->entity][mf->field];
    const Stmt *s = mt_assignment(map, me->entity, mf->field);
    Span at = s ? s->span : c->r->map->c->entities[me->entity].item->u.entity.name.span;
    const VmResult *res = &c->res[me->entity];
    bool sent = res->set[mf->field];
    const Value *v = &res->values[mf->field];
    Diag *d;
    CmBuf b = CM_BUF_INIT;
    if (mf->value == NULL) {
        d = fail(c, at, "%s.%s is sent, the case expects it not to be", ename, fname);
        diag_help(d, "expected: not sent");
    } else {
        d = fail(c, at, sent ? "%s.%s differs from what the case expects" : "%s.%s is not sent", ename, fname);
        put_expected(c, mf, &b);
        diag_help(d, "expected: %s", b.data);
    }
    cm_buf_clear(&b);
    if (sent)
        put_actual(c, v, &b);
    else
        cm_buf_puts(&b, s && s->u.assign.when ? "not sent (its `when` is false or its value is empty)"
                                             : "not sent (its value is empty)");
    diag_help(d, "actual:   %s", b.data);
    if (sent && mf->value && v->type == V_STR && !cJSON_IsString(mf->value) && !cJSON_IsNull(mf->value)) {
        char *text = cJSON_PrintUnformatted(mf->value);
        if (text && strlen(text) == v->len && memcmp(text, v->u.str, v->len) == 0)
            diag_help(d, "the CRM gets this field's values as text: write \"%s\"", text);
        cJSON_free(text);
    }
    cm_buf_free(&b);
    expected_at(c, d, mf->at);
}

static bool expected_partial(const MtEntity *me, const VmPartial *p)
{
    for (size_t i = 0; me && i < me->npartial; i++)
        if ((int32_t)me->partial[i].field == p->field && strlen(me->partial[i].value->valuestring) == p->message_len
            && memcmp(me->partial[i].value->valuestring, p->message, p->message_len) == 0)
            return true;
    return false;
}

/* What entity e went out without: each note the case (me, NULL: none)
 * does not expect fails it, and so does each expected one that is missing. */
static void compare_partial(const Cmp *c, uint32_t e, const MtEntity *me)
{
    const VmResult *res = &c->res[e];
    const char *name = c->r->map->c->entities[e].item->u.entity.name.name;
    for (const VmPartial *p = res->outcome == VM_RECORD ? res->partial : NULL; p; p = p->next) {
        if (expected_partial(me, p))
            continue;
        const char *field = p->field >= 0 ? c->r->map->field_names[e][p->field] : "";
        Diag *d = fail(c, vm_span(c, e, p->line, p->col), "%s%s%s is sent without a value: %.*s", name,
                       p->field >= 0 ? "." : "", field, (int)p->message_len, p->message);
        diag_help(d, "if the case expects that, add {\"partial\": {\"%s\": \"MESSAGE\"}} to %s's expectation",
                  field, name);
    }
    for (size_t i = 0; me && i < me->npartial; i++) {
        const MtField *mf = &me->partial[i];
        bool seen = false;
        for (const VmPartial *p = res->outcome == VM_RECORD ? res->partial : NULL; p && !seen; p = p->next)
            seen = (int32_t)mf->field == p->field && strcmp(mf->value->valuestring, p->message) == 0;
        if (seen)
            continue;
        Diag *d = fail(c, c->r->map->c->entities[e].item->u.entity.name.span, "%s.%s is not left out as the case "
                       "expects", name, c->r->map->field_names[e][mf->field]);
        diag_help(d, "expected: \"%s\"", mf->value->valuestring);
        expected_at(c, d, mf->at);
    }
}

static void compare_entity(const Cmp *c, const MtEntity *me)
{
    const VmResult *res = &c->res[me->entity];
    if (!outcome_met(me, res)) {
        outcome_failure(c, me, res);
        return;
    }
    if (res->outcome != VM_RECORD)
        return;
    for (size_t i = 0; i < me->nfields; i++) {
        const MtField *mf = &me->fields[i];
        bool sent = res->set[mf->field];
        if (mf->value == NULL ? sent : !sent || !same(c->r->map, &res->values[mf->field], mf->value))
            field_failure(c, me, mf);
    }
}

/* A runtime error nobody expected fails the case wherever it happens. */
static void unexpected_error(const Cmp *c, uint32_t e)
{
    const VmResult *res = &c->res[e];
    const char *name = c->r->map->c->entities[e].item->u.entity.name.name;
    Diag *d = fail(c, vm_span(c, e, res->line, res->col), "%s failed: %.*s", name, (int)res->message_len,
                   res->message);
    diag_help(d, "the case expects no runtime error; if it should fail, expect {\"error\": \"MESSAGE\"}");
}

bool mt_case_results(MtRunner *r, const MtCase *k, DiagSink *sink, MtResults done, void *arg)
{
    size_t before = diag_count(sink, DIAG_ERROR);
    CmBuf text = CM_BUF_INIT;
    cm_buf_putc(&text, '[');
    cm_buf_put(&text, k->input, k->input_len);
    cm_buf_puts(&text, "]\n");
    FILE *in = fmemopen(text.data, text.len, "r");
    if (in == NULL) {
        diag_report(sink, DIAG_ERROR, "E0301", k->input_at, "cannot read the input record: out of memory");
        cm_buf_free(&text);
        return false;
    }
    Reader *rd = rd_open(in, RD_JSON_ARRAY, r->rv->paths);
    RdStatus st = record_vm_read(r->rv, rd);
    if (st != RD_RECORD) {
        /* the reader's line and byte column are in text, "[" + input + "]" */
        size_t line, col, at = 0;
        rd_error_pos(rd, &line, &col);
        for (size_t l = 1; l < line && at < text.len; at++)
            if (text.data[at] == '\n')
                l++;
        at += col ? col - 1 : 0;
        Span where = k->input_at;
        if (line && at >= 1 && at - 1 < k->input_len)
            where = diag_span(k->input_at.src, k->input_at.start + (uint32_t)(at - 1),
                              k->input_at.start + (uint32_t)at);
        Diag *d = diag_report(sink, DIAG_ERROR, "E0301", where, "the input record cannot be read: %s",
                              rd_error(rd));
        diag_help(d, "docs/input.md says what a record may hold");
    } else {
        done(arg, record_vm_run(r->rv));
    }
    rd_close(rd);
    fclose(in);
    cm_buf_free(&text);
    return diag_count(sink, DIAG_ERROR) == before;
}

typedef struct Compare {
    MtRunner *r;
    const MtFile *f;
    const MtCase *k;
    DiagSink *sink;
} Compare;

static void compare(void *arg, const VmResult *res)
{
    const Compare *cmp = arg;
    Cmp c = { cmp->r, cmp->f, cmp->sink, res };
    const MtCase *k = cmp->k;
    size_t next = 0;
    for (uint32_t e = 0; e < c.r->map->m->nentities; e++) {
        const MtEntity *me = next < k->nentities && k->entities[next].entity == e ? &k->entities[next++] : NULL;
        if (me)
            compare_entity(&c, me);
        else if (c.res[e].outcome == VM_ERROR)
            unexpected_error(&c, e);
        compare_partial(&c, e, me);
    }
}

bool mt_run_case(MtRunner *r, const MtFile *f, const MtCase *k, DiagSink *sink)
{
    Compare cmp = { r, f, k, sink };
    return mt_case_results(r, k, sink, compare, &cmp);
}
