/* conn_salesforce: the Salesforce connector (sObject Collections, SOQL reads,
 * Bulk API 2.0 ingest). */
#ifndef CONN_SALESFORCE_H
#define CONN_SALESFORCE_H

#include "connector.h"
#include "crm_vendor.h"

/* No client-side rate limit: Salesforce counts requests per 24 hours, and a
 * batch is 200 records. api_version NULL: v59.0. */
extern const CrmVendor crm_salesforce;

Connector *conn_salesforce_new(const char *base_url, const char *api_version);

/* ConnectorOps.bulk: Bulk API 2.0 ingest (conn_salesforce_bulk.c). */
ConnStatus sf_bulk_send(const Connector *c, Transport *t, ConnBulk *b, const RetryPolicy *p, const RetryClock *clk,
                        char *msg, size_t msglen);

#endif
