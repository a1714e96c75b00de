/* schema_import_hs: what HubSpot's two importers share — a properties list
 * (schema_import_hs.c) and custom object schemas (schema_import_hs_schemas.c)
 * describe their properties alike. Internal to schema*.c. */
#ifndef SCHEMA_IMPORT_HS_H
#define SCHEMA_IMPORT_HS_H

#include "schema_import.h"

/* One element of a properties list as a field; an archived one is left out.
 * ctx is the Import. */
bool hs_listed(void *ctx, SchemaBuilder *b, const cJSON *prop);

/* True for a custom object schema (or a list of them): an object with a
 * "properties" array, which no property has. */
bool hs_is_schema(const cJSON *node);
/* GET /crm/v3/schemas (or one schema) to one entity per custom object. */
bool hs_import_schemas(Import *im);

#endif
