/* ast_build: the constructors the grammar's actions call. Every node is
 * allocated in the Ast's arena, so a parse that fails part-way leaks nothing. */
#ifndef AST_BUILD_H
#define AST_BUILD_H

#include "ast.h"
#include "parse_state.h"

/* A growable array of pointers (or small structs) in the arena. */
typedef struct Vec {
    void *items;
    size_t count, cap;
} Vec;

Vec ab_vec(void);
void ab_push(ParseState *st, Vec *v, void *p);
void ab_push_segment(ParseState *st, Vec *v, const char *name, Loc loc);
void ab_push_arm(ParseState *st, Vec *v, CaseArm arm);
void ab_push_entry(ParseState *st, Vec *v, TableEntry e);

Loc ab_loc(Loc a, Loc b);
Ident ab_ident(ParseState *st, const char *name, Loc loc);
Ident ab_no_ident(void);

Expr *ab_leaf(ParseState *st, Loc loc, ExprKind kind);
Expr *ab_bool(ParseState *st, Loc loc, bool v);
Expr *ab_number(ParseState *st, Loc loc, const char *text, bool negative);
Expr *ab_string(ParseState *st, Loc loc, const char *value, size_t len);
Expr *ab_list(ParseState *st, Loc loc, Vec *items);
Expr *ab_path(ParseState *st, Loc loc, Vec *segments);
Expr *ab_call(ParseState *st, Loc loc, const char *name, Loc name_loc, Vec *args);
Expr *ab_lookup(ParseState *st, Loc loc, const char *table, Loc table_loc, Expr *key);
/* base[key]: a table lookup when base is a bare name (see ab_lookup), else
 * the list item item(base, key) written as an index. */
Expr *ab_index(ParseState *st, Loc loc, Expr *base, Loc base_loc, Loc open_loc, Expr *key);
Expr *ab_ref(ParseState *st, Loc loc, const char *entity, Loc entity_loc);
Expr *ab_unary(ParseState *st, Loc loc, UnOp op, Expr *operand);
Expr *ab_negate(ParseState *st, Loc loc, Expr *operand);
Expr *ab_binary(ParseState *st, Loc loc, BinOp op, Expr *l, Expr *r, Loc op_loc);
Expr *ab_if(ParseState *st, Loc loc, Expr *c, Expr *a, Expr *b);
Expr *ab_case(ParseState *st, Loc loc, Vec *arms, Expr *else_e, Loc else_loc);
Expr *ab_paren(ParseState *st, Loc loc, Expr *inner);

Stmt *ab_assign(ParseState *st, Loc loc, const char *field, Loc field_loc, Expr *value, Expr *when);
void ab_own(ParseState *st, Stmt *s, Ownership own, Loc first, Loc last, Loc whole);
Stmt *ab_block(ParseState *st, Loc loc, Ownership own, Loc own_loc, Vec *stmts);
Stmt *ab_reject(ParseState *st, Loc loc, const char *message, Loc message_loc, Expr *when);
Stmt *ab_let_stmt(ParseState *st, Loc loc, const char *name, Loc name_loc, Expr *value);

Item *ab_mapping(ParseState *st, Loc loc, const char *name, Loc name_loc);
Item *ab_source(ParseState *st, Loc loc, const char *name, Loc name_loc, const char *path, Loc path_loc);
Item *ab_target(ParseState *st, Loc loc, const char *system, Loc system_loc, const char *path, Loc path_loc);
Item *ab_users(ParseState *st, Loc loc, const char *path, Loc path_loc);
Item *ab_table(ParseState *st, Loc loc, const char *name, Loc name_loc, Vec *entries,
               Expr *else_value, Loc else_loc);
Item *ab_entity(ParseState *st, Loc loc, const char *name, Loc name_loc, EntityMode mode,
                Loc mode_loc, Ident by, const char *key, Loc key_loc, Ownership master,
                Loc master_loc, Expr *when, Vec *stmts, Loc body_loc);
Item *ab_include(ParseState *st, Loc loc, const char *path, Loc path_loc);
Item *ab_let_item(ParseState *st, Loc loc, const char *name, Loc name_loc, Expr *value);
Item *ab_param_item(ParseState *st, Loc loc, const char *name, Loc name_loc, Expr *value);
void ab_item_add(ParseState *st, Item *item);
/* The E of an entity header's `when no E`; word must be "no" (E0001). */
Ident ab_fallback_of(ParseState *st, const char *word, Loc word_loc, const char *entity, Loc entity_loc);

#endif
