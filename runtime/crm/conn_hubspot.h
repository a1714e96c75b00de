/* conn_hubspot: the HubSpot connector (CRM v3 batch, v4 associations). */
#ifndef CONN_HUBSPOT_H
#define CONN_HUBSPOT_H

#include "connector.h"
#include "crm_vendor.h"

/* Starts at 90 requests per 10 s (the published limit is 100). */
extern const CrmVendor crm_hubspot;

Connector *conn_hubspot_new(const char *base_url);

#endif
