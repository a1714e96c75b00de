/* ast_build: node constructors for the grammar, and ast_parse itself. */
#include "ast_build.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "cm_utf8.h"
#include "parser.h"
#include "lexer.h"

Span ps_span(const ParseState *st, Loc loc)
{
    return diag_span(st->src, loc.start, loc.end);
}

Diag *ps_error(ParseState *st, Loc loc, const char *fmt, ...)
{
    CmBuf b = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    Diag *d = diag_report(st->sink, DIAG_ERROR, "E0001", ps_span(st, loc), "%s", b.data);
    cm_buf_free(&b);
    st->errors++;
    return d;
}

/* ---- vectors ---- */

Vec ab_vec(void)
{
    Vec v = { NULL, 0, 0 };
    return v;
}

static void *vec_slot(ParseState *st, Vec *v, size_t elem)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4;
        void *items = cm_arena_alloc(&st->ast->arena, cap * elem);
        if (v->count)
            memcpy(items, v->items, v->count * elem);
        v->items = items;
        v->cap = cap;
    }
    return (char *)v->items + v->count++ * elem;
}

void ab_push(ParseState *st, Vec *v, void *p)
{
    *(void **)vec_slot(st, v, sizeof(void *)) = p;
}

void ab_push_segment(ParseState *st, Vec *v, const char *name, Loc loc)
{
    *(Ident *)vec_slot(st, v, sizeof(Ident)) = ab_ident(st, name, loc);
}

void ab_push_arm(ParseState *st, Vec *v, CaseArm arm)
{
    *(CaseArm *)vec_slot(st, v, sizeof(CaseArm)) = arm;
}

void ab_push_entry(ParseState *st, Vec *v, TableEntry e)
{
    *(TableEntry *)vec_slot(st, v, sizeof(TableEntry)) = e;
}

/* ---- names and spans ---- */

Loc ab_loc(Loc a, Loc b)
{
    Loc l = { a.start, b.end > a.start ? b.end : a.end };
    return l;
}

Ident ab_ident(ParseState *st, const char *name, Loc loc)
{
    Ident id = { name, ps_span(st, loc) };
    return id;
}

Ident ab_no_ident(void)
{
    Ident id = { NULL, { NULL, 0, 0 } };
    return id;
}

/* ---- expressions ---- */

static Expr *new_expr(ParseState *st, Loc loc, ExprKind kind)
{
    Expr *e = cm_arena_alloc(&st->ast->arena, sizeof *e);
    e->kind = kind;
    e->span = ps_span(st, loc);
    e->depth = 1;
    return e;
}

/* Depth caps what recursive passes (checker, fmt, codegen) will walk. */
static void deepen(ParseState *st, Expr *e, const Expr *child)
{
    if (child == NULL || child->depth + 1 <= e->depth)
        return;
    e->depth = child->depth + 1;
    if (e->depth > AST_MAX_DEPTH && !st->depth_reported) {
        Diag *d = diag_report(st->sink, DIAG_ERROR, "E0001", e->span,
                              "expression nested deeper than %d levels", AST_MAX_DEPTH);
        diag_help(d, "split it into smaller expressions");
        st->depth_reported = true;
    }
}

Expr *ab_leaf(ParseState *st, Loc loc, ExprKind kind)
{
    return new_expr(st, loc, kind);
}

Expr *ab_bool(ParseState *st, Loc loc, bool v)
{
    Expr *e = new_expr(st, loc, EX_BOOL);
    e->u.boolean = v;
    return e;
}

Expr *ab_number(ParseState *st, Loc loc, const char *text, bool negative)
{
    Expr *e = new_expr(st, loc, EX_NUMBER);
    if (negative) {
        size_t n = strlen(text);
        char *t = cm_arena_alloc(&st->ast->arena, n + 2);
        t[0] = '-';
        memcpy(t + 1, text, n + 1);
        text = t;
    }
    e->u.number.text = text;
    e->u.number.value = strtod(text, NULL);
    return e;
}

Expr *ab_string(ParseState *st, Loc loc, const char *value, size_t len)
{
    Expr *e = new_expr(st, loc, EX_STRING);
    e->u.string.value = value;
    e->u.string.len = len;
    return e;
}

Expr *ab_list(ParseState *st, Loc loc, Vec *items)
{
    Expr *e = new_expr(st, loc, EX_LIST);
    e->u.list.items = items->items;
    e->u.list.count = items->count;
    for (size_t i = 0; i < items->count; i++)
        deepen(st, e, e->u.list.items[i]);
    return e;
}

Expr *ab_path(ParseState *st, Loc loc, Vec *segments)
{
    Expr *e = new_expr(st, loc, EX_PATH);
    e->u.path.segments = segments->items;
    e->u.path.count = segments->count;
    return e;
}

Expr *ab_call(ParseState *st, Loc loc, const char *name, Loc name_loc, Vec *args)
{
    Expr *e = new_expr(st, loc, EX_CALL);
    e->u.call.name = ab_ident(st, name, name_loc);
    e->u.call.args = args->items;
    e->u.call.count = args->count;
    for (size_t i = 0; i < args->count; i++)
        deepen(st, e, e->u.call.args[i]);
    return e;
}

Expr *ab_lookup(ParseState *st, Loc loc, const char *table, Loc table_loc, Expr *key)
{
    Expr *e = new_expr(st, loc, EX_LOOKUP);
    e->u.lookup.table = ab_ident(st, table, table_loc);
    e->u.lookup.key = key;
    deepen(st, e, key);
    return e;
}

Expr *ab_index(ParseState *st, Loc loc, Expr *base, Loc base_loc, Loc open_loc, Expr *key)
{
    /* A bare name before [ is a table, as it always was; the checker reads
     * it as a list's item when no table has that name. */
    if (base->kind == EX_PATH && base->u.path.count == 1 && !base->parens)
        return ab_lookup(st, loc, base->u.path.segments[0].name, base_loc, key);
    Vec args = ab_vec();
    ab_push(st, &args, base);
    ab_push(st, &args, key);
    Expr *e = ab_call(st, loc, "item", open_loc, &args);
    e->u.call.index = true;
    return e;
}

Expr *ab_ref(ParseState *st, Loc loc, const char *entity, Loc entity_loc)
{
    Expr *e = new_expr(st, loc, EX_REF);
    e->u.ref.entity = ab_ident(st, entity, entity_loc);
    return e;
}

Expr *ab_unary(ParseState *st, Loc loc, UnOp op, Expr *operand)
{
    Expr *e = new_expr(st, loc, EX_UNARY);
    e->u.unary.op = op;
    e->u.unary.operand = operand;
    deepen(st, e, operand);
    return e;
}

/* "-1" is a number, not a negation: tables and fmt keep it as written. */
Expr *ab_negate(ParseState *st, Loc loc, Expr *operand)
{
    if (operand->kind == EX_NUMBER && operand->u.number.text[0] != '-'
        && operand->span.start == loc.start + 1)
        return ab_number(st, loc, operand->u.number.text, true);
    return ab_unary(st, loc, OP_NEG, operand);
}

Expr *ab_binary(ParseState *st, Loc loc, BinOp op, Expr *l, Expr *r, Loc op_loc)
{
    Expr *e = new_expr(st, loc, EX_BINARY);
    e->u.binary.op = op;
    e->u.binary.left = l;
    e->u.binary.right = r;
    e->u.binary.op_span = ps_span(st, op_loc);
    deepen(st, e, l);
    deepen(st, e, r);
    return e;
}

Expr *ab_if(ParseState *st, Loc loc, Expr *c, Expr *a, Expr *b)
{
    Expr *e = new_expr(st, loc, EX_IF);
    e->u.if_e.cond = c;
    e->u.if_e.then_e = a;
    e->u.if_e.else_e = b;
    deepen(st, e, c);
    deepen(st, e, a);
    deepen(st, e, b);
    return e;
}

Expr *ab_case(ParseState *st, Loc loc, Vec *arms, Expr *else_e, Loc else_loc)
{
    Expr *e = new_expr(st, loc, EX_CASE);
    e->u.case_e.arms = arms->items;
    e->u.case_e.count = arms->count;
    e->u.case_e.else_e = else_e;
    e->u.case_e.else_span = ps_span(st, else_loc);
    for (size_t i = 0; i < arms->count; i++) {
        deepen(st, e, e->u.case_e.arms[i].cond);
        deepen(st, e, e->u.case_e.arms[i].value);
    }
    deepen(st, e, else_e);
    return e;
}

/* Parentheses leave no node, only a mark, so fmt keeps the ones the author
 * wrote; the span stays the inner expression's. */
Expr *ab_paren(ParseState *st, Loc loc, Expr *inner)
{
    (void)st;
    (void)loc;
    inner->parens = true;
    return inner;
}

/* ---- statements ---- */

static Stmt *new_stmt(ParseState *st, Loc loc, StmtKind kind)
{
    Stmt *s = cm_arena_alloc(&st->ast->arena, sizeof *s);
    s->kind = kind;
    s->span = ps_span(st, loc);
    s->own = OWN_DEFAULT;
    return s;
}

Stmt *ab_assign(ParseState *st, Loc loc, const char *field, Loc field_loc, Expr *value, Expr *when)
{
    Stmt *s = new_stmt(st, loc, ST_ASSIGN);
    s->u.assign.field = ab_ident(st, field, field_loc);
    s->u.assign.quoted = false;
    s->u.assign.value = value;
    s->u.assign.when = when;
    return s;
}

void ab_own(ParseState *st, Stmt *s, Ownership own, Loc first, Loc last, Loc whole)
{
    s->own = own;
    s->own_span = ps_span(st, ab_loc(first, last));
    s->span = ps_span(st, whole);
}

/* A block holds plain assignments only. The grammar accepts any statement
 * inside so that a nested block or a reject is one precise error, not a
 * cascade; those statements are reported and left out. */
Stmt *ab_block(ParseState *st, Loc loc, Ownership own, Loc own_loc, Vec *stmts)
{
    Stmt *s = cm_arena_alloc(&st->ast->arena, sizeof *s);
    s->kind = ST_BLOCK;
    s->span = ps_span(st, loc);
    s->own = own;
    s->own_span = ps_span(st, own_loc);
    Stmt **inner = stmts->items;
    size_t kept = 0;
    for (size_t i = 0; i < stmts->count; i++) {
        Stmt *x = inner[i];
        if (x->kind == ST_ASSIGN && x->own == OWN_DEFAULT) {
            inner[kept++] = x;
            continue;
        }
        bool rule = x->kind == ST_REJECT || x->kind == ST_LET;
        Span where = rule ? diag_span(st->src, x->span.start, x->span.start + (x->kind == ST_LET ? 3 : 6))
                          : x->own_span;
        Diag *d = diag_report(st->sink, DIAG_ERROR, "E0001", where, "%s inside a '%.*s' block",
                              x->kind == ST_REJECT ? "reject" : x->kind == ST_LET ? "let"
                              : x->kind == ST_BLOCK ? "block" : "ownership",
                              (int)(s->own_span.end - s->own_span.start),
                              diag_source_text(st->src, NULL) + s->own_span.start);
        st->errors++;
        if (rule)
            diag_help(d, "%s belongs directly in the entity", x->kind == ST_LET ? "let" : "reject");
        else
            diag_help(d, "a block sets the ownership of the assignments in it: write FIELD = EXPR "
                         "here, or move this out of the block");
    }
    s->u.block.stmts = inner;
    s->u.block.count = kept;
    return s;
}

Stmt *ab_reject(ParseState *st, Loc loc, const char *message, Loc message_loc, Expr *when)
{
    Stmt *s = cm_arena_alloc(&st->ast->arena, sizeof *s);
    s->kind = ST_REJECT;
    s->span = ps_span(st, loc);
    s->u.reject.message = message;
    s->u.reject.message_span = ps_span(st, message_loc);
    s->u.reject.when = when;
    return s;
}

Stmt *ab_let_stmt(ParseState *st, Loc loc, const char *name, Loc name_loc, Expr *value)
{
    Stmt *s = new_stmt(st, loc, ST_LET);
    s->u.let.name = ab_ident(st, name, name_loc);
    s->u.let.value = value;
    return s;
}

/* ---- items ---- */

static Item *new_item(ParseState *st, Loc loc, ItemKind kind)
{
    Item *it = cm_arena_alloc(&st->ast->arena, sizeof *it);
    it->kind = kind;
    it->span = ps_span(st, loc);
    return it;
}

Item *ab_mapping(ParseState *st, Loc loc, const char *name, Loc name_loc)
{
    Item *it = new_item(st, loc, IT_MAPPING);
    it->u.mapping.name = name;
    it->u.mapping.name_span = ps_span(st, name_loc);
    return it;
}

Item *ab_source(ParseState *st, Loc loc, const char *name, Loc name_loc, const char *path, Loc path_loc)
{
    Item *it = new_item(st, loc, IT_SOURCE);
    it->u.source.name = ab_ident(st, name, name_loc);
    it->u.source.path = path;
    it->u.source.path_span = ps_span(st, path_loc);
    return it;
}

Item *ab_target(ParseState *st, Loc loc, const char *system, Loc system_loc, const char *path, Loc path_loc)
{
    Item *it = new_item(st, loc, IT_TARGET);
    it->u.target.system = ab_ident(st, system, system_loc);
    it->u.target.path = path;
    it->u.target.path_span = ps_span(st, path_loc);
    return it;
}

static ItemFile item_file(ParseState *st, const char *path, Loc path_loc)
{
    ItemFile f = { path, ps_span(st, path_loc) };
    return f;
}

Item *ab_users(ParseState *st, Loc loc, const char *path, Loc path_loc)
{
    Item *it = new_item(st, loc, IT_USERS);
    it->u.users = item_file(st, path, path_loc);
    return it;
}

Item *ab_include(ParseState *st, Loc loc, const char *path, Loc path_loc)
{
    Item *it = new_item(st, loc, IT_INCLUDE);
    it->u.include = item_file(st, path, path_loc);
    return it;
}

Item *ab_table(ParseState *st, Loc loc, const char *name, Loc name_loc, Vec *entries,
               Expr *else_value, Loc else_loc)
{
    Item *it = new_item(st, loc, IT_TABLE);
    it->u.table.name = ab_ident(st, name, name_loc);
    it->u.table.entries = entries->items;
    it->u.table.count = entries->count;
    it->u.table.else_value = else_value;
    it->u.table.else_span = ps_span(st, else_loc);
    return it;
}

Item *ab_entity(ParseState *st, Loc loc, const char *name, Loc name_loc, EntityMode mode,
                Loc mode_loc, Ident by, const char *key, Loc key_loc, Ownership master,
                Loc master_loc, Expr *when, Vec *stmts, Loc body_loc)
{
    Item *it = new_item(st, loc, IT_ENTITY);
    it->u.entity.name = ab_ident(st, name, name_loc);
    it->u.entity.mode = mode;
    it->u.entity.mode_span = ps_span(st, mode_loc);
    it->u.entity.by = by;
    it->u.entity.key = key ? ab_ident(st, key, (Loc){ key_loc.end - (uint32_t)strlen(key), key_loc.end })
                           : ab_no_ident();
    it->u.entity.master = master;
    it->u.entity.master_span = ps_span(st, master_loc);
    it->u.entity.when = when;
    it->u.entity.stmts = stmts->items;
    it->u.entity.count = stmts->count;
    it->u.entity.body_span = ps_span(st, body_loc);
    return it;
}

static Item *named_value(ParseState *st, Loc loc, ItemKind kind, const char *name, Loc name_loc, Expr *value)
{
    Item *it = new_item(st, loc, kind);
    it->u.let.name = ab_ident(st, name, name_loc);
    it->u.let.value = value;
    return it;
}

Item *ab_let_item(ParseState *st, Loc loc, const char *name, Loc name_loc, Expr *value)
{
    return named_value(st, loc, IT_LET, name, name_loc, value);
}

Item *ab_param_item(ParseState *st, Loc loc, const char *name, Loc name_loc, Expr *value)
{
    return named_value(st, loc, IT_PARAM, name, name_loc, value);
}

Ident ab_fallback_of(ParseState *st, const char *word, Loc word_loc, const char *entity, Loc entity_loc)
{
    if (strcmp(word, "no") != 0) {
        Diag *d = ps_error(st, word_loc, "expected an expression or 'no', found name '%s'", word);
        diag_help(d, "a fallback entity reads: entity Lead upsert by Email when no Contact {");
    }
    return ab_ident(st, entity, entity_loc);
}

void ab_item_add(ParseState *st, Item *item)
{
    Ast *ast = st->ast;
    if ((ast->count & (ast->count - 1)) == 0) {   /* grow at powers of two */
        Item **items = cm_arena_alloc(&ast->arena, (ast->count ? 2 * ast->count : 1) * sizeof *items);
        if (ast->count)
            memcpy(items, ast->items, ast->count * sizeof *items);
        ast->items = items;
    }
    ast->items[ast->count++] = item;
}

/* ---- the parse ---- */

/* Junk that the scanner should never see: invalid UTF-8 and NUL bytes. */
static bool source_is_text(ParseState *st, const char *text, size_t len)
{
    size_t bad = cm_utf8_invalid_at(text, len);
    const char *nul = memchr(text, '\0', bad);
    if (nul != NULL) {
        Loc at = { (uint32_t)(nul - text), (uint32_t)(nul - text) + 1 };
        Diag *d = ps_error(st, at, "NUL byte in source");
        diag_help(d, "a .map file is UTF-8 text; is this a binary file?");
        return false;
    }
    if (bad < len) {
        Loc at = { (uint32_t)bad, (uint32_t)bad + 1 };
        Diag *d = ps_error(st, at, "invalid UTF-8 (byte 0x%02x)", (unsigned char)text[bad]);
        diag_help(d, "save the file as UTF-8");
        return false;
    }
    return true;
}

Ast *ast_parse(DiagSink *sink, const char *name, const char *text, size_t len)
{
    Ast *ast = cm_calloc(1, sizeof *ast);
    cm_arena_init(&ast->arena, 0);
    if (len > AST_MAX_SOURCE) {
        /* Only what is needed to point at the first byte past the limit. */
        ast->src = diag_source_add(sink, name, text, AST_MAX_SOURCE + 1);
        Diag *d = diag_report(sink, DIAG_ERROR, "E0001",
                              diag_span(ast->src, AST_MAX_SOURCE, AST_MAX_SOURCE + 1),
                              "file larger than the limit of %u bytes (4 MiB)", AST_MAX_SOURCE);
        diag_help(d, "split the mapping into several files");
        return ast;
    }
    ast->src = diag_source_add(sink, name, text, len);
    ParseState st;
    memset(&st, 0, sizeof st);
    st.ast = ast;
    st.sink = sink;
    st.src = ast->src;
    if (!source_is_text(&st, text, len))
        return ast;

    size_t errors_before = diag_count(sink, DIAG_ERROR);
    yyscan_t scanner;
    if (yylex_init_extra(&st, &scanner) != 0) {
        fputs("crmmap: error: out of memory\n", stderr);
        exit(4);
    }
    YY_BUFFER_STATE buf = yy_scan_bytes(text, (int)len, scanner);
    yyparse(scanner, &st);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    cm_buf_free(&st.strbuf);

    if (ast->count == 0 && diag_count(sink, DIAG_ERROR) == errors_before) {
        Loc at = { 0, 0 };
        Diag *d = ps_error(&st, at, "the file declares no mapping");
        diag_help(d, "a mapping starts with: mapping \"NAME\", then source, target and entity blocks");
    }
    return ast;
}

void ast_free(Ast *ast)
{
    if (ast == NULL)
        return;
    for (size_t i = 0; i < ast->nincluded; i++)
        ast_free(ast->included[i]);
    cm_free(ast->included);
    cm_arena_free(&ast->arena);
    cm_free(ast->comments);
    cm_free(ast);
}
