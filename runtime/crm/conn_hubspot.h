/* conn_hubspot: the HubSpot connector (CRM v3 batch, v4 associations, and
 * the imports API for large loads: conn_hubspot_import.c). */
#ifndef CONN_HUBSPOT_H
#define CONN_HUBSPOT_H

#include "connector.h"
#include "crm_vendor.h"

struct cJSON;

/* Starts at 90 requests per 10 s (the published limit is 100). */
extern const CrmVendor crm_hubspot;

Connector *conn_hubspot_new(const char *base_url);

/* One property value as HubSpot takes it (cm_free it), or NULL for an
 * unsendable value. null is the mapping's `clear`: HubSpot blanks a
 * property sent as "". */
char *hs_value_text(const struct cJSON *v);
/* True for an association pseudo-field assoc_OBJECT_N; *type gets N, *to
 * (when not NULL) OBJECT. */
bool hs_assoc_field(const char *name, long *type, char *to, size_t tolen);

/* ConnectorOps.bulk: upserts of a standard object by a unique property
 * through POST /crm/v3/imports (docs/run.md, "Bulk jobs"). */
ConnStatus hs_import_send(const Connector *c, Transport *t, struct ConnBulk *b, const RetryPolicy *p,
                          const RetryClock *clk, char *msg, size_t msglen);

#endif
