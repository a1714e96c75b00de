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

#endif
