/* ast: the syntax tree of one .map file, as the parser builds it and the
 * checker annotates it. Every node lives in the Ast's arena and carries the
 * exact span of the source text it came from.
 *
 * Lists (items, statements, arguments, ...) are arrays with a count, built by
 * the parser through the ast_*_push helpers. */
#ifndef AST_H
#define AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "diag.h"

/* Deepest expression or bracket nesting the parser accepts. */
#define AST_MAX_DEPTH 256

typedef struct Expr Expr;
typedef struct Stmt Stmt;

/* A name with its span: identifiers, field names, entity names. */
typedef struct Ident {
    const char *name;
    Span span;
} Ident;

typedef enum ExprKind {
    EX_NULL, EX_BOOL, EX_NUMBER, EX_STRING, EX_LIST,
    EX_PATH,      /* source path: email, visitreport.title, answers."q-1" */
    EX_CALL,      /* lower(x); xs[i] is item(xs, i) */
    EX_LOOKUP,    /* Interest[answers.q_interest]; xs[i] when xs is no table */
    EX_REF,       /* ref Contact */
    EX_CLEAR,     /* clear */
    EX_UNARY,     /* -x, not x */
    EX_BINARY,
    EX_IF,        /* if c then a else b */
    EX_CASE       /* case { when c then v ... else v } */
} ExprKind;

typedef enum BinOp {
    OP_COALESCE, OP_OR, OP_AND,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV
} BinOp;

typedef enum UnOp { OP_NEG, OP_NOT } UnOp;

typedef struct CaseArm {
    Expr *cond;
    Expr *value;
    Span span;          /* from 'when' to the end of the value */
} CaseArm;

/* Filled by the checker; opaque to the parser. */
struct CheckInfo;

struct Expr {
    ExprKind kind;
    Span span;
    int depth;                      /* nesting depth; deeper than AST_MAX_DEPTH is an error */
    bool parens;                    /* written in parentheses (fmt keeps them) */
    struct CheckInfo *info;         /* checker annotation, NULL before checking */
    union {
        bool boolean;
        struct { double value; const char *text; } number;   /* text as written */
        struct { const char *value; size_t len; } string;    /* unescaped UTF-8, may hold NUL */
        struct { Expr **items; size_t count; } list;
        struct { Ident *segments; size_t count; } path;
        struct { Ident name; Expr **args; size_t count; bool index; } call;   /* index: written xs[i] */
        struct { Ident table; Expr *key; } lookup;
        struct { Ident entity; } ref;
        struct { UnOp op; Expr *operand; } unary;
        struct { BinOp op; Expr *left, *right; Span op_span; } binary;
        struct { Expr *cond, *then_e, *else_e; } if_e;
        struct { CaseArm *arms; size_t count; Expr *else_e; Span else_span; } case_e;
    } u;
};

typedef enum Ownership {
    OWN_DEFAULT,        /* inherit from the block or entity */
    OWN_SOURCE,         /* master source: overwrite */
    OWN_CRM,            /* master crm: write only where the CRM value is empty */
    OWN_ON_CREATE       /* on create: write only when the record is created */
} Ownership;

typedef enum StmtKind {
    ST_ASSIGN,          /* FIELD = EXPR [when COND], FIELD an identifier or a string */
    ST_BLOCK,           /* master crm { ... } | master source { ... } | on create { ... } */
    ST_REJECT,          /* reject "MESSAGE" when COND */
    ST_LET              /* let NAME = EXPR (an entity's own) */
} StmtKind;

/* let NAME = EXPR, at the mapping's level or in an entity: a use of NAME is
 * a path of that one segment, after the let (the checker resolves it). */
typedef struct LetDecl {
    Ident name;
    Expr *value;
} LetDecl;

struct Stmt {
    StmtKind kind;
    Span span;
    Ownership own;          /* ST_ASSIGN: single-assignment prefix, ST_BLOCK: the block's */
    Span own_span;          /* the 'master crm' / 'on create' words, if written */
    union {
        /* quoted: the field was written as a string ("Interest level" = ...),
         * a name no identifier can spell, or a field's label */
        struct { Ident field; bool quoted; Expr *value; Expr *when; } assign;
        struct { Stmt **stmts; size_t count; } block;
        struct { const char *message; Span message_span; Expr *when; } reject;
        LetDecl let;
    } u;
};

typedef enum EntityMode { MODE_CREATE, MODE_UPDATE, MODE_UPSERT } EntityMode;

typedef struct TableEntry {
    Expr *key;              /* literal: string, number, bool or null */
    Expr *value;            /* literal */
    Span span;
} TableEntry;

typedef enum ItemKind { IT_MAPPING, IT_SOURCE, IT_TARGET, IT_USERS, IT_TABLE, IT_ENTITY, IT_LET, IT_INCLUDE, IT_PARAM } ItemKind;

/* A file an item names, as written, and where. */
typedef struct ItemFile {
    const char *path;
    Span path_span;
} ItemFile;

typedef struct Item {
    ItemKind kind;
    Span span;
    union {
        struct { const char *name; Span name_span; } mapping;
        struct { Ident name; const char *path; Span path_span; } source;   /* source NAME schema PATH */
        struct { Ident system; const char *path; Span path_span; } target; /* target SYSTEM schema PATH */
        ItemFile users;
        ItemFile include;       /* include "FILE" */
        struct { Ident name; TableEntry *entries; size_t count; Expr *else_value; Span else_span; } table;
        struct {
            Ident name;
            EntityMode mode;
            Span mode_span;
            Ident by;               /* update/upsert by FIELD; name NULL for create */
            Ident key;              /* key FIELD; name NULL when absent */
            Ownership master;       /* OWN_DEFAULT, OWN_SOURCE or OWN_CRM */
            Span master_span;
            Expr *when;
            bool strict;            /* `strict`: all or nothing, no partial unit */
            Ident fallback;         /* `when no E`: E; name NULL when absent */
            Stmt **stmts;
            size_t count;
            Span body_span;         /* from '{' to '}' */
        } entity;
        LetDecl let;                /* IT_LET, and IT_PARAM: param NAME = DEFAULT (a literal) */
    } u;
} Item;

/* A comment, kept for fmt: its text (from '#' to the end of the line) and span. */
typedef struct Comment {
    const char *text;
    Span span;
} Comment;

/* After ast_include (ast_include.h), items also holds the declarations of
 * the files included, each right after its include: an item is the file's
 * own when its span's src is the Ast's src. */
typedef struct Ast {
    CmArena arena;
    const DiagSource *src;
    Item **items;
    size_t count;
    Comment *comments;
    size_t ncomments;
    struct Ast **included;  /* the trees of the files included, owned (ast_include) */
    size_t nincluded;
} Ast;

/* Parses text (registered as name in sink) into an Ast. Syntax errors are
 * reported to sink as E0001; the Ast holds whatever parsed. Never NULL. */
Ast *ast_parse(DiagSink *sink, const char *name, const char *text, size_t len);
void ast_free(Ast *ast);

/* Writes the tree in the stable, indented form the golden tests compare.
 * An expression deeper than AST_MAX_DEPTH (already an error) prints as
 * (too-deep) instead of being walked. */
void ast_dump(const Ast *ast, CmBuf *out, bool with_spans);

/* Human names for operators and modes, as written in .map source. */
const char *ast_binop_text(BinOp op);
const char *ast_mode_text(EntityMode m);

/* Calls fn on e and on every expression inside it, parents first; a tree
 * deeper than AST_MAX_DEPTH (refused by the parser) is not descended. */
typedef void (*AstExprFn)(const Expr *e, void *ctx);
void ast_expr_each(const Expr *e, AstExprFn fn, void *ctx);

/* Largest .map file read, in bytes. */
#define AST_MAX_SOURCE (4u * 1024u * 1024u)

#endif
