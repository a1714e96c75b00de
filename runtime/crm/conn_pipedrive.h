/* conn_pipedrive: the Pipedrive connector (conn_pipedrive.c) and the
 * vendor (crm_pipedrive.c). */
#ifndef CONN_PIPEDRIVE_H
#define CONN_PIPEDRIVE_H

#include "connector.h"
#include "crm_vendor.h"

extern const CrmVendor crm_pipedrive;

/* A connection to base_url (https://COMPANY.pipedrive.com), paced at 20
 * requests per 2 s, the smallest plan's limit for an API token. */
Connector *conn_pipedrive_new(const char *base_url);

#endif
