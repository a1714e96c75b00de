/* check: the type checker (docs/diagnostics.md). Loads the schemas and users a mapping
 * names (paths relative to the .map, kept inside its folder tree), resolves
 * every name in it and reports E0101-E0114 and W0201-W0205
 * (docs/diagnostics.md). Its result is what codegen compiles: every
 * expression of a checked entity or table gets a CheckInfo, every entity its
 * resolved target, key and assignments, every user(...) its CRM user.
 *
 * A wrong expression gets type CT_ANY so nothing around it reports again;
 * codegen runs only when the sink holds no error, and may then rely on every
 * pointer documented as resolved below. */
#ifndef CHECK_H
#define CHECK_H

#include "ast.h"
#include "builtins.h"
#include "crm_vendor.h"
#include "diag.h"
#include "schema.h"

/* The checker's view of a value's type (the lattice of expression types). */
typedef enum CheckType {
    CT_ANY,         /* unknown until run time (some builtins, `user`) */
    CT_NULL,        /* the literal null */
    CT_BOOL,
    CT_NUMBER,
    CT_STRING,
    CT_DATE,
    CT_DATETIME,
    CT_LIST,        /* list of strings: multi-select answers, split(), [..] */
    CT_OBJECT,      /* a nested source object such as `visitreport` */
    CT_REF,         /* ref ENTITY */
    CT_CLEAR,       /* clear */
    CT_FILE         /* a file source field, file(x) (docs/files.md) */
} CheckType;

const char *check_type_name(CheckType t);

/* The annotation each expression gets (Expr.info). Lives in the Checked's
 * arena: valid until check_free. */
struct CheckInfo {
    CheckType type;
    uint32_t max_len;           /* strings: most characters the value can have; lists:
                                   most each item can have; 0 unknown */
    const Field *options;       /* the value is one of this source field's options
                                   (a list of them for CT_LIST) */
    const Field *source;        /* EX_PATH: the source field; NULL for an object path */
    const char *path;           /* EX_PATH: the dotted path as the source schema names it */
    BuiltinId builtin;          /* EX_CALL: the builtin; BI__COUNT for user() */
    const User *user;           /* EX_CALL user("..."): the user it resolves to */
    const Expr *user_key;       /* EX_CALL user(x), creator(): the key looked up at run time */
    const Field *labels;        /* EX_CALL label(q): the source question q */
    const Item *table;          /* EX_LOOKUP: the table */
    bool elementwise;           /* EX_LOOKUP on a list: maps element by element */
    size_t ref;                 /* EX_REF: index into Checked.entities */
    const struct CheckedLet *let;   /* EX_PATH naming a let: it (the type above is its value's) */
    const struct CheckedParam *param;   /* EX_PATH naming a param: it */
};

/* A `param NAME = DEFAULT`: a literal the mapping reads as a constant, which
 * run, test, plan and serve may replace once at load (--param, the
 * connection file). Its index in Checked.params is its .mapc param index. */
typedef struct CheckedParam {
    const LetDecl *decl;
    CheckType type;                 /* CT_STRING, CT_NUMBER or CT_BOOL; CT_ANY when E0119 */
    bool used;
} CheckedParam;

/* A `let`, mapping-level or an entity's own. Its index in Checked.lets is
 * its slot: the value is computed once per record, at its first use. */
typedef struct CheckedLet {
    const LetDecl *decl;
    Span span;                      /* the whole declaration */
    int entity;                     /* index into Checked.entities; -1: the mapping's */
    bool used;
} CheckedLet;

/* One assignment with everything resolved. */
typedef struct CheckedAssign {
    const Stmt *stmt;               /* the ST_ASSIGN statement (value, when) */
    const Field *field;             /* its target field, in the entity's schema */
    Ownership own;                  /* effective: OWN_SOURCE, OWN_CRM or OWN_ON_CREATE
                                       (the statement's, else its block's, else the
                                       entity header's `master`, else OWN_SOURCE) */
} CheckedAssign;

typedef struct CheckedEntity {
    const Item *item;               /* the entity declaration (when, rejects) */
    EntityMode mode;                /* create, update or upsert */
    const SchemaEntity *schema;     /* its target field definitions; NULL if unknown */
    const Field *by;                /* update/upsert key; NULL for create */
    const Field *key;               /* `key FIELD`; NULL when absent */
    int fallback_of;                /* `when no E`: E's index in Checked.entities; -1: none */
    CheckedAssign *assigns;         /* in source order, blocks flattened; an
                                       unknown field's assignment is left out */
    size_t nassigns;
} CheckedEntity;

/* A picklist value the mapping can send to a target field (a literal, a
 * table value, a select answer's option, a user id), as the checker saw it
 * go in: the drift checks of `doctor` and `run` look for it in the CRM's
 * current values. */
typedef struct CheckedSend {
    const Field *field;
    const char *value;              /* the picklist's value (Dynamics: the integer as text) */
} CheckedSend;

typedef struct Checked {
    const Ast *ast;
    const char *mapping_name;       /* from `mapping "NAME"`, or the file's base name */
    const char *system;             /* the target system's name ("" when none is declared) */
    const CrmVendor *vendor;        /* the target system (crm_vendor.h); NULL when unknown */
    SchemaEntity **targets;         /* every target entity loaded */
    size_t ntargets;
    SchemaEntity *source;           /* the source schema; NULL if none was declared */
    UsersFile *users;               /* NULL if none was declared */
    CheckedEntity *entities;        /* in file order */
    size_t nentities;
    const Item **tables;            /* in file order; a second table of one name is left out */
    CheckType *table_types;         /* parallel to tables: the type its values share
                                       (CT_ANY when they differ) */
    size_t ntables;
    CheckedLet *lets;               /* in file order */
    size_t nlets;
    CheckedParam *params;           /* in file order */
    size_t nparams;
    CheckedSend *sends;             /* in the order checked; may repeat */
    size_t nsends, cap_sends;
    CmArena arena;                  /* owns the CheckInfos, names and arrays above */
} Checked;

/* Checks ast (parsed from map_path, which anchors relative schema paths).
 * Always returns a Checked (partially filled when files are missing);
 * diagnostics go to sink. The caller compiles only when sink has no errors.
 * The Ast's CheckInfo pointers dangle after check_free. */
Checked *check_mapping(DiagSink *sink, const Ast *ast, const char *map_path);
void check_free(Checked *c);

/* The option of picklist f that text names: its value, or for option sets
 * with numeric values also its label. NULL when none does. */
const PickValue *check_pick_value(const Field *f, const char *text);

#endif
