/* check: the type checker (DESIGN §4). Loads the schemas and users a mapping
 * names, resolves every name in it and reports E0101-E0113 and W0201-W0205.
 * Its result is what codegen compiles. */
#ifndef CHECK_H
#define CHECK_H

#include "ast.h"
#include "diag.h"
#include "schema.h"

typedef struct CheckedEntity {
    const Item *item;               /* the entity declaration */
    const SchemaEntity *schema;     /* its target field definitions */
} CheckedEntity;

typedef struct Checked {
    const Ast *ast;
    const char *mapping_name;       /* from `mapping "NAME"`, or the file's base name */
    const char *system;             /* target system: "salesforce", "hubspot", "dynamics" */
    SchemaEntity **targets;         /* every target entity loaded */
    size_t ntargets;
    SchemaEntity *source;           /* the source schema; NULL if none was declared */
    UsersFile *users;               /* NULL if none was declared */
    CheckedEntity *entities;        /* in file order */
    size_t nentities;
    const Item **tables;
    size_t ntables;
} Checked;

/* Checks ast (parsed from map_path, which anchors relative schema paths).
 * Always returns a Checked (partially filled when files are missing);
 * diagnostics go to sink. The caller compiles only when sink has no errors. */
Checked *check_mapping(DiagSink *sink, const Ast *ast, const char *map_path);
void check_free(Checked *c);

#endif
