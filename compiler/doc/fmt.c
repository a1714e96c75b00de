/* fmt: prints an AST in the canonical layout; see fmt.h.
 *
 * Output is built one line at a time: code goes into `line`, and when the
 * line ends the comments that belong before it (written inside the code that
 * this line joins) and after it (on the same source line) are placed around
 * it. Comments are consumed in source order through one cursor, so none is
 * printed twice or lost. */
#include "fmt.h"

#include <string.h>

#include "cm_alloc.h"
#include "expr_prec.h"

typedef struct Printer {
    CmBuf *out;
    CmBuf line;             /* code of the line being built, without indentation */
    const char *src;        /* the parsed source text */
    size_t srclen;
    const Comment *comments;
    size_t ncomments, next; /* next comment not yet printed */
    int indent;             /* indentation level of the line being built */
    int hoist_indent;       /* level of comments moved above it: a line that
                               starts with '}' puts them inside the block */
    uint32_t line_pos;      /* source offset where the line's code starts */
    uint32_t last_end;      /* source offset after the line's last code */
    uint32_t prev_end;      /* source offset after the last printed line or comment */
    bool fresh;             /* at the start of the file or of a block: no blank line */
    bool force_blank;       /* a blank line goes before whatever prints next */
} Printer;

static void expr(Printer *p, const Expr *e);

/* ---- lines, blank lines and comments ---- */

/* The author left an empty line somewhere in [from, to). */
static bool blank_between(const Printer *p, uint32_t from, uint32_t to)
{
    int newlines = 0;
    for (uint32_t i = from; i < to && i < p->srclen; i++)
        if (p->src[i] == '\n' && ++newlines == 2)
            return true;
    return false;
}

static void put_blank_if_due(Printer *p, uint32_t pos)
{
    if (!p->fresh && (p->force_blank || blank_between(p, p->prev_end, pos)))
        cm_buf_putc(p->out, '\n');
    p->force_blank = false;
}

static void put_indent(Printer *p, int level)
{
    for (int i = 0; i < level; i++)
        cm_buf_puts(p->out, "  ");
}

/* Comment text without trailing blanks. A CR counts as one: left at the end,
 * it would make the line's end CRLF and the comment shorter when read again. */
static void put_comment_text(Printer *p, const Comment *c)
{
    size_t n = strlen(c->text);
    while (n > 0 && (c->text[n - 1] == ' ' || c->text[n - 1] == '\t' || c->text[n - 1] == '\r'))
        n--;
    cm_buf_put(p->out, c->text, n);
}

static void comment_line(Printer *p, const Comment *c, int level, bool keep_blank)
{
    if (keep_blank)
        put_blank_if_due(p, c->span.start);
    put_indent(p, level);
    put_comment_text(p, c);
    cm_buf_putc(p->out, '\n');
    if (c->span.end > p->prev_end)
        p->prev_end = c->span.end;
    p->fresh = false;
}

/* Prints, on their own lines, the comments that start before pos. */
static void flush_comments(Printer *p, uint32_t pos, int level)
{
    while (p->next < p->ncomments && p->comments[p->next].span.start < pos)
        comment_line(p, &p->comments[p->next++], level, true);
}

static void begin_line(Printer *p, uint32_t pos)
{
    flush_comments(p, pos, p->indent);
    p->hoist_indent = p->indent;
    p->line_pos = pos;
    p->last_end = pos;
    cm_buf_clear(&p->line);
}

static void text(Printer *p, const char *s)
{
    cm_buf_puts(&p->line, s);
}

static void mark_end(Printer *p, uint32_t end)
{
    if (end > p->last_end)
        p->last_end = end;
}

/* True when only blanks separate source offsets a and b: a comment at b
 * ends the line whose code ends at a. */
static bool same_source_line(const Printer *p, uint32_t a, uint32_t b)
{
    for (uint32_t i = a; i < b && i < p->srclen; i++)
        if (p->src[i] != ' ' && p->src[i] != '\t' && p->src[i] != '\r')
            return false;
    return true;
}

/* Writes the line: comments from inside its code above it, a comment that
 * followed its code on the same source line after it. opens_block: the line
 * ends with '{', so no blank line follows directly. */
static void end_line(Printer *p, bool opens_block)
{
    put_blank_if_due(p, p->line_pos);
    while (p->next < p->ncomments && p->comments[p->next].span.start < p->last_end)
        comment_line(p, &p->comments[p->next++], p->hoist_indent, false);
    put_indent(p, p->indent);
    cm_buf_put(p->out, p->line.data ? p->line.data : "", p->line.len);
    uint32_t end = p->last_end;
    if (p->next < p->ncomments && same_source_line(p, p->last_end, p->comments[p->next].span.start)) {
        const Comment *c = &p->comments[p->next++];
        cm_buf_puts(p->out, "  ");
        put_comment_text(p, c);
        end = c->span.end;
    }
    cm_buf_putc(p->out, '\n');
    if (end > p->prev_end)
        p->prev_end = end;
    p->fresh = opens_block;
    cm_buf_clear(&p->line);
}

/* Ends a block whose '}' is at brace: comments left inside it stay inside. */
static void close_block(Printer *p, uint32_t brace)
{
    flush_comments(p, brace, p->indent);
    p->indent--;
    p->fresh = true;        /* no blank line before '}' */
    begin_line(p, brace);
    p->hoist_indent = p->indent + 1;
    text(p, "}");
    mark_end(p, brace + 1);
}

/* Where the '{' after from is: the grammar guarantees one, possibly after
 * blanks and comments. */
static uint32_t brace_after(const Printer *p, uint32_t from)
{
    uint32_t i = from;
    while (i < p->srclen && p->src[i] != '{') {
        if (p->src[i] == '#')
            while (i < p->srclen && p->src[i] != '\n')
                i++;
        else
            i++;
    }
    return i;
}

/* ---- expressions ---- */

/* An operand prints in parentheses if the author wrote them or the tree
 * needs them. min is the weakest binding the operand may have bare; an 'if'
 * swallows everything after it, so it is always bracketed as an operand. */
static void operand(Printer *p, const Expr *e, int min)
{
    int pe = expr_prec(e);
    bool parens = !e->parens && (pe == PREC_IF || pe < min);
    if (parens)
        text(p, "(");
    expr(p, e);
    if (parens)
        text(p, ")");
}

static bool is_word(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static void string_lit(Printer *p, const char *s, size_t len)
{
    cm_buf_put_json_string(&p->line, s, len);
}

static void assign_target(Printer *p, const Stmt *s)
{
    const char *name = s->u.assign.field.name;
    if (s->u.assign.quoted)
        string_lit(p, name, strlen(name));
    else
        text(p, name);
}

static void expr_list(Printer *p, Expr **items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            text(p, ", ");
        expr(p, items[i]);
    }
}

/* A case always spans lines, and so does anything holding one. */
static bool contains_case(const Expr *e)
{
    switch (e->kind) {
    case EX_CASE: return true;
    case EX_LIST:
        for (size_t i = 0; i < e->u.list.count; i++)
            if (contains_case(e->u.list.items[i]))
                return true;
        return false;
    case EX_CALL:
        for (size_t i = 0; i < e->u.call.count; i++)
            if (contains_case(e->u.call.args[i]))
                return true;
        return false;
    case EX_LOOKUP: return contains_case(e->u.lookup.key);
    case EX_UNARY: return contains_case(e->u.unary.operand);
    case EX_BINARY: return contains_case(e->u.binary.left) || contains_case(e->u.binary.right);
    case EX_IF:
        return contains_case(e->u.if_e.cond) || contains_case(e->u.if_e.then_e)
            || contains_case(e->u.if_e.else_e);
    default: return false;
    }
}

static size_t code_points(const char *s, size_t n)
{
    size_t cps = 0;
    for (size_t i = 0; i < n; i++)
        cps += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cps;
}

/* Width in code points of e printed on one line, printed nowhere. */
static size_t measure(Printer *p, const Expr *e)
{
    size_t start = p->line.len;
    uint32_t saved = p->last_end;
    expr(p, e);
    size_t width = code_points(p->line.data + start, p->line.len - start);
    p->line.len = start;
    p->line.data[start] = '\0';
    p->last_end = saved;
    return width;
}

/* Width of the widest of n expressions (at(owner, i) the i-th), never less
 * than least, so that what follows them lines up; 0 (no alignment) when one
 * spans lines. */
static size_t widest_of(Printer *p, const void *owner, size_t n, const Expr *(*at)(const void *, size_t),
                        size_t least)
{
    size_t widest = least;
    for (size_t i = 0; i < n; i++)
        if (contains_case(at(owner, i)))
            return 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = measure(p, at(owner, i));
        widest = w > widest ? w : widest;
    }
    return widest;
}

/* Ends a line of an aligned list (case arms, table entries) whose left part
 * is printed: pads it to width (not counting its first skip columns, the
 * keyword before the aligned part), then sep, the value, and the line. */
static void aligned_rest(Printer *p, size_t skip, size_t width, const char *sep, const Expr *value, uint32_t end)
{
    for (size_t w = code_points(p->line.data, p->line.len) - skip; w < width; w++)
        text(p, " ");
    text(p, sep);
    expr(p, value);
    mark_end(p, end);
    end_line(p, false);
}

static const Expr *arm_condition(const void *case_e, size_t i)
{
    return ((const Expr *)case_e)->u.case_e.arms[i].cond;
}

/* Width of the widest condition, so the arms' 'then' line up. */
static size_t condition_width(Printer *p, const Expr *e)
{
    return widest_of(p, e, e->u.case_e.count, arm_condition, 0);
}

static void case_expr(Printer *p, const Expr *e)
{
    text(p, "case {");
    mark_end(p, brace_after(p, e->span.start + 4) + 1);
    end_line(p, true);
    p->indent++;
    size_t width = condition_width(p, e);
    for (size_t i = 0; i < e->u.case_e.count; i++) {
        const CaseArm *arm = &e->u.case_e.arms[i];
        begin_line(p, arm->span.start);
        text(p, "when ");
        expr(p, arm->cond);
        aligned_rest(p, 5, width, " then ", arm->value, arm->span.end);
    }
    if (e->u.case_e.else_e) {
        begin_line(p, e->u.case_e.else_span.start);
        text(p, "else");
        aligned_rest(p, 0, 0, " ", e->u.case_e.else_e, e->u.case_e.else_span.end);
    }
    close_block(p, e->span.end - 1);
}

static void unary(Printer *p, const Expr *e)
{
    const Expr *x = e->u.unary.operand;
    if (e->u.unary.op == OP_NOT) {
        text(p, "not ");
        operand(p, x, PREC_NOT);
        return;
    }
    text(p, "-");
    if (neg_needs_space(x))
        text(p, " ");
    operand(p, x, PREC_NEG);
}

static void binary(Printer *p, const Expr *e)
{
    int pe = binop_prec(e->u.binary.op);
    /* Left-associative: a right operand of equal strength needs brackets;
       comparisons do not chain at all. */
    operand(p, e->u.binary.left, pe == PREC_CMP ? pe + 1 : pe);
    text(p, " ");
    text(p, ast_binop_text(e->u.binary.op));
    text(p, " ");
    operand(p, e->u.binary.right, pe + 1);
}

static void expr(Printer *p, const Expr *e)
{
    if (e->parens)
        text(p, "(");
    switch (e->kind) {
    case EX_NULL: text(p, "null"); break;
    case EX_BOOL: text(p, e->u.boolean ? "true" : "false"); break;
    case EX_CLEAR: text(p, "clear"); break;
    case EX_NUMBER: text(p, e->u.number.text); break;
    case EX_STRING: string_lit(p, e->u.string.value, e->u.string.len); break;
    case EX_LIST:
        text(p, "[");
        expr_list(p, e->u.list.items, e->u.list.count);
        text(p, "]");
        break;
    case EX_PATH:
        for (size_t i = 0; i < e->u.path.count; i++) {
            const char *seg = e->u.path.segments[i].name;
            if (i)
                text(p, ".");
            if (is_word(seg))
                text(p, seg);
            else
                string_lit(p, seg, strlen(seg));
        }
        break;
    case EX_CALL:
        if (e->u.call.index) {
            expr(p, e->u.call.args[0]);
            text(p, "[");
            expr(p, e->u.call.args[1]);
            text(p, "]");
            break;
        }
        text(p, e->u.call.name.name);
        text(p, "(");
        expr_list(p, e->u.call.args, e->u.call.count);
        text(p, ")");
        break;
    case EX_LOOKUP:
        text(p, e->u.lookup.table.name);
        text(p, "[");
        expr(p, e->u.lookup.key);
        text(p, "]");
        break;
    case EX_REF:
        text(p, "ref ");
        text(p, e->u.ref.entity.name);
        break;
    case EX_UNARY: unary(p, e); break;
    case EX_BINARY: binary(p, e); break;
    case EX_IF:
        text(p, "if ");
        expr(p, e->u.if_e.cond);
        text(p, " then ");
        expr(p, e->u.if_e.then_e);
        text(p, " else ");
        expr(p, e->u.if_e.else_e);
        break;
    case EX_CASE: case_expr(p, e); break;
    }
    if (e->parens)
        text(p, ")");
    mark_end(p, e->span.end);
}

/* ---- statements ---- */

static const char *own_prefix(Ownership o)
{
    switch (o) {
    case OWN_SOURCE: return "master source";
    case OWN_CRM: return "master crm";
    case OWN_ON_CREATE: return "on create";
    default: return NULL;
    }
}

static void stmts(Printer *p, Stmt **list, size_t n);

/* let NAME = EXPR, param NAME = DEFAULT */
static void let(Printer *p, const char *keyword, const LetDecl *l)
{
    text(p, keyword);
    text(p, l->name.name);
    text(p, " = ");
    expr(p, l->value);
}

/* width: the column the '=' of an assignment lines up to (0: none). */
static void stmt(Printer *p, const Stmt *s, size_t width)
{
    begin_line(p, s->span.start);
    const char *own = own_prefix(s->own);
    switch (s->kind) {
    case ST_ASSIGN:
        if (own) {
            text(p, own);
            text(p, " ");
        }
        assign_target(p, s);
        for (size_t w = code_points(p->line.data, p->line.len); w < width; w++)
            text(p, " ");
        text(p, " = ");
        expr(p, s->u.assign.value);
        if (s->u.assign.when) {
            text(p, " when ");
            expr(p, s->u.assign.when);
        }
        break;
    case ST_BLOCK:
        text(p, own);
        text(p, " {");
        mark_end(p, brace_after(p, s->own_span.end) + 1);
        end_line(p, true);
        p->indent++;
        stmts(p, s->u.block.stmts, s->u.block.count);
        close_block(p, s->span.end - 1);
        break;
    case ST_LET: let(p, "let ", &s->u.let); break;
    case ST_REJECT:
        text(p, "reject ");
        string_lit(p, s->u.reject.message, strlen(s->u.reject.message));
        text(p, " when ");
        expr(p, s->u.reject.when);
        break;
    }
    mark_end(p, s->span.end);
    end_line(p, false);
}

/* An assignment that prints on one line can share an '=' column. */
static bool alignable(const Stmt *s)
{
    return s->kind == ST_ASSIGN && !contains_case(s->u.assign.value)
        && !(s->u.assign.when && contains_case(s->u.assign.when));
}

static size_t target_width(const Stmt *s)
{
    const char *own = own_prefix(s->own);
    const char *name = s->u.assign.field.name;
    size_t quotes = s->u.assign.quoted ? 2 : 0;     /* escapes aside: labels seldom hold any */
    return (own ? strlen(own) + 1 : 0) + code_points(name, strlen(name)) + quotes;
}

/* Consecutive one-line assignments line up their '=' signs, as in a table.
 * A blank line, a comment line or any other statement ends the run; the
 * decision uses only what fmt keeps, so formatting again finds the same runs. */
static void stmts(Printer *p, Stmt **list, size_t n)
{
    /* width[i]: widest name in i's run so far, then (second pass) in the
       whole run; joined[i]: i continues the run of i - 1. */
    size_t *width = cm_calloc(n ? n : 1, sizeof *width);
    bool *joined = cm_calloc(n ? n : 1, sizeof *joined);
    size_t c = p->next;
    for (size_t i = 0; i < n; i++) {
        if (!alignable(list[i]))
            continue;
        if (i > 0 && width[i - 1] > 0) {
            /* Comments up to the end of this statement, other than the one
               ending the previous line, print on lines of their own. */
            uint32_t prev_end = list[i - 1]->span.end;
            while (c < p->ncomments && p->comments[c].span.start < prev_end)
                c++;
            if (c < p->ncomments && same_source_line(p, prev_end, p->comments[c].span.start))
                c++;
            joined[i] = !blank_between(p, prev_end, list[i]->span.start)
                     && !(c < p->ncomments && p->comments[c].span.start < list[i]->span.end);
        }
        size_t w = target_width(list[i]);
        width[i] = joined[i] && width[i - 1] > w ? width[i - 1] : w;
    }
    for (size_t i = n; i-- > 1;)
        if (joined[i])
            width[i - 1] = width[i];
    for (size_t i = 0; i < n; i++)
        stmt(p, list[i], width[i]);
    cm_free(joined);
    cm_free(width);
}

/* ---- items ---- */

static const Expr *entry_key(const void *table, size_t i)
{
    return ((const Item *)table)->u.table.entries[i].key;
}

/* Width of the widest key (or 'else'), so the arrows line up; 0 (no
 * alignment) when a key spans lines. */
static size_t key_width(Printer *p, const Item *it)
{
    return widest_of(p, it, it->u.table.count, entry_key, it->u.table.else_value ? 4 : 0);  /* 4: "else" */
}

static void table(Printer *p, const Item *it)
{
    text(p, "table ");
    text(p, it->u.table.name.name);
    text(p, " {");
    mark_end(p, brace_after(p, it->u.table.name.span.end) + 1);
    end_line(p, true);
    p->indent++;
    size_t width = key_width(p, it);
    for (size_t i = 0; i < it->u.table.count; i++) {
        const TableEntry *en = &it->u.table.entries[i];
        begin_line(p, en->span.start);
        expr(p, en->key);
        aligned_rest(p, 0, width, " -> ", en->value, en->span.end);
    }
    if (it->u.table.else_value) {
        begin_line(p, it->u.table.else_span.start);
        text(p, "else");
        aligned_rest(p, 0, width, " -> ", it->u.table.else_value, it->u.table.else_span.end);
    }
    close_block(p, it->span.end - 1);
}

static void entity(Printer *p, const Item *it)
{
    text(p, "entity ");
    text(p, it->u.entity.name.name);
    text(p, " ");
    text(p, ast_mode_text(it->u.entity.mode));
    if (it->u.entity.by.name) {
        text(p, " by ");
        text(p, it->u.entity.by.name);
    }
    if (it->u.entity.key.name) {
        text(p, " key ");
        text(p, it->u.entity.key.name);
    }
    if (it->u.entity.master != OWN_DEFAULT) {
        text(p, " ");
        text(p, own_prefix(it->u.entity.master));
    }
    if (it->u.entity.when) {
        text(p, " when ");
        expr(p, it->u.entity.when);
    } else if (it->u.entity.fallback.name) {
        text(p, " when no ");
        text(p, it->u.entity.fallback.name);
    }
    if (it->u.entity.strict)
        text(p, " strict");
    text(p, " {");
    mark_end(p, it->u.entity.body_span.start + 1);
    end_line(p, true);
    p->indent++;
    stmts(p, it->u.entity.stmts, it->u.entity.count);
    close_block(p, it->u.entity.body_span.end - 1);
}

/* `source NAME schema "PATH"` and `target SYSTEM schema "PATH"`. */
static void schema_clause(Printer *p, const char *keyword, const char *name, const char *path)
{
    text(p, keyword);
    text(p, name);
    text(p, " schema ");
    string_lit(p, path, strlen(path));
}

/* `users "PATH"` and `include "PATH"`. */
static void file_clause(Printer *p, const char *keyword, const ItemFile *f)
{
    text(p, keyword);
    string_lit(p, f->path, strlen(f->path));
}

static void item(Printer *p, const Item *it)
{
    begin_line(p, it->span.start);
    switch (it->kind) {
    case IT_MAPPING:
        text(p, "mapping ");
        string_lit(p, it->u.mapping.name, strlen(it->u.mapping.name));
        break;
    case IT_SOURCE: schema_clause(p, "source ", it->u.source.name.name, it->u.source.path); break;
    case IT_TARGET: schema_clause(p, "target ", it->u.target.system.name, it->u.target.path); break;
    case IT_USERS: file_clause(p, "users ", &it->u.users); break;
    case IT_INCLUDE: file_clause(p, "include ", &it->u.include); break;
    case IT_TABLE: table(p, it); break;
    case IT_ENTITY: entity(p, it); break;
    case IT_LET: let(p, "let ", &it->u.let); break;
    case IT_PARAM: let(p, "param ", &it->u.let); break;
    }
    mark_end(p, it->span.end);
    end_line(p, false);
}

static bool is_block_item(const Item *it)
{
    return it->kind == IT_TABLE || it->kind == IT_ENTITY;
}

void fmt_ast(const Ast *ast, CmBuf *out)
{
    Printer p;
    memset(&p, 0, sizeof p);
    p.out = out;
    p.src = diag_source_text(ast->src, &p.srclen);
    p.comments = ast->comments;
    p.ncomments = ast->ncomments;
    p.fresh = true;
    for (size_t i = 0; i < ast->count; i++) {
        /* Tables and entities stand apart from what surrounds them. */
        p.force_blank = i > 0 && (is_block_item(ast->items[i]) || is_block_item(ast->items[i - 1]));
        item(&p, ast->items[i]);
    }
    flush_comments(&p, UINT32_MAX, 0);
    cm_buf_free(&p.line);
}
