/* doc_paths: what the page tells about the lead data a mapping reads — the
 * source fields behind the paths of an expression or an entity, and the
 * fields on both sides of a value table (its keys' options, the CRM field
 * it fills), so the page can show question texts and option labels. */
#ifndef DOC_PATHS_H
#define DOC_PATHS_H

#include "check.h"

/* Source fields in the order first read, each once. */
typedef struct DocPaths {
    const Field **fields;
    size_t count, cap;
} DocPaths;

void doc_paths_of(DocPaths *p, const Expr *e);
/* Every path the entity reads: its `when`, values, conditions and rejects. */
void doc_paths_of_entity(DocPaths *p, const CheckedEntity *ce);
void doc_paths_free(DocPaths *p);

/* The first lookup of a table in the mapping: the source field whose
 * options its keys are (NULL when the key is computed) and the CRM field the
 * looked-up value is written into (NULL when none is). */
typedef struct DocTableUse {
    const Field *key;
    const Field *target;
} DocTableUse;

DocTableUse doc_table_use(const Checked *c, const Item *table);

#endif
