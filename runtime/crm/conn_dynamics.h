/* conn_dynamics: the Dynamics 365 (Dataverse Web API) connector. */
#ifndef CONN_DYNAMICS_H
#define CONN_DYNAMICS_H

#include "connector.h"
#include "crm_vendor.h"

/* Starts at 5,000 requests per 300 s (the service protection limit is
 * 6,000). api_version NULL: v9.2. */
extern const CrmVendor crm_dynamics;

Connector *conn_dynamics_new(const char *base_url, const char *api_version);
/* Dataverse's entity set of a logical name, which ConnBatch.entity and
 * ConnRead.entity want for Dynamics: contact -> contacts (cm_free it). */
char *conn_dynamics_entity_set(const char *logical);
/* A record's address: SET(attr='value') with the OData quote doubling, or
 * SET(guid) where key_field is NULL, percent-encoded; false (err says why)
 * for a key that is no GUID where one must be. */
/* CrmVendor.prepare: whether the table takes CreateMultiple (op create) or
 * UpsertMultiple (upsert), asked once for the connector's life. */
void conn_dynamics_prepare(const Connector *c, Transport *t, const char *set, const char *name, ConnOp op,
                           const RetryPolicy *p, const RetryClock *clk, uint64_t *requests);
bool conn_dynamics_put_key(CmBuf *b, const char *set, const char *key_field, const char *key, char *err,
                           size_t errlen);

#endif
