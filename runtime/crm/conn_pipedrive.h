/* conn_pipedrive: the Pipedrive connector (conn_pipedrive.c). */
#ifndef CONN_PIPEDRIVE_H
#define CONN_PIPEDRIVE_H

#include "connector.h"

/* A connection to base_url (https://COMPANY.pipedrive.com), paced at 20
 * requests per 2 s, the smallest plan's limit for an API token. */
Connector *conn_pipedrive_new(const char *base_url);

#endif
