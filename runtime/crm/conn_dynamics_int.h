/* conn_dynamics_int: what conn_dynamics.c (the $batch path, reads) and
 * conn_dynamics_multiple.c (CreateMultiple/UpsertMultiple) share; internal
 * to those two files. */
#ifndef CONN_DYNAMICS_INT_H
#define CONN_DYNAMICS_INT_H

#include "conn_dynamics.h"
#include "conn_json.h"

/* Whether a table takes a bulk operation message, as asked once a run. */
typedef enum DynTakes { DYN_TAKES_UNKNOWN, DYN_TAKES_NO, DYN_TAKES_YES } DynTakes;

typedef struct DynTable {
    char *set, *name;           /* entity set, logical name */
    DynTakes takes[2];          /* CreateMultiple, UpsertMultiple */
    unsigned taken[2], refused[2];  /* sets answered, and refused whole */
} DynTable;

typedef struct DynTables {
    DynTable *t;
    size_t n, cap;
} DynTables;

/* The Dynamics connector: a Connector and what it learnt of the tables
 * (through a pointer: parse and build see the connector const). */
typedef struct DynConnector {
    Connector c;
    DynTables *tables;
} DynConnector;

/* A request-level error is {"error": {"code", "message"}}; a query's
 * answer lists its "value". */
extern const ConnAnswerShape dyn_answer;

/* Connector.all_or_nothing: b goes as CreateMultiple/UpsertMultiple (the
 * table takes the message, and took more sets than it refused or refused
 * fewer than two); build and parse of such a b. */
bool dyn_multiple_takes(const Connector *c, const ConnBatch *b);
/* The table was asked, and takes b's message (whatever its sets' fate). */
bool dyn_multiple_asked(const Connector *c, const ConnBatch *b);
bool dyn_multiple_build(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen);
ConnStatus dyn_multiple_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                              char *msg, size_t msglen);
void dyn_tables_free(DynTables *tables);

#endif
