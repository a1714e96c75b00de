/* schema_import_cdm: Microsoft Common Data Model entity documents
 * (*.cdm.json, schemaDocuments/core/applicationCommon/...) to the normalized
 * form, named as the Dataverse Web API names them: the lowercase sourceName.
 * A CDM document is a model, not a live org: it carries data types, maximum
 * lengths, required levels and option values, not create/update rights. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_import.h"

static const ImportType CDM_TYPES[] = {
    { "string", FT_STRING }, { "name", FT_STRING }, { "firstName", FT_STRING },
    { "middleName", FT_STRING }, { "lastName", FT_STRING }, { "fullName", FT_STRING },
    { "addressLine", FT_STRING }, { "city", FT_STRING }, { "country", FT_STRING },
    { "county", FT_STRING }, { "postalCode", FT_STRING }, { "stateOrProvince", FT_STRING },
    { "governmentId", FT_STRING }, { "localizedDisplayText", FT_STRING },
    { "entityName", FT_STRING }, { "phone", FT_PHONE }, { "email", FT_EMAIL },
    { "url", FT_URL }, { "boolean", FT_BOOL }, { "integer", FT_INT }, { "bigInteger", FT_INT },
    { "timezone", FT_INT }, { "decimal", FT_DECIMAL }, { "double", FT_DECIMAL },
    { "currency", FT_DECIMAL }, { "baseCurrency", FT_DECIMAL }, { "latitude", FT_DECIMAL },
    { "longitude", FT_DECIMAL }, { "dateTime", FT_DATETIME }, { "date", FT_DATE },
    { "time", FT_TIME }, { "listLookup", FT_PICKLIST }, { "listLookupCorrelated", FT_PICKLIST },
    { "listLookupMultiple", FT_MULTIPICKLIST }, { "entityId", FT_ID }, { "guid", FT_ID },
    { "image", FT_BINARY },
};
#define N_CDM_TYPES (sizeof CDM_TYPES / sizeof CDM_TYPES[0])

/* CDM entity names that Dataverse spells differently. */
static const char *cdm_dataverse_name(const char *cdm, char *buf, size_t size)
{
    static const struct { const char *cdm, *dv; } NAMES[] = {
        { "User", "systemuser" }, { "Currency", "transactioncurrency" }, { "Case", "incident" },
    };
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcmp(cdm, NAMES[i].cdm) == 0)
            return NAMES[i].dv;
    size_t i = 0;
    for (; cdm[i] != '\0' && i + 1 < size; i++)
        buf[i] = (char)tolower((unsigned char)cdm[i]);
    buf[i] = '\0';
    return buf;
}

/* The value of the trait's argument (`{"name": ..., "value": ...}` or the
 * entityReference table), for a trait listed in appliedTraits. */
static const cJSON *cdm_trait(const cJSON *traits, const char *name)
{
    for (const cJSON *t = cJSON_IsArray(traits) ? traits->child : NULL; t != NULL; t = t->next) {
        const char *ref = json_str(t, "traitReference");
        if (ref != NULL && strcmp(ref, name) == 0) {
            const cJSON *args = json_get(t, "arguments");
            return cJSON_IsArray(args) && args->child ? args->child : t;
        }
    }
    return NULL;
}

/* Option values: the listLookupValues table rows {language, label, value, order, ...}. */
static bool cdm_options(Import *im, SchemaBuilder *b, Field *f, const cJSON *data_type)
{
    const cJSON *arg = cdm_trait(json_get(data_type, "appliedTraits"), "does.haveDefault");
    size_t n = 0;
    for (const cJSON *r = json_items(json_get(arg, "entityReference"), "constantValues"); r != NULL; r = r->next) {
        const cJSON *label = cJSON_GetArrayItem(r, 1), *value = cJSON_GetArrayItem(r, 2);
        if (!schema_build_value_room(im->d, &n, r, "options"))
            return false;
        char *end = NULL;
        long v = cJSON_IsString(value) ? strtol(value->valuestring, &end, 10) : 0;
        if (!cJSON_IsString(value) || end == value->valuestring || *end != '\0') {
            json_error(im->d, value ? value : r, false, "an option value must be an integer in a string, not %s",
                       json_kind(value));
            return false;
        }
        char num[24];
        snprintf(num, sizeof num, "%ld", v);
        schema_build_value(b, f, num, cJSON_IsString(label) ? label->valuestring : NULL, true, NULL);
    }
    f->numeric_values = true;
    f->restricted = true;
    return true;
}

static bool cdm_required(const cJSON *traits)
{
    const char *level = json_str(cdm_trait(traits, "is.requiredAtLevel"), "value");
    return level != NULL && (strcmp(level, "systemrequired") == 0 || strcmp(level, "required") == 0);
}

/* An attribute with a data type. */
static bool cdm_attribute(Import *im, SchemaBuilder *b, const cJSON *attr)
{
    const char *cdm_name, *name;
    if (!import_need_name(im, attr, "name", "an attribute", &cdm_name))
        return false;
    name = json_str(attr, "sourceName");
    const cJSON *dt = json_get(attr, "dataType");
    const char *tname = cJSON_IsString(dt) ? dt->valuestring : json_str(dt, "dataTypeReference");
    if (tname == NULL) {
        json_error_head(im->d, attr, "attribute '%s' has no dataType", cdm_name);
        return false;
    }
    const ImportType *it = import_type_find(CDM_TYPES, N_CDM_TYPES, tname);
    if (it == NULL) {
        json_error(im->d, dt, false, "unknown CDM data type '%s'", tname);
        return false;
    }
    char lower[256];
    Field *f = schema_build_field(b, name ? name : cdm_dataverse_name(cdm_name, lower, sizeof lower),
                                  json_span(im->d, attr));
    f->type = it->type;
    f->label = schema_build_strdup(b, json_str(attr, "displayName"));
    f->length = (int)json_long(attr, "maximumLength", 0, 1L << 30, 0);
    const cJSON *traits = json_get(attr, "appliedTraits");
    const char *purpose = json_str(attr, "purpose");
    bool key = purpose != NULL && strcmp(purpose, "identifiedBy") == 0;
    /* the state is set by its own request, never on create */
    bool state = purpose != NULL && strcmp(purpose, "representsStateWith") == 0;
    bool read_only = json_bool(attr, "isReadOnly", false) || cdm_trait(traits, "is.calculationOf") != NULL;
    f->createable = !read_only && !state;
    f->updateable = !read_only && !key;
    f->unique = key;
    f->required = f->createable && !key && cdm_required(traits);
    if (f->type == FT_PICKLIST || f->type == FT_MULTIPICKLIST)
        return cdm_options(im, b, f, dt);
    return true;
}

/* The names an entity reference may point to: "Contact", or an inline
 * entity whose hasAttributes list the options (Customer: Contact, Account). */
static void cdm_targets(SchemaBuilder *b, Field *f, const cJSON *ref)
{
    char buf[256];
    if (cJSON_IsString(ref)) {
        schema_build_reference(b, f, cdm_dataverse_name(ref->valuestring, buf, sizeof buf));
        return;
    }
    for (const cJSON *o = json_items(ref, "hasAttributes"); o != NULL; o = o->next) {
        const cJSON *r = json_get(json_get(o, "entity"), "entityReference");
        if (cJSON_IsString(r))
            schema_build_reference(b, f, cdm_dataverse_name(r->valuestring, buf, sizeof buf));
    }
}

/* An attribute that is a relationship: its foreign key is the lookup field.
 * Those expanded inline (addresses) have no single key and are left out. */
static bool cdm_entity_attribute(Import *im, SchemaBuilder *b, const cJSON *attr)
{
    const cJSON *guide = json_get(attr, "resolutionGuidance");
    const cJSON *fk = json_get(json_get(guide, "entityByReference"), "foreignKeyAttribute");
    const char *name = json_str(fk, "sourceName");
    if (name == NULL || json_get(guide, "expansion") != NULL)
        return true;
    Field *f = schema_build_field(b, name, json_span(im->d, attr));
    f->type = FT_REFERENCE;
    f->label = schema_build_strdup(b, json_str(fk, "displayName"));
    const cJSON *traits = json_get(fk, "appliedTraits");
    f->required = cdm_required(traits);
    cdm_targets(b, f, json_get(json_get(attr, "entity"), "entityReference"));
    return true;
}

static bool cdm_member(void *ctx, SchemaBuilder *b, const cJSON *m)
{
    Import *im = ctx;
    if (cJSON_IsString(m))
        return true;    /* a reference to an attribute defined elsewhere */
    if (json_get(m, "entity") != NULL)
        return cdm_entity_attribute(im, b, m);
    return cdm_attribute(im, b, m);
}

bool import_cdm(Import *im)
{
    size_t before = im->added;
    for (const cJSON *def = json_items(im->d->root, "definitions"); def != NULL; def = def->next) {
        const char *cdm_name = json_str(def, "entityName");
        const cJSON *attrs = json_get(def, "hasAttributes");
        if (cdm_name == NULL || !cJSON_IsArray(attrs))
            continue;   /* traits, data types, purposes: not entities */
        const char *source = json_str(def, "sourceName");
        char buf[256];
        const char *name = cdm_dataverse_name(source ? source : cdm_name, buf, sizeof buf);
        SchemaBuilder b;
        schema_build_begin(&b, im->system, name, im->d->src, json_span(im->d, json_get(def, "entityName")));
        bool ok = true;
        size_t n = 0;
        for (const cJSON *a = attrs->child; a != NULL && ok; a = a->next) {
            const cJSON *group = json_get(json_get(a, "attributeGroupReference"), "members");
            if (cJSON_IsArray(group))
                ok = schema_build_each(&b, im->d, group, "attributes", &n, cdm_member, im);
            else
                ok = schema_build_room(im->d, &n, a, "attributes") && cdm_member(im, &b, a);
        }
        if (!import_finish(im, &b, ok))
            return false;
    }
    if (im->added == before) {
        Diag *e = json_error_head(im->d, im->d->root, "no entity definition in this CDM document");
        diag_help(e, "an entity document has \"definitions\": [ { \"entityName\": ..., \"hasAttributes\": [...] } ]");
        return false;
    }
    return true;
}
