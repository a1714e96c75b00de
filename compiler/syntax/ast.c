/* ast: the golden-test dump of a tree and the names of operators; see ast.h. */
#include "ast.h"

#include <string.h>

const char *ast_binop_text(BinOp op)
{
    static const char *const names[] = {
        [OP_COALESCE] = "??", [OP_OR] = "or", [OP_AND] = "and",
        [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
        [OP_GT] = ">", [OP_GE] = ">=", [OP_IN] = "in",
        [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/",
    };
    return names[op];
}

const char *ast_mode_text(EntityMode m)
{
    return m == MODE_CREATE ? "create" : m == MODE_UPDATE ? "update" : "upsert";
}

static const char *own_text(Ownership o)
{
    switch (o) {
    case OWN_SOURCE: return "master source";
    case OWN_CRM: return "master crm";
    case OWN_ON_CREATE: return "on create";
    default: return "default";
    }
}

typedef struct Dumper {
    CmBuf *out;
    bool spans;
} Dumper;

static void indent(Dumper *d, int level)
{
    for (int i = 0; i < level; i++)
        cm_buf_puts(d->out, "  ");
}

static void span(Dumper *d, Span sp)
{
    if (!d->spans || sp.src == NULL)
        return;
    uint32_t l1, c1, l2, c2;
    diag_position(sp.src, sp.start, &l1, &c1);
    diag_position(sp.src, sp.end, &l2, &c2);
    cm_buf_printf(d->out, " @%u:%u-%u:%u", l1, c1, l2, c2);
}

static void str(Dumper *d, const char *s, size_t n)
{
    cm_buf_put_json_string(d->out, s, n);
}

static void expr(Dumper *d, const Expr *e, int level);

/* The head of an item that names a string: "(HEAD [NAME] "TEXT"". */
static void quoted_item(Dumper *d, const char *head, const char *name, const char *text)
{
    cm_buf_puts(d->out, head);
    if (name != NULL)
        cm_buf_printf(d->out, " %s", name);
    cm_buf_putc(d->out, ' ');
    str(d, text, strlen(text));
}

static void child(Dumper *d, const Expr *e, int level)
{
    cm_buf_putc(d->out, '\n');
    expr(d, e, level);
}

/* A labelled sub-list on its own line: case arms, else, a statement's when. */
static void open_clause(Dumper *d, const char *label, int level)
{
    cm_buf_putc(d->out, '\n');
    indent(d, level);
    cm_buf_puts(d->out, label);
}

static void clause(Dumper *d, const char *label, const Expr *e, int level)
{
    open_clause(d, label, level);
    child(d, e, level + 1);
    cm_buf_putc(d->out, ')');
}

/* The rest of a node whose head is printed: its span, its operands a level
 * deeper, and the closing parenthesis. */
static void operands(Dumper *d, const Expr *e, Expr *const *kids, size_t n, int level)
{
    span(d, e->span);
    for (size_t i = 0; i < n; i++)
        child(d, kids[i], level + 1);
    cm_buf_putc(d->out, ')');
}

static void expr(Dumper *d, const Expr *e, int level)
{
    indent(d, level);
    if (e->depth > AST_MAX_DEPTH) {
        cm_buf_puts(d->out, "(too-deep)");
        return;
    }
    switch (e->kind) {
    case EX_NULL: cm_buf_puts(d->out, "(null"); break;
    case EX_BOOL: cm_buf_puts(d->out, e->u.boolean ? "(true" : "(false"); break;
    case EX_CLEAR: cm_buf_puts(d->out, "(clear"); break;
    case EX_NUMBER: cm_buf_printf(d->out, "(number %s", e->u.number.text); break;
    case EX_STRING:
        cm_buf_puts(d->out, "(string ");
        str(d, e->u.string.value, e->u.string.len);
        break;
    case EX_PATH:
        cm_buf_puts(d->out, "(path");
        for (size_t i = 0; i < e->u.path.count; i++) {
            cm_buf_putc(d->out, ' ');
            str(d, e->u.path.segments[i].name, strlen(e->u.path.segments[i].name));
        }
        break;
    case EX_REF: cm_buf_printf(d->out, "(ref %s", e->u.ref.entity.name); break;
    case EX_LIST:
        cm_buf_puts(d->out, "(list");
        operands(d, e, e->u.list.items, e->u.list.count, level);
        return;
    case EX_CALL:
        cm_buf_printf(d->out, e->u.call.index ? "(index" : "(call %s", e->u.call.name.name);
        operands(d, e, e->u.call.args, e->u.call.count, level);
        return;
    case EX_LOOKUP:
        cm_buf_printf(d->out, "(lookup %s", e->u.lookup.table.name);
        operands(d, e, &e->u.lookup.key, 1, level);
        return;
    case EX_UNARY:
        cm_buf_puts(d->out, e->u.unary.op == OP_NEG ? "(neg" : "(not");
        operands(d, e, &e->u.unary.operand, 1, level);
        return;
    case EX_BINARY: {
        Expr *const kids[] = { e->u.binary.left, e->u.binary.right };
        cm_buf_printf(d->out, "(%s", ast_binop_text(e->u.binary.op));
        operands(d, e, kids, 2, level);
        return;
    }
    case EX_IF: {
        Expr *const kids[] = { e->u.if_e.cond, e->u.if_e.then_e, e->u.if_e.else_e };
        cm_buf_puts(d->out, "(if");
        operands(d, e, kids, 3, level);
        return;
    }
    case EX_CASE:
        cm_buf_puts(d->out, "(case");
        span(d, e->span);
        for (size_t i = 0; i < e->u.case_e.count; i++) {
            open_clause(d, "(when", level + 1);
            span(d, e->u.case_e.arms[i].span);
            child(d, e->u.case_e.arms[i].cond, level + 2);
            child(d, e->u.case_e.arms[i].value, level + 2);
            cm_buf_putc(d->out, ')');
        }
        if (e->u.case_e.else_e)
            clause(d, "(else", e->u.case_e.else_e, level + 1);
        cm_buf_putc(d->out, ')');
        return;
    }
    span(d, e->span);
    cm_buf_putc(d->out, ')');
}

static void stmt(Dumper *d, const Stmt *s, int level)
{
    indent(d, level);
    switch (s->kind) {
    case ST_ASSIGN:
        cm_buf_puts(d->out, "(assign ");
        if (s->u.assign.quoted)
            cm_buf_put_json_string(d->out, s->u.assign.field.name, strlen(s->u.assign.field.name));
        else
            cm_buf_puts(d->out, s->u.assign.field.name);
        if (s->own != OWN_DEFAULT)
            cm_buf_printf(d->out, " [%s]", own_text(s->own));
        span(d, s->span);
        child(d, s->u.assign.value, level + 1);
        if (s->u.assign.when)
            clause(d, "(when", s->u.assign.when, level + 1);
        break;
    case ST_BLOCK:
        cm_buf_printf(d->out, "(block [%s]", own_text(s->own));
        span(d, s->span);
        for (size_t i = 0; i < s->u.block.count; i++) {
            cm_buf_putc(d->out, '\n');
            stmt(d, s->u.block.stmts[i], level + 1);
        }
        break;
    case ST_LET:
        cm_buf_printf(d->out, "(let %s", s->u.let.name.name);
        span(d, s->span);
        child(d, s->u.let.value, level + 1);
        break;
    case ST_REJECT:
        cm_buf_puts(d->out, "(reject ");
        str(d, s->u.reject.message, strlen(s->u.reject.message));
        span(d, s->span);
        child(d, s->u.reject.when, level + 1);
        break;
    }
    cm_buf_putc(d->out, ')');
}

void ast_dump(const Ast *ast, CmBuf *out, bool with_spans)
{
    Dumper dd = { out, with_spans }, *d = &dd;
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        switch (it->kind) {
        case IT_MAPPING:
            quoted_item(d, "(mapping", NULL, it->u.mapping.name);
            break;
        case IT_SOURCE:
            quoted_item(d, "(source", it->u.source.name.name, it->u.source.path);
            break;
        case IT_TARGET:
            quoted_item(d, "(target", it->u.target.system.name, it->u.target.path);
            break;
        case IT_USERS:
            quoted_item(d, "(users", NULL, it->u.users.path);
            break;
        case IT_INCLUDE:
            quoted_item(d, "(include", NULL, it->u.include.path);
            break;
        case IT_TABLE:
            cm_buf_printf(out, "(table %s", it->u.table.name.name);
            span(d, it->span);
            for (size_t k = 0; k < it->u.table.count; k++) {
                cm_buf_puts(out, "\n  (entry");
                child(d, it->u.table.entries[k].key, 2);
                child(d, it->u.table.entries[k].value, 2);
                cm_buf_putc(out, ')');
            }
            if (it->u.table.else_value) {
                cm_buf_puts(out, "\n  (else");
                child(d, it->u.table.else_value, 2);
                cm_buf_putc(out, ')');
            }
            cm_buf_puts(out, ")\n");
            continue;
        case IT_LET:
        case IT_PARAM:
            cm_buf_printf(out, "(%s %s", it->kind == IT_LET ? "let" : "param", it->u.let.name.name);
            span(d, it->span);
            child(d, it->u.let.value, 1);
            cm_buf_puts(out, ")\n");
            continue;
        case IT_ENTITY:
            cm_buf_printf(out, "(entity %s %s", it->u.entity.name.name, ast_mode_text(it->u.entity.mode));
            if (it->u.entity.by.name)
                cm_buf_printf(out, " by=%s", it->u.entity.by.name);
            if (it->u.entity.key.name)
                cm_buf_printf(out, " key=%s", it->u.entity.key.name);
            if (it->u.entity.fallback.name)
                cm_buf_printf(out, " fallback_of=%s", it->u.entity.fallback.name);
            if (it->u.entity.master != OWN_DEFAULT)
                cm_buf_printf(out, " [%s]", own_text(it->u.entity.master));
            span(d, it->span);
            if (it->u.entity.when) {
                cm_buf_puts(out, "\n  (when");
                child(d, it->u.entity.when, 2);
                cm_buf_putc(out, ')');
            }
            for (size_t k = 0; k < it->u.entity.count; k++) {
                cm_buf_putc(out, '\n');
                stmt(d, it->u.entity.stmts[k], 1);
            }
            cm_buf_puts(out, ")\n");
            continue;
        }
        span(d, it->span);
        cm_buf_puts(out, ")\n");
    }
}

void ast_expr_each(const Expr *e, AstExprFn fn, void *ctx)
{
    if (e == NULL || e->depth > AST_MAX_DEPTH)
        return;
    fn(e, ctx);
    switch (e->kind) {
    case EX_LIST:
        for (size_t i = 0; i < e->u.list.count; i++)
            ast_expr_each(e->u.list.items[i], fn, ctx);
        break;
    case EX_CALL:
        for (size_t i = 0; i < e->u.call.count; i++)
            ast_expr_each(e->u.call.args[i], fn, ctx);
        break;
    case EX_LOOKUP: ast_expr_each(e->u.lookup.key, fn, ctx); break;
    case EX_UNARY: ast_expr_each(e->u.unary.operand, fn, ctx); break;
    case EX_BINARY:
        ast_expr_each(e->u.binary.left, fn, ctx);
        ast_expr_each(e->u.binary.right, fn, ctx);
        break;
    case EX_IF:
        ast_expr_each(e->u.if_e.cond, fn, ctx);
        ast_expr_each(e->u.if_e.then_e, fn, ctx);
        ast_expr_each(e->u.if_e.else_e, fn, ctx);
        break;
    case EX_CASE:
        for (size_t i = 0; i < e->u.case_e.count; i++) {
            ast_expr_each(e->u.case_e.arms[i].cond, fn, ctx);
            ast_expr_each(e->u.case_e.arms[i].value, fn, ctx);
        }
        ast_expr_each(e->u.case_e.else_e, fn, ctx);
        break;
    default:
        break;
    }
}
