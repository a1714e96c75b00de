/* check_expr: the types of expressions. Each expression gets a CheckInfo
 * (type, known maximum length, the select field whose options it carries);
 * source paths, builtins, tables, refs and operators are checked here.
 * An expression that is wrong gets type CT_ANY, so nothing around it
 * reports a second error about it. */
#include "check_int.h"

#include <string.h>

#include "cm_alloc.h"
#include "mapc.h"

static struct CheckInfo *info(Checker *ck, Expr *e)
{
    if (e->info == NULL)
        e->info = cm_arena_alloc(ck->arena, sizeof *e->info);
    e->info->builtin = BI__COUNT;
    return e->info;
}

/* ---- builtins (runtime/builtins.def) ---- */

static const struct {
    const char *name;
    int min, max;
    CheckType result;
} builtins[BI__COUNT] = {
#define BUILTIN(name, min, max, result) { #name, min, max, CT_##result },
#include "builtins.def"
#undef BUILTIN
};

/* Every function name, `user` (a builtins.def row) included, for suggestions. */
static const char *const function_names[] = {
#define BUILTIN(name, min, max, result) #name,
#include "builtins.def"
#undef BUILTIN
    "creator",
    "label",
};

static BuiltinId find_builtin(const char *name)
{
    for (int i = 0; i < BI__COUNT; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return (BuiltinId)i;
    return BI__COUNT;
}

/* ---- helpers ---- */

static CheckType type_of(const Expr *e)
{
    return e->info ? e->info->type : CT_ANY;
}

static bool unknown(CheckType t)
{
    return t == CT_ANY;
}

static bool is_literal(const Expr *e)
{
    return e->kind == EX_STRING || e->kind == EX_NUMBER || e->kind == EX_BOOL;
}

/* A literal's text as a select answer would carry it. */
static const char *literal_text(const Expr *e)
{
    switch (e->kind) {
    case EX_STRING: return e->u.string.value;
    case EX_NUMBER: return e->u.number.text;
    case EX_BOOL: return e->u.boolean ? "true" : "false";
    default: return NULL;
    }
}

/* Joins b into a: the type both branches share, else CT_ANY. */
static void join(struct CheckInfo *a, const struct CheckInfo *b)
{
    if (a->type == CT_NULL || a->type == CT_CLEAR) {
        a->type = b->type;
        a->max_len = b->max_len;
        a->options = b->options;
        return;
    }
    if (b->type == CT_NULL || b->type == CT_CLEAR)
        return;
    if (a->type != b->type) {
        a->type = CT_ANY;
        a->max_len = 0;
        a->options = NULL;
        return;
    }
    a->max_len = a->max_len && b->max_len ? (a->max_len > b->max_len ? a->max_len : b->max_len) : 0;
    if (a->options != b->options)
        a->options = NULL;
}

static const char *conversion_for(CheckType want)
{
    switch (want) {
    case CT_NUMBER: return "number";
    case CT_DATE: return "date";
    case CT_DATETIME: return "datetime";
    default: return "string";
    }
}

/* ---- source paths ---- */

static void set_from_field(struct CheckInfo *in, const Field *f)
{
    in->source = f;
    in->max_len = f->length > 0 ? (uint32_t)f->length : 0;
    switch (f->type) {
    case FT_INT: case FT_DECIMAL: in->type = CT_NUMBER; break;
    case FT_BOOL: in->type = CT_BOOL; break;
    case FT_DATE: in->type = CT_DATE; break;
    case FT_DATETIME: in->type = CT_DATETIME; break;
    case FT_PICKLIST: in->type = CT_STRING; in->options = f; break;
    case FT_MULTIPICKLIST: in->type = CT_LIST; in->options = f; break;
    case FT_FILE: in->type = CT_FILE; break;
    case FT_FILES: in->type = CT_LIST; break;
    default: in->type = CT_STRING; break;
    }
}

static void path_expr(Checker *ck, Expr *e)
{
    struct CheckInfo *in = info(ck, e);
    in->type = CT_ANY;
    if (e->u.path.count == 1 && (ck_let_use(ck, e) || ck_param_use(ck, e)))
        return;
    CmBuf b = CM_BUF_INIT;
    for (size_t i = 0; i < e->u.path.count; i++) {
        if (i)
            cm_buf_putc(&b, '.');
        cm_buf_puts(&b, e->u.path.segments[i].name);
    }
    in->path = cm_arena_strndup(ck->arena, b.data, b.len);
    cm_buf_free(&b);
    if (!ck->source_declared) {
        if (!ck->no_source_reported) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0103", e->span,
                                  "'%s' cannot be checked: the mapping declares no source schema", in->path);
            diag_help(d, "name the source's field definitions: source snapaddy schema \"schemas/snapaddy/lead.json\"");
            ck->no_source_reported = true;
        }
        return;
    }
    if (ck->out->source == NULL)
        return;     /* the source schema did not load: E0113 said why */
    const Field *f = names_get(&ck->source_ix, in->path);
    if (f) {
        set_from_field(in, f);
        return;
    }
    if (names_get(&ck->object_ix, in->path)) {
        in->type = CT_OBJECT;
        return;
    }
    if (names_put(&ck->seen_paths, in->path, in->path))
        return;     /* reported once per entity */
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0103", e->span,
                          "the source has no field '%s'", in->path);
    ck_suggest(ck, d, in->path, ck->source_names, ck->out->source->nfields);
}

/* ---- select answers compared with literals ---- */

/* lit (a literal) is compared with sel, a select answer: it must be an option. */
static void against_options(Checker *ck, const Expr *sel, const Expr *lit)
{
    const Field *f = sel->info->options;
    const char *text = literal_text(lit);
    if (text == NULL || f->nvalues == 0)
        return;
    const PickValue *v = ck_value(ck, f, text, false);
    if (v && v->active)
        return;
    CmBuf quoted = CM_BUF_INIT;
    cm_buf_put_json_string(&quoted, text, strlen(text));
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0106", lit->span,
                          v ? "%s is an inactive option of %s" : "%s is not an option of %s",
                          quoted.data, f->name);
    bool helps = ck_helps(ck);
    for (size_t i = 0; v == NULL && helps && i < f->nvalues; i++)
        if (f->values[i].label && strcmp(f->values[i].label, text) == 0) {
            CmBuf value = CM_BUF_INIT;
            cm_buf_put_json_string(&value, f->values[i].value, strlen(f->values[i].value));
            diag_help(d, "%s is the option's label; answers carry its value %s", quoted.data, value.data);
            cm_buf_free(&value);
            v = &f->values[i];
        }
    cm_buf_free(&quoted);
    if (v == NULL && helps) {
        const char **vals = cm_malloc((f->nvalues + 1) * sizeof *vals);
        for (size_t i = 0; i < f->nvalues; i++)
            vals[i] = f->values[i].value;
        ck_suggest(ck, d, text, vals, f->nvalues);
        cm_free(vals);
    }
    ck_help_values(ck, d, f, text);
}

static bool has_options(const Expr *e)
{
    return e->info && e->info->options;
}

/* ---- operators ---- */

/* fmt takes the two types, each after its article: "%s %s ... %s %s". */
static void mismatch(Checker *ck, const Expr *e, const char *fmt, CheckType a, CheckType b)
{
    const char *an = check_type_name(a), *bn = check_type_name(b);
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->u.binary.op_span, fmt,
                          ck_a(an), an, ck_a(bn), bn);
    const Expr *l = e->u.binary.left, *r = e->u.binary.right;
    if ((a == CT_STRING) != (b == CT_STRING) && (a == CT_NUMBER || b == CT_NUMBER
                                                 || a == CT_DATE || b == CT_DATE
                                                 || a == CT_DATETIME || b == CT_DATETIME)) {
        const Expr *s = a == CT_STRING ? l : r;
        CheckType want = a == CT_STRING ? b : a;
        const char *text = ck_text(ck, s);
        diag_help(d, "convert the string first: %s(%s)", conversion_for(want), text ? text : "...");
    }
}

static bool comparable(CheckType a, CheckType b)
{
    return a == b || unknown(a) || unknown(b) || a == CT_NULL || b == CT_NULL;
}

static void equality(Checker *ck, Expr *e)
{
    Expr *l = e->u.binary.left, *r = e->u.binary.right;
    CheckType a = type_of(l), b = type_of(r);
    for (int side = 0; side < 2; side++) {
        Expr *sel = side ? r : l, *lit = side ? l : r;
        if (!has_options(sel) || !is_literal(lit))
            continue;
        if (sel->info->type == CT_LIST) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->u.binary.op_span,
                                  "%s is a multi-select answer (a list); `%s` compares single values",
                                  sel->info->path ? sel->info->path : "the value", ast_binop_text(e->u.binary.op));
            const char *text = ck_text(ck, lit), *stext = ck_text(ck, sel);
            diag_help(d, "test whether it holds the option: %s%s in %s", e->u.binary.op == OP_NE ? "not " : "",
                      text ? text : "\"...\"", stext ? stext : "...");
            return;
        }
        against_options(ck, sel, lit);
        return;
    }
    if (!comparable(a, b))
        mismatch(ck, e, "compares %s %s with %s %s", a, b);
}

static bool orderable(CheckType t)
{
    return t == CT_NUMBER || t == CT_STRING || t == CT_DATE || t == CT_DATETIME;
}

static void ordering(Checker *ck, Expr *e)
{
    CheckType a = type_of(e->u.binary.left), b = type_of(e->u.binary.right);
    if (unknown(a) || unknown(b))
        return;
    if (!orderable(a) || !orderable(b) || a != b)
        mismatch(ck, e, "orders %s %s and %s %s: `<` and `>` compare numbers, dates or strings of one kind", a, b);
}

static void membership(Checker *ck, Expr *e)
{
    Expr *l = e->u.binary.left, *r = e->u.binary.right;
    CheckType a = type_of(l), b = type_of(r);
    if (b != CT_LIST && !unknown(b)) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->u.binary.op_span,
                              "the right side of `in` is %s %s, not a list",
                              ck_a(check_type_name(b)), check_type_name(b));
        const char *lt = ck_text(ck, l), *rt = ck_text(ck, r);
        if (b == CT_STRING)
            diag_help(d, "to look for text in a string write contains(%s, %s)", rt ? rt : "...", lt ? lt : "...");
        else
            diag_help(d, "write a list, e.g. %s in [\"DE\", \"AT\"], or a multi-select answer", lt ? lt : "x");
        return;
    }
    if (a == CT_LIST) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->u.binary.op_span,
                              "the left side of `in` is a list; `in` tests one value");
        diag_help(d, "test one value at a time: \"option\" in %s", ck_text(ck, l) ? ck_text(ck, l) : "answers.q");
        return;
    }
    if (has_options(r) && is_literal(l))
        against_options(ck, r, l);
    if (has_options(l) && r->kind == EX_LIST)
        for (size_t i = 0; i < r->u.list.count; i++)
            if (is_literal(r->u.list.items[i]))
                against_options(ck, l, r->u.list.items[i]);
}

/* The most characters e has as text in a concatenation; 0 unknown. Dates
 * are bounded when a builtin wrote them (a source's date is as it came). */
static uint32_t text_bound(const Expr *e)
{
    switch (e->kind == EX_CALL || type_of(e) == CT_STRING ? type_of(e) : CT_ANY) {
    case CT_STRING: return e->info->max_len;
    case CT_DATE: return 10;        /* YYYY-MM-DD */
    case CT_DATETIME: return 20;    /* YYYY-MM-DDTHH:MM:SSZ */
    default: return 0;
    }
}

static void arithmetic(Checker *ck, Expr *e, struct CheckInfo *in)
{
    const Expr *l = e->u.binary.left, *r = e->u.binary.right;
    CheckType a = type_of(l), b = type_of(r);
    BinOp op = e->u.binary.op;
    bool bad_a = a != CT_NUMBER && !unknown(a), bad_b = b != CT_NUMBER && !unknown(b);
    if (op == OP_ADD && (a == CT_STRING || b == CT_STRING)) {
        /* Concatenation: strings with strings, numbers or dates. */
        CheckType other = a == CT_STRING ? b : a;
        in->type = CT_STRING;
        if (other != CT_STRING && other != CT_NUMBER && other != CT_DATE && other != CT_DATETIME
            && !unknown(other)) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->u.binary.op_span,
                                  "cannot join a string and %s %s with `+`",
                                  ck_a(check_type_name(other)), check_type_name(other));
            if (other == CT_LIST)
                diag_help(d, "join the list into a string first: join(%s, \", \")",
                          ck_text(ck, a == CT_STRING ? r : l) ? ck_text(ck, a == CT_STRING ? r : l) : "...");
            else
                diag_help(d, "convert it with string(...)");
            return;
        }
        uint32_t ln = text_bound(l), rn = text_bound(r);
        if (ln && rn && (uint64_t)ln + rn <= UINT32_MAX)
            in->max_len = ln + rn;
        return;
    }
    in->type = CT_NUMBER;
    if (bad_a || bad_b) {
        CheckType bad = bad_a ? a : b;
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->u.binary.op_span,
                              "`%s` needs numbers; this is %s %s", ast_binop_text(op),
                              ck_a(check_type_name(bad)), check_type_name(bad));
        if (bad == CT_STRING) {
            const char *text = ck_text(ck, bad_a ? l : r);
            diag_help(d, "convert it: number(%s)", text ? text : "...");
        }
        in->type = CT_ANY;
    }
}

/* The distinct entities of a `??` made of refs only (codegen's REFS chain),
 * counted up to MAPC_MAX_CHAIN + 1 (docs/bytecode.md, section 14); 0 for
 * any other expression. */
static size_t chain_count(const Expr *e, size_t *seen, size_t n)
{
    if (e->kind == EX_BINARY && e->u.binary.op == OP_COALESCE) {
        size_t l = chain_count(e->u.binary.left, seen, n);
        return l ? chain_count(e->u.binary.right, seen, l) : 0;
    }
    if (e->kind != EX_REF || e->info == NULL || e->info->ref == SIZE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (seen[i] == e->info->ref)
            return n;
    if (n <= MAPC_MAX_CHAIN)
        seen[n] = e->info->ref;
    return n + (n <= MAPC_MAX_CHAIN);
}

/* A chain of refs past the bytecode's limit, reported once: at the smallest
 * `??` that passes it. */
static void chain_limit(Checker *ck, const Expr *e)
{
    size_t seen[MAPC_MAX_CHAIN + 1];
    if (chain_count(e, seen, 0) <= MAPC_MAX_CHAIN
        || chain_count(e->u.binary.left, seen, 0) > MAPC_MAX_CHAIN
        || chain_count(e->u.binary.right, seen, 0) > MAPC_MAX_CHAIN)
        return;
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0131", e->span,
                          "a chain of refs links more than %u entities", MAPC_MAX_CHAIN);
    diag_help(d, "a field links the first written of at most %u entities: leave out those the record never writes",
              MAPC_MAX_CHAIN);
}

static void binary(Checker *ck, Expr *e)
{
    struct CheckInfo *in = info(ck, e);
    BinOp op = e->u.binary.op;
    if (op == OP_AND || op == OP_OR) {
        ck_cond(ck, e->u.binary.left);
        ck_cond(ck, e->u.binary.right);
        in->type = CT_BOOL;
        return;
    }
    ck_expr(ck, e->u.binary.left);
    ck_expr(ck, e->u.binary.right);
    in = e->info;
    switch (op) {
    case OP_COALESCE:
        chain_limit(ck, e);
        *in = *e->u.binary.left->info;
        in->source = NULL;
        in->path = NULL;
        in->builtin = BI__COUNT;
        in->user = NULL;
        in->table = NULL;
        in->elementwise = false;
        join(in, e->u.binary.right->info);
        return;
    case OP_EQ: case OP_NE:
        in->type = CT_BOOL;
        equality(ck, e);
        return;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        in->type = CT_BOOL;
        ordering(ck, e);
        return;
    case OP_IN:
        in->type = CT_BOOL;
        membership(ck, e);
        return;
    default:
        arithmetic(ck, e, in);
        return;
    }
}

/* ---- calls ---- */

static bool stringish(CheckType t)
{
    return t == CT_STRING || t == CT_NUMBER || t == CT_DATE || t == CT_DATETIME;
}

/* A date, or text read as one. */
static bool datish(CheckType t)
{
    return t == CT_STRING || t == CT_DATE || t == CT_DATETIME;
}

/* Whether argument i of builtin id may be of type t. */
static bool arg_fits(BuiltinId id, size_t i, CheckType t)
{
    if (t == CT_ANY || t == CT_NULL)
        return true;
    if (t == CT_REF || t == CT_CLEAR || t == CT_OBJECT)
        return false;
    switch (id) {
    case BI_join: return i == 0 ? t == CT_LIST : stringish(t);
    case BI_len: case BI_hash: case BI_string: return true;
    case BI_contains: return i == 0 ? t == CT_LIST || stringish(t) : stringish(t) || t == CT_BOOL;
    case BI_starts_with: case BI_ends_with: return i == 0 ? t == CT_LIST || stringish(t) : stringish(t);
    case BI_number: return t == CT_STRING || t == CT_NUMBER || t == CT_BOOL;
    case BI_minutes: return t == CT_STRING || t == CT_NUMBER;
    case BI_date: case BI_datetime: return i == 0 ? stringish(t) : t == CT_STRING;
    case BI_truncate: return i == 0 ? stringish(t) : t == CT_NUMBER;
    case BI_substr: return i == 0 ? stringish(t) : t == CT_NUMBER;
    case BI_item: return i == 0 ? t == CT_LIST : t == CT_NUMBER;
    case BI_extract: return i == 0 ? stringish(t) : i == 1 ? t == CT_STRING : t == CT_NUMBER;
    case BI_add_days: case BI_add_months: return i == 0 ? datish(t) : t == CT_NUMBER;
    case BI_days_between: return datish(t);
    case BI_format_date: return i == 0 ? datish(t) : t == CT_STRING;
    case BI_file: return i == 0 ? t == CT_STRING || t == CT_FILE : t == CT_STRING;
    case BI_attachment: return i == 0 ? t == CT_LIST || t == CT_FILE : t == CT_STRING;
    default: return stringish(t);
    }
}

/* The target's schema folder as the mapping writes it, where `schema pull`
 * writes users.json too; NULL when the target names one file or none. */
static const char *target_folder(const Checker *ck)
{
    const Ast *ast = ck->out->ast;
    for (size_t i = 0; i < ast->count; i++) {
        const char *path = ast->items[i]->kind == IT_TARGET ? ast->items[i]->u.target.path : NULL;
        size_t n = path != NULL ? strlen(path) : 0;
        if (path != NULL)
            return n > 0 && (n < 5 || strcmp(path + n - 5, ".json") != 0) ? path : NULL;
    }
    return NULL;
}

/* False when user() cannot be resolved: no users file (E0110, once) or one
 * that did not load (E0113 said why). */
static bool users_ready(Checker *ck, const Expr *e)
{
    if (!ck->users_declared) {
        if (!ck->no_users_reported) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0110", e->u.call.name.span,
                                  "%s() needs the CRM's users, and the mapping names no users file",
                                  e->u.call.name.name);
            const char *dir = target_folder(ck);
            if (dir != NULL)
                diag_help(d, "add `users \"%s/users.json\"` (written there by `crmmap schema pull`)", dir);
            else
                diag_help(d, "add `users \"schemas/%s/users.json\"` (written by `crmmap schema pull`)",
                          ck->out->system[0] ? ck->out->system : "crm");
            ck->no_users_reported = true;
        }
        return false;
    }
    return ck->out->users != NULL;
}

/* Where the source records who captured the record: snapADDY's
 * createdByUserId, at the top or in the visit report. */
static const char *const creator_paths[] = { "createdByUserId", "visitreport.createdByUserId" };

/* creator() is user(PATH) with the creator's path, made here as the parser
 * would have; NULL (E0128 reported) when the source has no such field. */
static Expr *creator_key(Checker *ck, Expr *e)
{
    const char *path = NULL;
    for (size_t i = 0; i < sizeof creator_paths / sizeof *creator_paths && path == NULL; i++)
        if (ck->out->source == NULL || names_get(&ck->source_ix, creator_paths[i]))
            path = creator_paths[i];
    if (path == NULL) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0128", e->span,
                              "creator() reads the source field createdByUserId, and the source schema has none");
        diag_help(d, "add createdByUserId (type string) to the source schema, or name the field: user(visitreport.createdBy)");
        return NULL;
    }
    Expr *x = cm_arena_alloc(ck->arena, sizeof *x);
    x->kind = EX_PATH;
    x->span = e->span;
    x->depth = e->depth;
    size_t n = 1;
    for (const char *p = path; *p; p++)
        n += *p == '.';
    Ident *seg = cm_arena_alloc(ck->arena, n * sizeof *seg);
    const char *from = path;
    for (size_t i = 0; i < n; i++) {
        const char *dot = strchr(from, '.');
        size_t len = dot ? (size_t)(dot - from) : strlen(from);
        seg[i] = (Ident){ cm_arena_strndup(ck->arena, from, len), e->u.call.name.span };
        from += len + 1;
    }
    x->u.path.segments = seg;
    x->u.path.count = n;
    ck_expr(ck, x);
    return x;
}

/* user(x) with x known at run time: the key goes through the users file's
 * links then (docs/language.md, "Users"); an unlinked or inactive user
 * leaves the field out. */
static void user_at_run_time(Checker *ck, Expr *key, struct CheckInfo *in)
{
    CheckType t = key->info ? key->info->type : CT_ANY;
    if (t != CT_STRING && t != CT_ANY) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", key->span,
                              "user() looks a user up by a string, not %s %s", ck_a(check_type_name(t)),
                              check_type_name(t));
        diag_help(d, "pass the source field holding the snapADDY user id or e-mail: user(visitreport.createdByUserId)");
        in->type = CT_ANY;
        return;
    }
    const UsersFile *u = ck->out->users;
    for (size_t i = 0; i < u->nusers; i++) {
        uint32_t n = ck_chars(u->users[i].id, strlen(u->users[i].id));
        in->max_len = n > in->max_len ? n : in->max_len;
    }
    in->user_key = key;
}

static void user_call(Checker *ck, Expr *e, struct CheckInfo *in)
{
    in->type = CT_STRING;
    bool creator = strcmp(e->u.call.name.name, "creator") == 0;
    if (creator && e->u.call.count != 0) {
        diag_report(ck->sink, DIAG_ERROR, "E0105", e->span, "creator() takes no arguments");
        in->type = CT_ANY;
        return;
    }
    if (!creator && e->u.call.count != 1) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                              "user() takes one argument: an e-mail address or snapADDY id, or a source field holding one");
        diag_help(d, "user(\"anna.berger@example.com\") is looked up when the mapping is checked, user(visitreport.createdByUserId) when it runs");
        in->type = CT_ANY;
        return;
    }
    if (!users_ready(ck, e))
        return;
    Expr *key = creator ? creator_key(ck, e) : e->u.call.args[0];
    if (key == NULL)
        return;
    if (key->kind != EX_STRING) {
        user_at_run_time(ck, key, in);
        return;
    }
    const char *email = key->u.string.value;
    bool is_email = strchr(email, '@') != NULL;
    const UsersFile *u = ck->out->users;
    const User *user = users_find_key(u, email);
    if (user == NULL) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0110", key->span, is_email
                              ? "no %s user has the e-mail '%s'" : "no %s user is linked to the snapADDY id '%s'",
                              ck->out->system, email);
        const char **emails = cm_malloc((u->nusers + 1) * sizeof *emails);
        size_t n = 0;
        for (size_t i = 0; i < u->nusers; i++)
            if (u->users[i].email && u->users[i].active)
                emails[n++] = u->users[i].email;
        if (is_email)
            ck_suggest(ck, d, email, emails, n);
        cm_free(emails);
        diag_help(d, "the users file lists the CRM's users; pull it again if the user is new");
        return;
    }
    if (!user->active) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0110", key->span,
                              "the %s user '%s' is inactive", ck->out->system, email);
        diag_help(d, "records cannot be assigned to an inactive user; pick an active one");
        return;
    }
    in->user = user;
    in->max_len = user->id ? ck_chars(user->id, strlen(user->id)) : 0;
}

static void arity_error(Checker *ck, Expr *e, BuiltinId id)
{
    int min = builtins[id].min, max = builtins[id].max;
    size_t n = e->u.call.count;
    const char *name = builtins[id].name;
    if (max < 0)
        diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                    "%s() takes at least %d argument%s, not %zu", name, min, min == 1 ? "" : "s", n);
    else if (min == max)
        diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                    "%s() takes %d argument%s, not %zu", name, min, min == 1 ? "" : "s", n);
    else
        diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                    "%s() takes %d to %d arguments, not %zu", name, min, max, n);
}

/* xs[i] with xs not a list, or i not a number. */
static void index_error(Checker *ck, const Expr *e, size_t i, CheckType t)
{
    const Expr *a = e->u.call.args[i];
    const char *text = ck_text(ck, a);
    if (i == 0) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", a->span,
                              "only a list has items to pick with [...]; this is %s %s",
                              ck_a(check_type_name(t)), check_type_name(t));
        if (t == CT_STRING)
            diag_help(d, "split it into a list first: split(%s, \" \")[0]", text ? text : "...");
        return;
    }
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", a->span,
                          "an item's position must be a number; this is %s %s",
                          ck_a(check_type_name(t)), check_type_name(t));
    diag_help(d, "0 is the first item, -1 the last");
}

static uint32_t number_arg(const Expr *e)
{
    if (e->kind != EX_NUMBER || e->u.number.value < 1 || e->u.number.value > 1e9)
        return 0;
    return (uint32_t)e->u.number.value;
}

static void call_expr(Checker *ck, Expr *e)
{
    struct CheckInfo *in = info(ck, e);
    for (size_t i = 0; i < e->u.call.count; i++)
        ck_expr(ck, e->u.call.args[i]);
    in = e->info;
    const char *name = e->u.call.name.name;
    if (strcmp(name, "user") == 0 || strcmp(name, "creator") == 0) {
        user_call(ck, e, in);
        return;
    }
    if (strcmp(name, "label") == 0) {
        ck_label_call(ck, e, in);
        return;
    }
    BuiltinId id = find_builtin(name);
    if (id == BI__COUNT) {
        in->type = CT_ANY;
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0114", e->u.call.name.span,
                              "unknown function '%s'", name);
        ck_suggest(ck, d, name, function_names, sizeof function_names / sizeof *function_names);
        if (names_get(&ck->table_ix, name))
            diag_help(d, "%s is a table: look a value up with %s[...]", name, name);
        return;
    }
    in->builtin = id;
    in->type = builtins[id].result;
    int n = (int)e->u.call.count;
    if (n < builtins[id].min || (builtins[id].max >= 0 && n > builtins[id].max)) {
        arity_error(ck, e, id);
        in->type = CT_ANY;
        return;
    }
    for (size_t i = 0; i < e->u.call.count; i++) {
        const Expr *a = e->u.call.args[i];
        CheckType t = type_of(a);
        if (arg_fits(id, i, t))
            continue;
        if (e->u.call.index) {
            index_error(ck, e, i, t);
            continue;
        }
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", a->span,
                              "%s() cannot take %s %s here", builtins[id].name,
                              ck_a(check_type_name(t)), check_type_name(t));
        const char *text = ck_text(ck, a);
        if (t == CT_LIST)
            diag_help(d, "join the list into a string first: join(%s, \", \")", text ? text : "...");
        else if (t == CT_STRING)
            diag_help(d, "convert it: number(%s)", text ? text : "...");
        else if (t == CT_OBJECT)
            diag_help(d, "name one of its fields, e.g. %s.id", text ? text : "visitreport");
    }
    const struct CheckInfo *a0 = e->u.call.count ? e->u.call.args[0]->info : NULL;
    uint32_t arg_len = a0 && a0->type == CT_STRING ? a0->max_len : 0;
    switch (id) {
    case BI_lower: case BI_upper: case BI_trim: case BI_title: case BI_digits:
    case BI_street_name: case BI_house_number: case BI_string:
        in->max_len = arg_len;
        break;
    case BI_truncate: {
        uint32_t n1 = number_arg(e->u.call.args[1]);
        in->max_len = n1 && (arg_len == 0 || n1 < arg_len) ? n1 : arg_len;
        break;
    }
    case BI_substr: {
        uint32_t n2 = e->u.call.count > 2 ? number_arg(e->u.call.args[2]) : 0;
        in->max_len = n2 && (arg_len == 0 || n2 < arg_len) ? n2 : arg_len;
        break;
    }
    case BI_e164:
        in->max_len = 16;   /* '+' and at most 15 digits */
        break;
    case BI_hash:
        in->max_len = 64;   /* SHA-256 in hex (docs/builtins.md) */
        break;
    case BI_date: case BI_datetime:
        ck_date_format(ck, e);
        break;
    default:
        ck_call_rules(ck, e, in);
        break;
    }
}

/* ---- tables ---- */

/* Most missing options an E0107 names. */
enum { OPTIONS_SHOWN = 12 };

/* Lookups on a select answer: every table key must be an option (E0106) and,
 * without `else`, every option a key (E0107). Once per table and field. */
static void coverage(Checker *ck, const Item *t, const Expr *lookup, const Field *f)
{
    CmBuf pair = CM_BUF_INIT;
    cm_buf_printf(&pair, "%s\x1f%s", t->u.table.name.name, f->name);
    char *key = cm_arena_strndup(ck->arena, pair.data, pair.len);
    cm_buf_free(&pair);
    if (names_put(&ck->seen_pairs, key, key) || f->nvalues == 0)
        return;
    for (size_t i = 0; i < t->u.table.count; i++) {
        const Expr *k = t->u.table.entries[i].key;
        if (is_literal(k) && k->info)
            against_options(ck, lookup->u.lookup.key, k);
    }
    if (t->u.table.else_value)
        return;
    NameIndex keys;
    names_init(&keys, t->u.table.count);
    for (size_t j = 0; j < t->u.table.count; j++) {
        const char *text = literal_text(t->u.table.entries[j].key);
        if (text)
            names_put(&keys, text, text);
    }
    CmBuf missing = CM_BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < f->nvalues; i++) {
        const PickValue *v = &f->values[i];
        if (!v->active || names_get(&keys, v->value))
            continue;
        if (++n > OPTIONS_SHOWN)
            continue;
        if (n > 1)
            cm_buf_puts(&missing, ", ");
        cm_buf_put_json_string(&missing, v->value, strlen(v->value));
    }
    names_free(&keys);
    if (n > OPTIONS_SHOWN)
        cm_buf_printf(&missing, " and %zu more", n - OPTIONS_SHOWN);
    if (n) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0107", lookup->u.lookup.table.span,
                              "table %s does not cover every option of %s", t->u.table.name.name, f->name);
        diag_help(d, "add %s for %s", n == 1 ? "an entry" : "entries", missing.data);
        diag_help(d, "or end the table with `else -> VALUE` (%s)", ck_line_of(ck, t->span));
    }
    cm_buf_free(&missing);
}

/* What a table's values have in common (type, longest string). */
static struct CheckInfo table_values(const Item *t)
{
    struct CheckInfo acc = { .type = CT_NULL };
    for (size_t i = 0; i <= t->u.table.count; i++) {
        const Expr *v = i < t->u.table.count ? t->u.table.entries[i].value : t->u.table.else_value;
        if (v && v->info)
            join(&acc, v->info);
    }
    return acc;
}

CheckType ck_table_type(const Item *t)
{
    return table_values(t).type;
}

/* name[i] where name is no table but a source field: the field's item i,
 * so e becomes item(name, i) written as an index. */
static bool as_index(Checker *ck, Expr *e)
{
    const char *name = e->u.lookup.table.name;
    if (names_get(&ck->table_ix, name) || ck->out->source == NULL || !names_get(&ck->source_ix, name))
        return false;
    Expr *base = cm_arena_alloc(ck->arena, sizeof *base);
    base->kind = EX_PATH;
    base->span = e->u.lookup.table.span;
    base->depth = 1;
    base->u.path.segments = cm_arena_alloc(ck->arena, sizeof *base->u.path.segments);
    base->u.path.segments[0] = e->u.lookup.table;
    base->u.path.count = 1;
    Expr **args = cm_arena_alloc(ck->arena, 2 * sizeof *args);
    args[0] = base;
    args[1] = e->u.lookup.key;
    e->kind = EX_CALL;
    e->u.call.name.name = "item";
    e->u.call.name.span = base->span;
    e->u.call.args = args;
    e->u.call.count = 2;
    e->u.call.index = true;
    return true;
}

static void lookup_expr(Checker *ck, Expr *e)
{
    if (as_index(ck, e)) {
        call_expr(ck, e);
        return;
    }
    struct CheckInfo *in = info(ck, e);
    Expr *key = e->u.lookup.key;
    ck_expr(ck, key);
    in = e->info;
    in->type = CT_ANY;
    const char *name = e->u.lookup.table.name;
    const Item *t = names_get(&ck->table_ix, name);
    if (t == NULL) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0114", e->u.lookup.table.span,
                              "unknown table '%s'", name);
        const char **names = cm_malloc((ck->out->ntables + 1) * sizeof *names);
        for (size_t i = 0; i < ck->out->ntables; i++)
            names[i] = ck->out->tables[i]->u.table.name.name;
        ck_suggest(ck, d, name, names, ck->out->ntables);
        cm_free(names);
        if (find_builtin(name) != BI__COUNT)
            diag_help(d, "%s is a function: call it with %s(...)", name, name);
        return;
    }
    in->table = t;
    CheckType kt = type_of(key);
    in->elementwise = kt == CT_LIST;
    struct CheckInfo acc = table_values(t);
    in->type = acc.type;
    in->max_len = acc.max_len;
    if (in->elementwise)
        in->type = CT_LIST;     /* max_len bounds each item */
    /* Keys are compared as written: a string key never equals a number. */
    CheckType elem = kt == CT_LIST ? CT_STRING : kt;
    for (size_t i = 0; i < t->u.table.count && (elem == CT_STRING || elem == CT_NUMBER || elem == CT_BOOL); i++) {
        const Expr *k = t->u.table.entries[i].key;
        CheckType ktype = k->kind == EX_STRING ? CT_STRING : k->kind == EX_NUMBER ? CT_NUMBER
                        : k->kind == EX_BOOL ? CT_BOOL : CT_ANY;
        if (ktype == CT_ANY || ktype == elem)
            continue;
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", key->span,
                              "table %s has %s keys, but this key is %s %s", name,
                              check_type_name(ktype), ck_a(check_type_name(elem)), check_type_name(elem));
        const char *text = ck_text(ck, key);
        if (ktype == CT_NUMBER || ktype == CT_STRING)
            diag_help(d, "convert the key: %s[%s(%s)]", name, conversion_for(ktype), text ? text : "...");
        return;
    }
    if (has_options(key))
        coverage(ck, t, e, key->info->options);
    else
        ck_open_lookup(ck, t, e);
}

/* W0202 when x equals one already in seen (a table key, a case condition):
 * the earlier one always wins. 'what' ends "... is"; the line follows. */
static void warn_repeated(Checker *ck, ExprSet *seen, const Expr *x, const char *what, const char *help)
{
    const Expr *earlier = ck_exprset_add(seen, x);
    if (earlier) {
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0202", x->span, "%s on line %u", what,
                              ck_line(earlier->span));
        diag_help(d, "%s", help);
    }
}

void ck_table(Checker *ck, Item *t)
{
    ExprSet keys;
    ck_exprset_init(&keys, t->u.table.count);
    for (size_t i = 0; i < t->u.table.count; i++) {
        TableEntry *en = &t->u.table.entries[i];
        ck_expr(ck, en->key);
        ck_expr(ck, en->value);
        if (en->key->kind == EX_LIST) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", en->key->span,
                                  "a table key is one value, not a list");
            diag_help(d, "write one entry per key");
            continue;
        }
        warn_repeated(ck, &keys, en->key, "this entry can never match: the key is already",
                      "the first entry with a key wins; remove this one");
    }
    ck_exprset_free(&keys);
    if (t->u.table.else_value)
        ck_expr(ck, t->u.table.else_value);
}

/* ---- refs ---- */

static bool names_entity(const Item *it, const char *name)
{
    return it->kind == IT_ENTITY && strcmp(it->u.entity.name.name, name) == 0;
}

static void ref_expr(Checker *ck, Expr *e)
{
    struct CheckInfo *in = info(ck, e);
    in->type = CT_REF;
    in->ref = SIZE_MAX;
    const Checked *out = ck->out;
    if (ck->target == NULL) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0111", e->span,
                              "a let outside the entities cannot ref an entity");
        diag_help(d, "declare the let inside the entity that links to %s", e->u.ref.entity.name);
        return;
    }
    const char *name = e->u.ref.entity.name;
    for (size_t j = ck->entity; j-- > 0;)
        if (names_entity(out->entities[j].item, name)) {
            in->ref = j;
            return;
        }
    const CheckedEntity *self = &out->entities[ck->entity];
    bool later = false;
    const Ast *ast = out->ast;
    /* by place in the item list: an included file's offsets are its own */
    bool past = false;
    for (size_t i = 0; i < ast->count; i++) {
        later |= past && names_entity(ast->items[i], name);
        past |= ast->items[i] == self->item;
    }
    Diag *d;
    if (names_entity(self->item, name) && !later) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0111", e->u.ref.entity.span,
                        "entity %s cannot ref itself", name);
        diag_help(d, "`ref` links to a record an earlier entity produced for the same source record");
    } else if (later) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0111", e->u.ref.entity.span,
                        "%s is mapped after this entity", name);
        diag_help(d, "entities run in file order: move entity %s above entity %s",
                  name, self->item->u.entity.name.name);
    } else {
        d = diag_report(ck->sink, DIAG_ERROR, "E0111", e->u.ref.entity.span,
                        "no entity %s is mapped before this one", name);
        const char **names = cm_malloc((ck->entity + 1) * sizeof *names);
        for (size_t j = 0; j < ck->entity; j++)
            names[j] = out->entities[j].item->u.entity.name.name;
        ck_suggest(ck, d, name, names, ck->entity);
        cm_free(names);
        diag_help(d, "`ref` links to a record an earlier entity produced; map %s first", name);
    }
    in->type = CT_ANY;
}

/* ---- case and if ---- */

static void case_expr(Checker *ck, Expr *e)
{
    ExprSet conds;
    ck_exprset_init(&conds, e->u.case_e.count);
    struct CheckInfo acc = { .type = CT_NULL };
    bool always = false;
    uint32_t always_line = 0;
    for (size_t i = 0; i < e->u.case_e.count; i++) {
        CaseArm *arm = &e->u.case_e.arms[i];
        ck_cond(ck, arm->cond);
        ck_expr(ck, arm->value);
        join(&acc, arm->value->info);
        if (always) {
            Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0202", arm->cond->span,
                                  "this branch can never match: the branch on line %u always matches",
                                  always_line);
            diag_help(d, "the first branch that matches wins; remove this one or move it up");
            continue;
        }
        if (arm->cond->kind == EX_BOOL) {
            if (arm->cond->u.boolean) {
                always = true;
                always_line = ck_line(arm->span);
            } else {
                Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0202", arm->cond->span,
                                      "this branch can never match: its condition is false");
                diag_help(d, "remove the branch");
            }
            continue;
        }
        warn_repeated(ck, &conds, arm->cond, "this branch can never match: the same condition is",
                      "the first branch that matches wins; remove this one or change its condition");
    }
    ck_exprset_free(&conds);
    if (e->u.case_e.else_e) {
        ck_expr(ck, e->u.case_e.else_e);
        join(&acc, e->u.case_e.else_e->info);
    } else if (!always) {
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0203", ck_head(e->span, 4),
                              "`case` has no `else`: records that match no branch get no value");
        diag_help(d, "add `else VALUE` before the closing brace (`else null` leaves the field untouched)");
    }
    struct CheckInfo *in = info(ck, e);
    in->type = acc.type;
    in->max_len = acc.max_len;
    in->options = acc.options;
}

static void if_expr(Checker *ck, Expr *e)
{
    ck_cond(ck, e->u.if_e.cond);
    ck_expr(ck, e->u.if_e.then_e);
    ck_expr(ck, e->u.if_e.else_e);
    struct CheckInfo acc = { .type = CT_NULL };
    join(&acc, e->u.if_e.then_e->info);
    join(&acc, e->u.if_e.else_e->info);
    struct CheckInfo *in = info(ck, e);
    in->type = acc.type;
    in->max_len = acc.max_len;
    in->options = acc.options;
}

/* ---- entry points ---- */

void ck_expr(Checker *ck, Expr *e)
{
    struct CheckInfo *in;
    switch (e->kind) {
    case EX_NULL: info(ck, e)->type = CT_NULL; break;
    case EX_BOOL: info(ck, e)->type = CT_BOOL; break;
    case EX_NUMBER: info(ck, e)->type = CT_NUMBER; break;
    case EX_CLEAR: info(ck, e)->type = CT_CLEAR; break;
    case EX_STRING:
        in = info(ck, e);
        in->type = CT_STRING;
        in->max_len = ck_chars(e->u.string.value, e->u.string.len);
        break;
    case EX_LIST:
        for (size_t i = 0; i < e->u.list.count; i++)
            ck_expr(ck, e->u.list.items[i]);
        info(ck, e)->type = CT_LIST;
        break;
    case EX_PATH: path_expr(ck, e); break;
    case EX_CALL: call_expr(ck, e); break;
    case EX_LOOKUP: lookup_expr(ck, e); break;
    case EX_REF: ref_expr(ck, e); break;
    case EX_UNARY:
        if (e->u.unary.op == OP_NOT) {
            ck_cond(ck, e->u.unary.operand);
            info(ck, e)->type = CT_BOOL;
        } else {
            ck_expr(ck, e->u.unary.operand);
            CheckType t = type_of(e->u.unary.operand);
            in = info(ck, e);
            in->type = CT_NUMBER;
            if (t != CT_NUMBER && !unknown(t)) {
                Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                                      "`-` needs a number; this is %s %s",
                                      ck_a(check_type_name(t)), check_type_name(t));
                if (t == CT_STRING)
                    diag_help(d, "convert it: -number(...)");
                in->type = CT_ANY;
            }
        }
        break;
    case EX_BINARY: binary(ck, e); break;
    case EX_IF: if_expr(ck, e); break;
    case EX_CASE: case_expr(ck, e); break;
    }
}

void ck_cond(Checker *ck, Expr *e)
{
    ck_expr(ck, e);
    CheckType t = type_of(e);
    if (t == CT_BOOL || unknown(t))
        return;
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0105", e->span,
                          "a condition must be true or false; this is %s %s",
                          ck_a(check_type_name(t)), check_type_name(t));
    const char *text = ck_text(ck, e);
    if (t != CT_NULL && t != CT_CLEAR)
        diag_help(d, "to test whether it has a value write %s != null", text ? text : "...");
}

/* ---- structural equality and hashing ---- */

static bool same_ident(const Ident *a, const Ident *b)
{
    return strcmp(a->name, b->name) == 0;
}

bool ck_expr_equal(const Expr *a, const Expr *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case EX_NULL: case EX_CLEAR: return true;
    case EX_BOOL: return a->u.boolean == b->u.boolean;
    case EX_NUMBER: return a->u.number.value == b->u.number.value;
    case EX_STRING:
        return a->u.string.len == b->u.string.len
            && memcmp(a->u.string.value, b->u.string.value, a->u.string.len) == 0;
    case EX_LIST:
        if (a->u.list.count != b->u.list.count)
            return false;
        for (size_t i = 0; i < a->u.list.count; i++)
            if (!ck_expr_equal(a->u.list.items[i], b->u.list.items[i]))
                return false;
        return true;
    case EX_PATH:
        if (a->u.path.count != b->u.path.count)
            return false;
        for (size_t i = 0; i < a->u.path.count; i++)
            if (!same_ident(&a->u.path.segments[i], &b->u.path.segments[i]))
                return false;
        return true;
    case EX_CALL:
        if (!same_ident(&a->u.call.name, &b->u.call.name) || a->u.call.count != b->u.call.count)
            return false;
        for (size_t i = 0; i < a->u.call.count; i++)
            if (!ck_expr_equal(a->u.call.args[i], b->u.call.args[i]))
                return false;
        return true;
    case EX_LOOKUP:
        return same_ident(&a->u.lookup.table, &b->u.lookup.table)
            && ck_expr_equal(a->u.lookup.key, b->u.lookup.key);
    case EX_REF: return same_ident(&a->u.ref.entity, &b->u.ref.entity);
    case EX_UNARY:
        return a->u.unary.op == b->u.unary.op && ck_expr_equal(a->u.unary.operand, b->u.unary.operand);
    case EX_BINARY:
        return a->u.binary.op == b->u.binary.op && ck_expr_equal(a->u.binary.left, b->u.binary.left)
            && ck_expr_equal(a->u.binary.right, b->u.binary.right);
    case EX_IF:
        return ck_expr_equal(a->u.if_e.cond, b->u.if_e.cond)
            && ck_expr_equal(a->u.if_e.then_e, b->u.if_e.then_e)
            && ck_expr_equal(a->u.if_e.else_e, b->u.if_e.else_e);
    case EX_CASE:
        if (a->u.case_e.count != b->u.case_e.count || !ck_expr_equal(a->u.case_e.else_e, b->u.case_e.else_e))
            return false;
        for (size_t i = 0; i < a->u.case_e.count; i++)
            if (!ck_expr_equal(a->u.case_e.arms[i].cond, b->u.case_e.arms[i].cond)
                || !ck_expr_equal(a->u.case_e.arms[i].value, b->u.case_e.arms[i].value))
                return false;
        return true;
    }
    return false;
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211u;
    }
    return h;
}

static uint64_t mix_name(uint64_t h, const Ident *id)
{
    return mix(h, id->name, strlen(id->name) + 1);
}

/* Equal expressions (ck_expr_equal) hash alike. */
static uint64_t expr_hash(const Expr *e)
{
    uint64_t h = 1469598103934665603u;
    if (e == NULL)
        return h;
    int kind = (int)e->kind;
    h = mix(h, &kind, sizeof kind);
    uint64_t sub;
    switch (e->kind) {
    case EX_NULL: case EX_CLEAR: break;
    case EX_BOOL: h = mix(h, &e->u.boolean, sizeof e->u.boolean); break;
    case EX_NUMBER: {
        double v = e->u.number.value == 0 ? 0 : e->u.number.value;    /* -0 == 0 */
        h = mix(h, &v, sizeof v);
        break;
    }
    case EX_STRING: h = mix(h, e->u.string.value, e->u.string.len); break;
    case EX_LIST:
        for (size_t i = 0; i < e->u.list.count; i++)
            sub = expr_hash(e->u.list.items[i]), h = mix(h, &sub, sizeof sub);
        break;
    case EX_PATH:
        for (size_t i = 0; i < e->u.path.count; i++)
            h = mix_name(h, &e->u.path.segments[i]);
        break;
    case EX_CALL:
        h = mix_name(h, &e->u.call.name);
        for (size_t i = 0; i < e->u.call.count; i++)
            sub = expr_hash(e->u.call.args[i]), h = mix(h, &sub, sizeof sub);
        break;
    case EX_LOOKUP:
        h = mix_name(h, &e->u.lookup.table);
        sub = expr_hash(e->u.lookup.key), h = mix(h, &sub, sizeof sub);
        break;
    case EX_REF: h = mix_name(h, &e->u.ref.entity); break;
    case EX_UNARY:
        h = mix(h, &e->u.unary.op, sizeof e->u.unary.op);
        sub = expr_hash(e->u.unary.operand), h = mix(h, &sub, sizeof sub);
        break;
    case EX_BINARY:
        h = mix(h, &e->u.binary.op, sizeof e->u.binary.op);
        sub = expr_hash(e->u.binary.left), h = mix(h, &sub, sizeof sub);
        sub = expr_hash(e->u.binary.right), h = mix(h, &sub, sizeof sub);
        break;
    case EX_IF:
        sub = expr_hash(e->u.if_e.cond), h = mix(h, &sub, sizeof sub);
        sub = expr_hash(e->u.if_e.then_e), h = mix(h, &sub, sizeof sub);
        sub = expr_hash(e->u.if_e.else_e), h = mix(h, &sub, sizeof sub);
        break;
    case EX_CASE:
        for (size_t i = 0; i < e->u.case_e.count; i++) {
            sub = expr_hash(e->u.case_e.arms[i].cond), h = mix(h, &sub, sizeof sub);
            sub = expr_hash(e->u.case_e.arms[i].value), h = mix(h, &sub, sizeof sub);
        }
        sub = expr_hash(e->u.case_e.else_e), h = mix(h, &sub, sizeof sub);
        break;
    }
    return h;
}

void ck_exprset_init(ExprSet *s, size_t expected)
{
    s->cap = 16;
    while (s->cap < 2 * expected + 2)
        s->cap *= 2;
    s->items = cm_calloc(s->cap, sizeof *s->items);
    s->hashes = cm_calloc(s->cap, sizeof *s->hashes);
}

const Expr *ck_exprset_add(ExprSet *s, const Expr *e)
{
    uint64_t h = expr_hash(e);
    size_t i = (size_t)h & (s->cap - 1);
    for (; s->items[i]; i = (i + 1) & (s->cap - 1))
        if (s->hashes[i] == h && ck_expr_equal(s->items[i], e))
            return s->items[i];
    s->items[i] = e;    /* never fuller than half: the caller sized it */
    s->hashes[i] = h;
    return NULL;
}

void ck_exprset_free(ExprSet *s)
{
    cm_free(s->items);
    cm_free(s->hashes);
}
