/* schema_import_hs: HubSpot properties (GET /crm/v3/properties/{object}, or
 * one property) to the normalized form. `type` is the data type, `fieldType`
 * only the widget — except that an enumeration shown as checkboxes holds
 * several values. The document never names its object: --entity does.
 * Custom object schemas go to schema_import_hs_schemas.c. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema_import_hs.h"

static bool hs_type(Import *im, const cJSON *prop, FieldType *type)
{
    const cJSON *t = import_type_name(im, prop, "type", "property");
    const char *widget = json_str(prop, "fieldType");
    if (t == NULL)
        return false;
    const char *s = t->valuestring;
    if (strcmp(s, "string") == 0)
        *type = widget && strcmp(widget, "textarea") == 0 ? FT_TEXT
              : widget && strcmp(widget, "phonenumber") == 0 ? FT_PHONE
              : widget && strcmp(widget, "file") == 0 ? FT_URL : FT_STRING;
    else if (strcmp(s, "number") == 0)
        *type = FT_DECIMAL;
    else if (strcmp(s, "date") == 0)
        *type = FT_DATE;
    else if (strcmp(s, "datetime") == 0)
        *type = FT_DATETIME;
    else if (strcmp(s, "bool") == 0)
        *type = FT_BOOL;
    else if (strcmp(s, "phone_number") == 0)
        *type = FT_PHONE;
    else if (strcmp(s, "enumeration") == 0)
        *type = widget && strcmp(widget, "checkbox") == 0 ? FT_MULTIPICKLIST
              : widget && strcmp(widget, "booleancheckbox") == 0 ? FT_BOOL : FT_PICKLIST;
    else {
        static const char *const names[] = { "string", "number", "date", "datetime", "bool",
                                              "phone_number", "enumeration" };
        json_unknown_name(im->d, t, "HubSpot property type", s, names, sizeof names / sizeof names[0], NULL);
        return false;
    }
    return true;
}

/* HubSpot's referencedObjectType (OWNER, COMPANY, ...) as the object name a
 * mapping uses; owners are what user() resolves to. */
static const char *hs_object_name(const char *ref)
{
    static const struct { const char *ref, *name; } NAMES[] = {
        { "OWNER", "owners" }, { "COMPANY", "companies" }, { "CONTACT", "contacts" },
        { "DEAL", "deals" }, { "TICKET", "tickets" }, { "SEQUENCE", "sequences" },
    };
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcasecmp(ref, NAMES[i].ref) == 0)
            return NAMES[i].name;
    return ref;
}

/* The object's id property, accepted by HubSpot as an upsert key even though
 * hasUniqueValue is false for it. */
static bool hs_id_property(const char *object, const char *property)
{
    return (strcasecmp(object, "contacts") == 0 || strcasecmp(object, "contact") == 0) &&
           strcmp(property, "email") == 0;
}

/* A note's hs_attachment_ids holds ids of files uploaded through the Files
 * API (HubSpot's notes guide, "Create a note"), whatever its type says: a
 * reference to the pseudo-object files, so `ref files` may fill it. */
static bool hs_file_ids(const char *object, const char *property)
{
    return strcasecmp(object, "notes") == 0 && strcmp(property, "hs_attachment_ids") == 0;
}

/* HubSpot's property definitions carry no "required"; its notes guide
 * ("Create a note", Properties) marks a note's hs_timestamp Required: the
 * time that places the note on the record's timeline. */
static bool hs_required(const char *object, const char *property)
{
    return strcasecmp(object, "notes") == 0 && strcmp(property, "hs_timestamp") == 0;
}

static bool hs_property(void *ctx, SchemaBuilder *b, const cJSON *prop)
{
    Import *im = ctx;
    const char *name;
    FieldType type;
    if (!import_need_name(im, prop, "name", "a property", &name) || !hs_type(im, prop, &type))
        return false;
    const char *ref = hs_file_ids(b->e->name, name) ? "files" : json_str(prop, "referencedObjectType");
    if (ref != NULL && ref[0] != '\0')
        type = FT_REFERENCE;
    Field *f = schema_build_field(b, name, json_span(im->d, prop));
    f->type = type;
    f->label = schema_build_strdup(b, json_str(prop, "label"));
    const char *widget = json_str(prop, "fieldType");
    bool calculated = json_bool(prop, "calculated", false) ||
                      (widget != NULL && strncmp(widget, "calculation_", 12) == 0);
    const cJSON *meta = json_get(prop, "modificationMetadata");
    bool read_only = calculated || json_bool(meta, "readOnlyValue", false);
    f->createable = f->updateable = !read_only;
    f->required = f->createable && hs_required(b->e->name, name);
    f->unique = json_bool(prop, "hasUniqueValue", false) || hs_id_property(b->e->name, name);
    /* a unique identifier property is made to hold another system's key */
    f->external_id = json_bool(prop, "hasUniqueValue", false);
    if (type == FT_REFERENCE) {
        schema_build_reference(b, f, hs_object_name(ref));
        return true;
    }
    if (type != FT_PICKLIST && type != FT_MULTIPICKLIST)
        return true;
    size_t n = 0;
    for (const cJSON *o = json_items(prop, "options"); o != NULL; o = o->next) {
        const char *value;
        if (!schema_build_value_room(im->d, &n, o, "options"))
            return false;
        const char *empty = json_str(o, "value");
        if (empty != NULL && empty[0] == '\0')
            continue;   /* "no value": never sent, an empty value is omitted */
        if (!import_need_name(im, o, "value", "an option", &value))
            return false;
        schema_build_value(b, f, value, json_str(o, "label"), !json_bool(o, "hidden", false), NULL);
    }
    /* every enumeration is closed, unless its options live elsewhere and
     * none are listed */
    f->restricted = f->nvalues > 0 || !json_bool(prop, "externalOptions", false);
    return true;
}

/* The HubSpot-defined default (unlabeled) association types between the
 * standard objects, from -> to, as the "Association type ID values" tables
 * of HubSpot's associations guide give them (docs/schema.md cites it). */
static const struct { const char *from, *to; int type; } ASSOCIATIONS[] = {
    { "contacts", "companies", 279 }, { "contacts", "deals", 4 },     { "contacts", "tickets", 15 },
    { "companies", "contacts", 280 }, { "companies", "deals", 342 },  { "companies", "tickets", 340 },
    { "deals", "contacts", 3 },       { "deals", "companies", 341 },  { "deals", "tickets", 27 },
    { "tickets", "contacts", 16 },    { "tickets", "companies", 339 }, { "tickets", "deals", 28 },
    { "notes", "contacts", 202 },     { "notes", "companies", 190 },  { "notes", "deals", 214 },
    { "notes", "tickets", 228 },
};

/* A reference pseudo-field assoc_TO_N per default association type of the
 * object: `ref` to a TO entity links the records (the connector sends it as
 * an association, not a property: inside a create's input, after an update
 * or upsert through the v4 associations API). */
static void hs_associations(SchemaBuilder *b, Span span)
{
    for (size_t i = 0; i < sizeof ASSOCIATIONS / sizeof ASSOCIATIONS[0]; i++) {
        if (strcasecmp(b->e->name, ASSOCIATIONS[i].from) != 0)
            continue;
        char name[64], label[96];
        snprintf(name, sizeof name, "assoc_%s_%d", ASSOCIATIONS[i].to, ASSOCIATIONS[i].type);
        snprintf(label, sizeof label, "Association to %s (HubSpot-defined type %d)", ASSOCIATIONS[i].to,
                 ASSOCIATIONS[i].type);
        Field *f = schema_build_field(b, name, span);
        f->type = FT_REFERENCE;
        f->label = schema_build_strdup(b, label);
        f->updateable = true;
        schema_build_reference(b, f, ASSOCIATIONS[i].to);
    }
}

/* A property of a list: an archived one is not offered any more. */
bool hs_listed(void *ctx, SchemaBuilder *b, const cJSON *prop)
{
    return json_bool(prop, "archived", false) || hs_property(ctx, b, prop);
}

static bool import_hubspot(Import *im)
{
    const cJSON *root = im->d->root;
    const cJSON *results = json_get(root, "results");
    const cJSON *list = cJSON_IsArray(root) ? root : cJSON_IsArray(results) ? results : NULL;
    if (hs_is_schema(root) || (list != NULL && hs_is_schema(list->child)))
        return hs_import_schemas(im);
    if (list == NULL && json_get(root, "name") == NULL) {
        Diag *e = json_error_head(im->d, root, "not a HubSpot properties document: no \"results\" array");
        diag_help(e, "save the response of GET /crm/v3/properties/OBJECT, or of GET /crm/v3/schemas for custom objects");
        return false;
    }
    SchemaBuilder b;
    if (!import_begin(im, &b, NULL, "a HubSpot properties document"))
        return false;
    size_t n = 0;
    bool ok = list == NULL ? hs_property(im, &b, root)     /* one property */
                           : schema_build_each(&b, im->d, list, "properties", &n, hs_listed, im);
    if (ok)
        hs_associations(&b, json_span(im->d, root));
    return import_finish(im, &b, ok);
}

const SchemaImporter schema_importer_hs = { "hubspot", import_hubspot };
