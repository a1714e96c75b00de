/* conn_json: what the connectors share for reading CRM answers with cJSON
 * (internal to connector*.c and conn_*.c). */
#ifndef CONN_JSON_H
#define CONN_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "connector.h"

/* Marks out found with id, and copies the fields asked for from holder (the
 * record, or its HubSpot "properties") as a JSON object; absent ones as null. */
void conn_current_fill(ConnCurrent *out, const char *id, const cJSON *holder, const ConnRead *r);

#endif
