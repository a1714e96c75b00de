/* check_int: what the checker's files share (check.c: declarations and
 * entities; check_expr.c: expression types; check_value.c: values written
 * into target fields; check_names.c: name indexes and help texts).
 * Private to compiler/check*.c. */
#ifndef CHECK_INT_H
#define CHECK_INT_H

#include "check.h"

/* A string-keyed hash index (open addressing); keys are not copied. */
typedef struct NameIndex {
    const char **keys;
    const void **vals;
    size_t cap, count;
} NameIndex;

void names_init(NameIndex *ix, size_t expected);
/* Adds key unless present; returns the value already stored, or NULL. */
const void *names_put(NameIndex *ix, const char *key, const void *val);
const void *names_get(const NameIndex *ix, const char *key);
void names_free(NameIndex *ix);

/* A target entity with its field index. */
typedef struct Target {
    const SchemaEntity *schema;
    NameIndex fields;
    const char **names;         /* field names, for suggestions */
} Target;

typedef struct Checker {
    DiagSink *sink;
    Checked *out;
    CmArena *arena;                 /* out->arena */
    const DiagSource *src;          /* the .map file */
    const char *map_dir;            /* its folder, as written */
    const char *tree;               /* the folder tree it may read from (real path) */

    Target *targets;                /* parallel to out->targets */
    NameIndex target_ix;            /* entity name -> Target */
    const char **target_names;
    bool targets_failed;            /* no target schema: entity names unchecked */

    bool source_declared;           /* a `source` line exists (loaded or not) */
    bool no_source_reported;
    NameIndex source_ix;            /* dotted path -> Field */
    NameIndex object_ix;            /* proper prefixes of dotted paths */
    const char **source_names;

    bool users_declared;
    bool no_users_reported;

    NameIndex table_ix;             /* table name -> Item */
    size_t measures;                /* edit distances measured for helps */
    NameIndex value_ix;             /* Field address -> ValueIndex (ck_value) */
    struct ValueIndex **value_list; /* the ValueIndexes, to free */
    size_t nvalue_list;

    NameIndex let_ix;               /* the mapping's lets declared so far -> CheckedLet */
    NameIndex entity_let_ix;        /* the entity's own lets declared so far */
    NameIndex any_let_ix;           /* every let's name -> its first CheckedLet */
    CheckedLet *defining;           /* the let whose value is being checked */
    NameIndex param_ix;             /* param name -> CheckedParam */

    /* the entity being checked */
    size_t entity;                  /* index in out->entities */
    const Target *target;           /* NULL outside entities or when unknown */
    NameIndex seen_paths;           /* unknown source paths already reported here */
    NameIndex seen_pairs;           /* (table, field) checks already reported */
} Checker;

/* ---- check_paths.c ---- */
/* Finds the mapping's folder and tree (see check_paths.c). */
void ck_paths_init(Checker *ck, const char *map_path);
/* path as seen from the .map's folder; NULL (reported as E0113 at `at`) when
 * it is absolute or leads outside the tree. */
const char *ck_resolve_path(Checker *ck, const char *path, Span at);
/* False (reported) when a .json file in folder dir (written as `written` in
 * the .map) is a link that leads outside the tree. */
bool ck_dir_inside(Checker *ck, const char *dir, const char *written, Span at);

/* ---- check_names.c ---- */
/* The source text of e, when it is short and on one line; else NULL. */
const char *ck_text(Checker *ck, const Expr *e);
/* A span covering only the first n bytes of sp (a keyword at its start). */
Span ck_head(Span sp, uint32_t n);
uint32_t ck_line(Span sp);
/* "line N" of sp, or "line N of FILE" when sp is in an included file: for
 * helps that point at another declaration. In the Checker's arena. */
const char *ck_line_of(Checker *ck, Span sp);
/* Adds "did you mean 'X'?" to d when a candidate is close to name; true
 * when it did. */
bool ck_suggest(Checker *ck, Diag *d, const char *name, const char *const *cands, size_t n);
/* Whether helps that search (suggestions, value lists) are still worth
 * their time: not once a mapping has piled up hundreds of diagnostics. */
bool ck_helps(const Checker *ck);
/* The value of picklist f written text (with labels: also the value whose
 * label it is, for option sets of integers); NULL when none. Indexed on
 * first use, so checking many values of a long picklist stays linear. */
const PickValue *ck_value(Checker *ck, const Field *f, const char *text, bool labels);
void ck_values_free(Checker *ck);
/* Adds "allowed values: ..." (closest to text first, capped) to d. */
void ck_help_values(Checker *ck, Diag *d, const Field *f, const char *text);
/* A picklist value as the help lists it: "Hot", or 1 ("Preferred") for option sets. */
void ck_put_value(CmBuf *b, const Field *f, const PickValue *v);
/* "Account", "Account or Contact", "A, B and C" (conj "or" or "and"). */
void ck_put_names(CmBuf *b, const char *const *names, size_t n, const char *quote, const char *conj);
/* The article for word: "an" before a vowel sound ("an object", "an int"), else "a". */
const char *ck_a(const char *word);
const char *ck_system_key_kind(const CrmVendor *v);
/* Number of code points in s (bytes if not valid UTF-8). */
uint32_t ck_chars(const char *s, size_t len);

/* ---- check_file.c ---- */
/* A file into a field that is not a base64 one (into_file false: E0126), or
 * something else into a base64 field (E0127, W0219 for text); true when it
 * was reported, false for a value of no known type. */
bool ck_file_mismatch(Checker *ck, const Expr *e, const Field *f, bool into_file);

/* ---- check_partial.c ---- */
/* W0212: the key or a field required on create is given a value that can
 * fail at run time. */
void ck_fallible_fields(Checker *ck, const CheckedEntity *ce);
/* W0211: table t looked up (lookup) by a key without listed options, and t
 * has no `else`. */
void ck_open_lookup(Checker *ck, const Item *t, const Expr *lookup);
/* check_format.c: E0122 for a literal date format date() cannot read. */
void ck_date_format(Checker *ck, const Expr *call);

/* ---- check_let.c ---- */
/* Registers every let of ast in ck->out->lets (before anything is checked). */
void ck_lets_init(Checker *ck, const Ast *ast);
/* Checks let l (an item or an entity's statement) and brings it into scope. */
void ck_let(Checker *ck, const LetDecl *l);
/* e is a one-segment path: when it names a let, annotates e (or reports
 * E0117) and returns true. */
bool ck_let_use(Checker *ck, Expr *e);
/* The entity's own lets leave scope. */
void ck_lets_entity_end(Checker *ck);
/* W0214 for lets never used; frees the indexes. */
void ck_lets_finish(Checker *ck);

/* ---- check_param.c ---- */
/* Checks every param of ast (defaults, names: E0119) and brings them into
 * scope for the whole mapping. After ck_lets_init: a param may not take a
 * let's name. */
void ck_params(Checker *ck, const Ast *ast);
/* e is a one-segment path: when it names a param, annotates e and returns true. */
bool ck_param_use(Checker *ck, Expr *e);
/* W0215 for params never used; frees the index. */
void ck_params_finish(Checker *ck);

/* ---- check_expr.c ---- */
/* Infers e's type (annotating e->info) and reports what is wrong inside it. */
void ck_expr(Checker *ck, Expr *e);
/* Same, for a condition: it must be true/false. */
void ck_cond(Checker *ck, Expr *e);
/* True when two expressions are written the same (spans ignored). */
bool ck_expr_equal(const Expr *a, const Expr *b);

/* A set of expressions compared with ck_expr_equal, in time linear in their
 * size (tables and case expressions may have many thousand entries). */
typedef struct ExprSet {
    const Expr **items;
    uint64_t *hashes;
    size_t cap;
} ExprSet;
/* Room for `expected` additions. */
void ck_exprset_init(ExprSet *s, size_t expected);
/* The expression equal to e added before, else NULL (and e is added). */
const Expr *ck_exprset_add(ExprSet *s, const Expr *e);
void ck_exprset_free(ExprSet *s);
/* Checks a table's own entries (keys, duplicates, value types). */
void ck_table(Checker *ck, Item *table);
/* The type a checked table's values share; CT_ANY when they differ. */
CheckType ck_table_type(const Item *table);

/* ---- check_calls.c ---- */
/* The literal arguments and the result length of builtin call e (in is its
 * info, type already set), for the builtins that need more than their
 * first argument's length. */
void ck_call_rules(Checker *ck, Expr *e, struct CheckInfo *in);
/* label(q), resolved here: q must be a select question of the source whose
 * options the schema lists; the call's value is their label. */
void ck_label_call(Checker *ck, Expr *e, struct CheckInfo *in);

/* ---- check_value.c ---- */
/* Checks that value e (already inferred) fits target field f. */
/* items (n of them, each size bytes, *cap of room) in the checker's arena,
 * with room for one more: a copy twice as large (first when empty) when
 * full. */
void *ck_grow(Checker *ck, void *items, size_t n, size_t *cap, size_t first, size_t size);
void ck_value_into(Checker *ck, const Expr *e, const Field *f);

#endif
