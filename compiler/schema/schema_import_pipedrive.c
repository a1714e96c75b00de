/* schema_import_pipedrive: Pipedrive field lists (GET /v1/personFields,
 * /v1/organizationFields, /v1/leadFields, /v1/noteFields: {"success", "data":
 * [field, ...]}, or one field) to the normalized form. A field's `key` is its
 * name (a custom field's is a 40-character hash), its `name` the label a
 * mapping may address it by; enum and set options are {id, label}: the id is
 * what the API takes, so the values are the ids as text (numeric_values) and
 * the labels are accepted for them. The document never names its entity:
 * --entity does (persons, organizations, leads, notes).
 *
 * edit_flag says a field is custom, not that it is writable. Pipedrive marks
 * no field read-only; what it offers for input is what its add dialog shows
 * (add_visible_flag), what bulk editing allows, and custom fields — and never
 * the record's id. A mandatory_flag of true is required on create only for
 * such fields shown when adding (the owner is mandatory but defaults to the
 * caller); Pipedrive also writes it as an object of conditions, which
 * requires nothing unconditionally. */
#include <stdio.h>
#include <string.h>

#include "schema_import.h"

typedef struct PdType {
    const char *name;
    FieldType type;
    const char *references;     /* FT_REFERENCE: the entity */
} PdType;

/* Pipedrive's field types (the field_type enum of its v1 reference). */
static const PdType TYPES[] = {
    { "varchar", FT_STRING, NULL },     { "varchar_auto", FT_STRING, NULL }, { "varchar_options", FT_STRING, NULL },
    { "text", FT_TEXT, NULL },          { "address", FT_STRING, NULL },      { "phone", FT_PHONE, NULL },
    { "double", FT_DECIMAL, NULL },     { "monetary", FT_DECIMAL, NULL },    { "int", FT_INT, NULL },
    { "boolean", FT_BOOL, NULL },       { "date", FT_DATE, NULL },           { "daterange", FT_DATE, NULL },
    { "time", FT_TIME, NULL },          { "timerange", FT_TIME, NULL },      { "enum", FT_PICKLIST, NULL },
    { "set", FT_MULTIPICKLIST, NULL },  { "status", FT_PICKLIST, NULL },     { "visible_to", FT_INT, NULL },
    { "json", FT_TEXT, NULL },          { "picture", FT_ID, NULL },          { "stage", FT_INT, NULL },
    { "pipeline", FT_INT, NULL },       { "billing_frequency", FT_STRING, NULL }, { "price_list", FT_STRING, NULL },
    { "projects_board", FT_INT, NULL }, { "projects_phase", FT_INT, NULL },  { "activity", FT_INT, NULL },
    { "product", FT_INT, NULL },        { "project", FT_INT, NULL },
    { "org", FT_REFERENCE, "organizations" }, { "people", FT_REFERENCE, "persons" },
    { "user", FT_REFERENCE, "user" },   { "deal", FT_REFERENCE, "deals" },   { "lead", FT_REFERENCE, "leads" },
};

/* The related-record fields a note (and others) lists as plain int or
 * varchar: by their key they point to a record. */
static const struct { const char *key, *entity; } RELATED[] = {
    { "person_id", "persons" }, { "org_id", "organizations" }, { "organization_id", "organizations" },
    { "deal_id", "deals" },     { "lead_id", "leads" },        { "owner_id", "user" },
    { "user_id", "user" },
};

static const PdType *pd_type(Import *im, const cJSON *field)
{
    const cJSON *t = import_type_name(im, field, "field_type", "field");
    if (t == NULL)
        return NULL;
    const char *names[sizeof TYPES / sizeof TYPES[0]];
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        if (strcmp(t->valuestring, TYPES[i].name) == 0)
            return &TYPES[i];
        names[i] = TYPES[i].name;
    }
    json_unknown_name(im->d, t, "Pipedrive field type", t->valuestring, names, sizeof names / sizeof names[0],
                      NULL);
    return NULL;
}

static bool pd_options(Import *im, SchemaBuilder *b, Field *f, const cJSON *field)
{
    size_t n = 0;
    bool numeric = true;
    for (const cJSON *o = json_items(field, "options"); o != NULL; o = o->next) {
        if (!schema_build_value_room(im->d, &n, o, "options"))
            return false;
        const cJSON *id = json_get(o, "id");
        char text[32];
        const char *value;
        if (json_is_integer(id)) {
            snprintf(text, sizeof text, "%.0f", id->valuedouble);
            value = text;
        } else if (cJSON_IsString(id) && id->valuestring[0] != '\0') {
            value = id->valuestring;    /* a deal's status: "open", "won", ... */
            numeric = false;
        } else {
            if (id == NULL)
                json_error_head(im->d, o, "an option without an 'id'");
            else
                json_error(im->d, id, false, "an option's 'id' must be an integer or a string, not %s",
                           json_kind(id));
            return false;
        }
        schema_build_value(b, f, value, json_str(o, "label"), true, NULL);
    }
    f->numeric_values = numeric;
    f->restricted = true;
    return true;
}

static const char *related(const char *key)
{
    for (size_t i = 0; i < sizeof RELATED / sizeof RELATED[0]; i++)
        if (strcmp(key, RELATED[i].key) == 0)
            return RELATED[i].entity;
    return NULL;
}

static bool pd_field(void *ctx, SchemaBuilder *b, const cJSON *field)
{
    Import *im = ctx;
    const char *key;
    if (!import_need_name(im, field, "key", "a field", &key))
        return false;
    const PdType *t = pd_type(im, field);
    if (t == NULL)
        return false;
    if (!json_bool(field, "active_flag", true))
        return true;    /* deleted: not offered */
    Field *f = schema_build_field(b, key, json_span(im->d, field));
    f->type = strcmp(key, "email") == 0 && t->type == FT_STRING ? FT_EMAIL : t->type;
    f->label = schema_build_strdup(b, json_str(field, "name"));
    if (t->type == FT_STRING)
        f->length = 255;    /* "Text (up to 255 characters)" */
    const char *to = t->references;
    if (to == NULL && (t->type == FT_INT || t->type == FT_STRING))
        to = related(key);
    if (to != NULL) {
        f->type = FT_REFERENCE;
        schema_build_reference(b, f, to);
    }
    bool custom = json_bool(field, "edit_flag", false);
    bool shown = json_bool(field, "add_visible_flag", true);
    bool writable = strcmp(key, "id") != 0 && t->type != FT_ID &&
                    (custom || shown || json_bool(field, "bulk_edit_allowed", false));
    f->createable = f->updateable = writable;
    f->required = writable && shown && cJSON_IsTrue(json_get(field, "mandatory_flag"));
    /* what Pipedrive's search finds exactly (a person's e-mail, an
     * organization's name, a lead's title) can key an upsert */
    f->unique = f->type == FT_EMAIL || (strcmp(key, "name") == 0 && strcmp(b->e->name, "organizations") == 0) ||
                (strcmp(key, "title") == 0 && strcmp(b->e->name, "leads") == 0);
    if (t->type == FT_PICKLIST || t->type == FT_MULTIPICKLIST)
        return pd_options(im, b, f, field);
    return true;
}

static bool import_pipedrive(Import *im)
{
    const cJSON *root = im->d->root;
    const cJSON *data = json_get(root, "data");
    const cJSON *list = cJSON_IsArray(data) ? data : cJSON_IsArray(root) ? root : NULL;
    bool one = list == NULL && json_get(cJSON_IsObject(data) ? data : root, "field_type") != NULL;
    if (list == NULL && !one) {
        Diag *e = json_error_head(im->d, root, "not a Pipedrive fields document: no \"data\" list of fields");
        diag_help(e, "save the response of GET /v1/personFields (or organizationFields, leadFields, noteFields)");
        return false;
    }
    if (json_get(root, "success") != NULL && !json_bool(root, "success", false)) {
        const char *why = json_str(root, "error");
        json_error_head(im->d, root, "a Pipedrive error answer, not fields%s%s", why ? ": " : "", why ? why : "");
        return false;
    }
    SchemaBuilder b;
    if (!import_begin(im, &b, NULL, "a Pipedrive fields document"))
        return false;
    size_t n = 0;
    bool ok = one ? pd_field(im, &b, cJSON_IsObject(data) ? data : root)
                  : schema_build_each(&b, im->d, list, "fields", &n, pd_field, im);
    return import_finish(im, &b, ok);
}

const SchemaImporter schema_importer_pd = { "pipedrive", import_pipedrive };
