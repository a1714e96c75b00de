/* check_value: whether a value fits the target field it is written into —
 * types, lengths, picklist values, refs and users. Branches of if, case,
 * `??` and table lookups are checked one by one, so a wrong value is
 * reported where it is written. */
#include "check_int.h"

#include <string.h>
#include <strings.h>

#include "cm_alloc.h"
#include "numtext.h"

const PickValue *check_pick_value(const Field *f, const char *text)
{
    for (size_t i = 0; i < f->nvalues; i++)
        if (strcmp(f->values[i].value, text) == 0)
            return &f->values[i];
    if (f->numeric_values)
        for (size_t i = 0; i < f->nvalues; i++)
            if (f->values[i].label && strcmp(f->values[i].label, text) == 0)
                return &f->values[i];
    return NULL;
}

/* What a target field accepts, by its type. */
typedef enum Kind { K_TEXT, K_NUMBER, K_BOOL, K_DATE, K_DATETIME, K_PICK, K_MULTI, K_REF, K_FILE } Kind;

static Kind kind_of(const Field *f)
{
    switch (f->type) {
    case FT_INT: case FT_DECIMAL: case FT_DURATION: return K_NUMBER;
    case FT_BOOL: return K_BOOL;
    case FT_DATE: return K_DATE;
    case FT_DATETIME: return K_DATETIME;
    case FT_PICKLIST: return K_PICK;
    case FT_MULTIPICKLIST: return K_MULTI;
    case FT_REFERENCE: return K_REF;
    case FT_BINARY: case FT_FILE: return K_FILE;
    default: return K_TEXT;
    }
}

static const char *field_type(const Field *f)
{
    return schema_type_name(f->type);
}

/* ---- picklist values ---- */

/* text is written into picklist f at span: E0106 when f is restricted,
 * W0205 when it is not (the CRM keeps the value as an inactive one). */
/* text as a message shows it: a JSON string, or bare when it is a whole
 * number written into an option set of integers (Dynamics). */
static const char *shown(Checker *ck, const Field *f, const char *text)
{
    bool integer = f->numeric_values && text[0] != '\0';
    for (const char *p = text[0] == '-' ? text + 1 : text; integer && *p; p++)
        integer = *p >= '0' && *p <= '9';
    CmBuf b = CM_BUF_INIT;
    if (integer)
        cm_buf_puts(&b, text);
    else
        cm_buf_put_json_string(&b, text, strlen(text));
    char *s = cm_arena_strndup(ck->arena, b.data, b.len);
    cm_buf_free(&b);
    return s;
}

static void note_send(Checker *ck, const Field *f, const char *value)
{
    Checked *c = ck->out;
    c->sends = ck_grow(ck, c->sends, c->nsends, &c->cap_sends, 32, sizeof *c->sends);
    c->sends[c->nsends++] = (CheckedSend){ f, value };
}

static void pick_value(Checker *ck, const Field *f, const char *text, Span span)
{
    if (f->nvalues == 0)
        return;     /* options come from elsewhere (HubSpot owners): nothing to check */
    const PickValue *v = ck_value(ck, f, text, f->numeric_values);
    note_send(ck, f, v ? v->value : cm_arena_strdup(ck->arena, text));
    if (v && v->active)
        return;
    const char *ename = ck->target->schema->name, *what = shown(ck, f, text);
    Diag *d;
    if (f->restricted)
        d = diag_report(ck->sink, DIAG_ERROR, "E0106", span,
                        v ? "%s is an inactive value of %s.%s" : "%s is not a value of %s.%s",
                        what, ename, f->name);
    else
        d = diag_report(ck->sink, DIAG_WARNING, "W0205", span,
                        v ? "%s is an inactive value of %s.%s" : "%s is not among the values of %s.%s",
                        what, ename, f->name);
    bool helps = ck_helps(ck);
    for (size_t i = 0; v == NULL && helps && i < f->nvalues; i++)
        if (f->values[i].label && strcmp(f->values[i].label, text) == 0) {
            diag_help(d, "%s is the label; write the value %s", what, shown(ck, f, f->values[i].value));
            v = &f->values[i];
        }
    ck_help_values(ck, d, f, text);
    if (!f->restricted)
        diag_help(d, "the CRM stores it, but users cannot pick it; add it to the picklist or use a listed value");
}

static void multi_value(Checker *ck, const Field *f, const char *text, Span span)
{
    /* A multi-select value written as one string lists its values with ';'. */
    if (f->numeric_values || strchr(text, ';') == NULL) {
        pick_value(ck, f, text, span);
        return;
    }
    char *copy = cm_strdup(text);
    char *save = NULL;
    for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save))
        pick_value(ck, f, part, span);
    cm_free(copy);
}

/* The options of select field src written into picklist f. */
static void options_into(Checker *ck, const Field *src, const Field *f, Span span)
{
    if (f->nvalues == 0)
        return;
    CmBuf missing = CM_BUF_INIT;
    size_t n = 0;
    const char *first = NULL;
    for (size_t i = 0; i < src->nvalues; i++) {
        const PickValue *o = &src->values[i];
        const PickValue *v = o->active ? ck_value(ck, f, o->value, f->numeric_values) : NULL;
        if (o->active)
            note_send(ck, f, v ? v->value : o->value);
        if (!o->active || (v && v->active))
            continue;
        if (n++)
            cm_buf_puts(&missing, ", ");
        else
            first = o->value;
        cm_buf_put_json_string(&missing, o->value, strlen(o->value));
    }
    if (n) {
        const char *ename = ck->target->schema->name;
        Diag *d = diag_report(ck->sink, f->restricted ? DIAG_ERROR : DIAG_WARNING,
                              f->restricted ? "E0106" : "W0205", span,
                              "%s of %s %s not %s of %s.%s: %s", n == 1 ? "an option" : "options",
                              src->name, n == 1 ? "is" : "are", f->restricted ? "a value" : "among the values",
                              ename, f->name, missing.data);
        diag_help(d, "translate the options with a table: table T { \"%s\" -> \"...\" ... } and %s = T[%s]",
                  first, f->name, src->name);
        ck_help_values(ck, d, f, first);
    }
    cm_buf_free(&missing);
}

/* ---- references and users ---- */

static bool names_users(const Field *f)
{
    static const char *const user_entities[] = { "user", "systemuser", "owner", "owners" };
    for (size_t i = 0; i < f->nreferences; i++)
        for (size_t k = 0; k < sizeof user_entities / sizeof *user_entities; k++)
            if (strcasecmp(f->references[i], user_entities[k]) == 0)
                return true;
    return false;
}

static void ref_into(Checker *ck, const Expr *e, const Field *f)
{
    const char *ename = ck->target->schema->name;
    if (e->info->ref == SIZE_MAX)
        return;     /* reported where the ref is written */
    if (f->type != FT_REFERENCE) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                              "%s.%s is %s %s field; `ref` can only link a reference field",
                              ename, f->name, ck_a(field_type(f)), field_type(f));
        diag_help(d, "assign the ref to a lookup field that points to %s", e->u.ref.entity.name);
        return;
    }
    const CheckedEntity *to = &ck->out->entities[e->info->ref];
    if (to->schema == NULL)
        return;     /* its entity is unknown: reported there */
    for (size_t i = 0; i < f->nreferences; i++)
        if (strcasecmp(f->references[i], to->schema->name) == 0)
            return;
    CmBuf refs = CM_BUF_INIT;
    ck_put_names(&refs, f->references, f->nreferences, "", "or");
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0111", e->u.ref.entity.span,
                          "%s.%s links to %s, not to %s", ename, f->name,
                          f->nreferences ? refs.data : "nothing", to->schema->name);
    /* a field that links several objects takes a ref to any of them, or a chain */
    if (f->nreferences > 1)
        diag_help(d, "ref an entity that writes %s; `ref A ?? ref B` links the first of them this record wrote",
                  refs.data);
    cm_buf_free(&refs);
    for (size_t j = ck->entity; j-- > 0;) {
        const CheckedEntity *other = &ck->out->entities[j];
        if (other->schema == NULL)
            continue;
        for (size_t i = 0; i < f->nreferences; i++)
            if (strcasecmp(f->references[i], other->schema->name) == 0) {
                diag_help(d, "did you mean `ref %s`?", other->item->u.entity.name.name);
                return;
            }
    }
    const char *want = f->nreferences ? f->references[0] : "matching";
    diag_help(d, "map %s %s entity before this one and ref it", ck_a(want), want);
}

static void user_into(Checker *ck, const Expr *e, const Field *f)
{
    const char *ename = ck->target->schema->name;
    Kind k = kind_of(f);
    if (k == K_REF) {
        if (names_users(f))
            return;
        CmBuf refs = CM_BUF_INIT;
        ck_put_names(&refs, f->references, f->nreferences, "", "or");
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                              "%s.%s links to %s, not to users", ename, f->name,
                              f->nreferences ? refs.data : "nothing");
        diag_help(d, "assign user(...) to an owner field such as OwnerId");
        cm_buf_free(&refs);
        return;
    }
    if (k == K_TEXT)
        return;
    if ((k == K_PICK || k == K_MULTI) && e->info->user) {
        pick_value(ck, f, e->info->user->id, e->span);
        return;
    }
    if (k == K_PICK || k == K_MULTI)
        return;
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                          "%s.%s is %s %s field; user() gives a user id", ename, f->name,
                          ck_a(field_type(f)), field_type(f));
    diag_help(d, "assign user(...) to an owner field such as OwnerId");
}

/* ---- plain types ---- */

/* The builtin that converts in (of type t) for field f. A duration, in
 * the field or the source ("PT35M"), is counted in minutes: number() would
 * fail on it at run time. */
static const char *help_fn(Kind k, CheckType t, const Field *f, const struct CheckInfo *in)
{
    bool duration = f->type == FT_DURATION || (in->source && in->source->type == FT_DURATION);
    switch (k) {
    case K_NUMBER: return duration ? "minutes" : "number";
    case K_DATE: return "date";
    case K_DATETIME: return "datetime";
    case K_TEXT: case K_PICK: return t == CT_LIST ? "join" : "string";
    default: return NULL;
    }
}

static bool accepts(Kind k, const Field *f, const struct CheckInfo *in)
{
    CheckType t = in->type;
    if (t == CT_ANY || t == CT_NULL || t == CT_CLEAR)
        return true;
    switch (k) {
    case K_TEXT: return t == CT_STRING || t == CT_NUMBER || t == CT_DATE || t == CT_DATETIME;
    case K_NUMBER: return t == CT_NUMBER;
    case K_BOOL: return t == CT_BOOL;
    case K_DATE: return t == CT_DATE;
    case K_DATETIME: return t == CT_DATETIME;
    case K_PICK: return t == CT_STRING || t == CT_NUMBER;
    case K_MULTI: return t == CT_LIST || t == CT_STRING || (t == CT_NUMBER && f->numeric_values);
    case K_FILE: return t == CT_FILE;
    case K_REF:
        /* An id read from the source (a CRM id it stored) may link too. */
        return t == CT_STRING && in->source
            && (in->source->type == FT_ID || in->source->type == FT_REFERENCE);
    }
    return false;
}

/* cond, or one of its `or` terms, is `len(e) > N` with N at most length. */
static bool refuses_longer(const Expr *cond, const Expr *e, int length)
{
    if (cond->kind != EX_BINARY)
        return false;
    if (cond->u.binary.op == OP_OR)
        return refuses_longer(cond->u.binary.left, e, length) || refuses_longer(cond->u.binary.right, e, length);
    const Expr *l = cond->u.binary.left, *r = cond->u.binary.right;
    return cond->u.binary.op == OP_GT && l->kind == EX_CALL && strcmp(l->u.call.name.name, "len") == 0
        && l->u.call.count == 1 && ck_expr_equal(l->u.call.args[0], e) && r->kind == EX_NUMBER
        && r->u.number.value <= length;
}

/* An address the entity's own `reject ... when len(VALUE) > N` refuses
 * when too long (what W0201's help proposes) never reaches the field. */
static bool rejected_when_longer(const Checker *ck, const Expr *e, int length)
{
    if (ck->entity >= ck->out->nentities)
        return false;
    const Item *it = ck->out->entities[ck->entity].item;
    for (size_t i = 0; i < it->u.entity.count; i++) {
        const Stmt *st = it->u.entity.stmts[i];
        if (st->kind == ST_REJECT && refuses_longer(st->u.reject.when, e, length))
            return true;
    }
    return false;
}

/* A date into a text field goes out as its ISO text ("2026-03-05"),
 * which is rarely what a reader of that field expects. */
static void date_into_text(Checker *ck, const Expr *e, const Field *f)
{
    const char *text = ck_text(ck, e);
    bool date = e->info->type == CT_DATE;
    Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0216", e->span,
                          "%s.%s is %s %s field; this %s goes out as its ISO text (%s)",
                          ck->target->schema->name, f->name, ck_a(field_type(f)), field_type(f),
                          date ? "date" : "date-time", date ? "2026-03-05" : "2026-03-05T14:30:00Z");
    diag_help(d, "write it the way its readers expect with format_date(%s, \"DD.MM.YYYY\")%s",
              text ? text : "...", date ? "" : ", or send it to a date-time field");
}

static void type_into(Checker *ck, const Expr *e, const Field *f)
{
    const struct CheckInfo *in = e->info;
    Kind k = kind_of(f);
    const char *ename = ck->target->schema->name;
    if ((k == K_FILE) != (in->type == CT_FILE) && ck_file_mismatch(ck, e, f, k == K_FILE))
        return;
    if (accepts(k, f, in)) {
        bool texty = k == K_TEXT;
        bool address = f->type == FT_EMAIL || f->type == FT_URL;
        if (texty && in->type == CT_STRING && f->length > 0 && in->max_len > (uint32_t)f->length
            && !(address && rejected_when_longer(ck, e, f->length))) {
            Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0201", e->span,
                                  "%s.%s holds at most %d characters; this value can have %u",
                                  ename, f->name, f->length, in->max_len);
            const char *text = ck_text(ck, e);
            if (address)
                diag_help(d, "the CRM rejects longer values, and a shortened address is a wrong one: "
                             "refuse them with `reject \"...\" when len(%s) > %d`",
                          text ? text : "...", f->length);
            else
                diag_help(d, "the CRM rejects longer values: shorten it with truncate(%s, %d)",
                          text ? text : "...", f->length);
        }
        if ((f->type == FT_STRING || f->type == FT_TEXT) && (in->type == CT_DATE || in->type == CT_DATETIME))
            date_into_text(ck, e, f);
        return;
    }
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                          "%s.%s is %s %s field; this value is %s %s", ename, f->name,
                          ck_a(field_type(f)), field_type(f), ck_a(check_type_name(in->type)),
                          check_type_name(in->type));
    const char *text = ck_text(ck, e);
    const char *fn = help_fn(k, in->type, f, in);
    if (in->type == CT_OBJECT)
        diag_help(d, "name one of its fields, e.g. %s.id", text ? text : "visitreport");
    else if (k == K_REF)
        diag_help(d, "link a record mapped earlier with `ref ENTITY`%s", names_users(f) ? " or a user with user(\"e-mail\")" : "");
    else if (k == K_BOOL && e->kind == EX_STRING)
        diag_help(d, "write true or false, without quotes");
    else if (k == K_BOOL && in->type == CT_STRING)
        diag_help(d, "compare it to get true or false, e.g. %s == \"yes\"", text ? text : "...");
    else if (k == K_BOOL && in->type == CT_NUMBER)
        diag_help(d, "compare it to get true or false, e.g. %s != 0", text ? text : "...");
    else if (k == K_PICK && in->type == CT_LIST)
        diag_help(d, "a single-select picklist takes one value: pick one, or map it into a multipicklist");
    else if (fn && strcmp(fn, "join") == 0)
        diag_help(d, "join the list into a string: join(%s, \", \")", text ? text : "...");
    else if (fn && in->type != CT_REF)
        diag_help(d, "convert it: %s(%s)", fn, text ? text : "...");
}

/* ---- literals ---- */

static void string_into(Checker *ck, const Expr *e, const Field *f)
{
    Kind k = kind_of(f);
    const char *text = e->u.string.value;
    if (k == K_PICK) {
        pick_value(ck, f, text, e->span);
        return;
    }
    if (k == K_MULTI) {
        multi_value(ck, f, text, e->span);
        return;
    }
    if (k != K_TEXT) {
        type_into(ck, e, f);
        return;
    }
    uint32_t n = e->info->max_len;
    if (f->length > 0 && n > (uint32_t)f->length) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                              "the value is %u characters; %s.%s holds at most %d",
                              n, ck->target->schema->name, f->name, f->length);
        diag_help(d, "shorten it to %d characters", f->length);
    }
}

/* A literal outside the field's range, or with more digits after the point
 * than it keeps (docs/schema.md, min, max, places): run would leave it out
 * of every record. */
static bool number_fits(Checker *ck, const Expr *e, const Field *f)
{
    double x = e->u.number.value;
    const char *entity = ck->target->schema->name;
    if ((f->has_min && x < f->min) || (f->has_max && x > f->max)) {
        char range[2 * NUMTEXT_MAX + 16];
        numtext_range(range, sizeof range, f->has_min, f->min, f->has_max, f->max);
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0130", e->span, "%s.%s takes numbers %s; %s is outside",
                              entity, f->name, range, e->u.number.text);
        diag_help(d, "write a number within the field's range, the CRM's least and greatest value for it");
        return false;
    }
    if (f->has_places && numtext_places(x) > (unsigned)f->places) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0130", e->span,
                              "%s.%s keeps %d digits after the point; %s has more", entity, f->name, f->places,
                              e->u.number.text);
        diag_help(d, "write it with at most %d digits after the point: the CRM would round it", f->places);
        return false;
    }
    return true;
}

static void number_into(Checker *ck, const Expr *e, const Field *f)
{
    Kind k = kind_of(f);
    if (k == K_PICK || k == K_MULTI) {
        pick_value(ck, f, e->u.number.text, e->span);
        return;
    }
    if (k == K_NUMBER && f->type == FT_INT && e->u.number.value != (double)(long long)e->u.number.value) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                              "%s.%s holds whole numbers; %s is not one",
                              ck->target->schema->name, f->name, e->u.number.text);
        diag_help(d, "write a whole number");
        return;
    }
    if (k == K_NUMBER && !number_fits(ck, e, f))
        return;
    type_into(ck, e, f);
}

static void list_into(Checker *ck, const Expr *e, const Field *f)
{
    if (kind_of(f) != K_MULTI) {
        type_into(ck, e, f);
        return;
    }
    for (size_t i = 0; i < e->u.list.count; i++) {
        const Expr *x = e->u.list.items[i];
        if (x->kind == EX_STRING)
            pick_value(ck, f, x->u.string.value, x->span);
        else if (x->kind == EX_NUMBER)
            pick_value(ck, f, x->u.number.text, x->span);
    }
}

/* ---- tables ---- */

/* Each table value is checked against each field it is written into once. */
static bool first_time(Checker *ck, const Item *t, const Field *f)
{
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "%s\x1e%s.%s", t->u.table.name.name, ck->target->schema->name, f->name);
    char *key = cm_arena_strndup(ck->arena, b.data, b.len);
    cm_buf_free(&b);
    return names_put(&ck->seen_pairs, key, key) == NULL;
}

static void lookup_into(Checker *ck, const Expr *e, const Field *f)
{
    const struct CheckInfo *in = e->info;
    const Item *t = in->table;
    if (t == NULL)
        return;
    Kind k = kind_of(f);
    if (in->elementwise && k != K_MULTI) {
        type_into(ck, e, f);
        return;
    }
    if (!first_time(ck, t, f))
        return;
    for (size_t i = 0; i <= t->u.table.count; i++) {
        const Expr *v = i < t->u.table.count ? t->u.table.entries[i].value : t->u.table.else_value;
        if (v)
            ck_value_into(ck, v, f);
    }
}

/* The kinds of expression whose value has a check of its own. */
static void (*const KIND_INTO[])(Checker *ck, const Expr *e, const Field *f) = {
    [EX_LOOKUP] = lookup_into, [EX_STRING] = string_into, [EX_NUMBER] = number_into,
    [EX_LIST] = list_into, [EX_REF] = ref_into,
};

void ck_value_into(Checker *ck, const Expr *e, const Field *f)
{
    if (e->info == NULL)
        return;
    if ((size_t)e->kind < sizeof KIND_INTO / sizeof KIND_INTO[0] && KIND_INTO[e->kind] != NULL) {
        KIND_INTO[e->kind](ck, e, f);
        return;
    }
    switch (e->kind) {
    case EX_NULL: case EX_CLEAR:
        return;
    case EX_IF:
        ck_value_into(ck, e->u.if_e.then_e, f);
        ck_value_into(ck, e->u.if_e.else_e, f);
        return;
    case EX_CASE:
        for (size_t i = 0; i < e->u.case_e.count; i++)
            ck_value_into(ck, e->u.case_e.arms[i].value, f);
        if (e->u.case_e.else_e)
            ck_value_into(ck, e->u.case_e.else_e, f);
        return;
    case EX_BINARY:
        if (e->u.binary.op == OP_COALESCE) {
            ck_value_into(ck, e->u.binary.left, f);
            ck_value_into(ck, e->u.binary.right, f);
            return;
        }
        break;
    case EX_CALL:
        if (e->info->builtin == BI__COUNT && (strcmp(e->u.call.name.name, "user") == 0
                                              || strcmp(e->u.call.name.name, "creator") == 0)) {
            user_into(ck, e, f);
            return;
        }
        break;
    case EX_PATH:
        if (e->info->options && (kind_of(f) == K_PICK || kind_of(f) == K_MULTI)) {
            if (e->info->type == CT_LIST && kind_of(f) == K_PICK) {
                type_into(ck, e, f);
                return;
            }
            options_into(ck, e->info->options, f, e->span);
            return;
        }
        break;
    default:
        break;
    }
    type_into(ck, e, f);
}
