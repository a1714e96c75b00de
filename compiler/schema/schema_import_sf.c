/* schema_import_sf: Salesforce sObject describe (GET sobjects/X/describe)
 * to the normalized form. Salesforce has no "required" flag: a field is
 * required on create when createable && !nillable && !defaultedOnCreate. */
#include <string.h>

#include "schema_import.h"

static const ImportType SF_TYPES[] = {
    { "id", FT_ID }, { "string", FT_STRING }, { "textarea", FT_TEXT },
    { "email", FT_EMAIL }, { "phone", FT_PHONE }, { "url", FT_URL },
    { "int", FT_INT }, { "long", FT_INT }, { "double", FT_DECIMAL },
    { "currency", FT_DECIMAL }, { "percent", FT_DECIMAL }, { "boolean", FT_BOOL },
    { "date", FT_DATE }, { "datetime", FT_DATETIME }, { "time", FT_TIME },
    { "picklist", FT_PICKLIST }, { "multipicklist", FT_MULTIPICKLIST },
    { "combobox", FT_PICKLIST }, { "reference", FT_REFERENCE },
    { "base64", FT_BINARY }, { "encryptedstring", FT_STRING },
    /* history and metadata objects: any value, sent as text */
    { "anyType", FT_STRING }, { "complexvalue", FT_TEXT }, { "json", FT_TEXT },
    /* compound fields: the parts are written, never the whole */
    { "address", FT_TEXT }, { "location", FT_STRING },
};
#define N_SF_TYPES (sizeof SF_TYPES / sizeof SF_TYPES[0])

static bool sf_type(Import *im, const cJSON *field, FieldType *type, bool *compound)
{
    const cJSON *t = import_type_name(im, field, "type", "field");
    if (t == NULL)
        return false;
    const ImportType *it = import_type_lookup(im, SF_TYPES, N_SF_TYPES, t->valuestring, t,
                                              "Salesforce field type", NULL);
    if (it == NULL)
        return false;
    *type = it->type;
    *compound = strcmp(t->valuestring, "address") == 0 || strcmp(t->valuestring, "location") == 0;
    return true;
}

static bool sf_values(Import *im, SchemaBuilder *b, Field *f, const cJSON *field)
{
    size_t n = 0;
    for (const cJSON *v = json_items(field, "picklistValues"); v != NULL; v = v->next) {
        const char *value;
        if (!schema_build_value_room(im->d, &n, v, "picklist values"))
            return false;
        if (!import_need_name(im, v, "value", "a picklist value", &value))
            return false;
        schema_build_value(b, f, value, json_str(v, "label"), json_bool(v, "active", true),
                           json_str(v, "validFor"));
    }
    return true;
}

static bool sf_references(Import *im, SchemaBuilder *b, Field *f, const cJSON *field)
{
    for (const cJSON *r = json_items(field, "referenceTo"); r != NULL; r = r->next) {
        if (!cJSON_IsString(r) || r->valuestring[0] == '\0') {
            json_error(im->d, r, false, "'referenceTo' must list object names, not %s", json_kind(r));
            return false;
        }
        schema_build_reference(b, f, r->valuestring);
    }
    return true;
}

static bool sf_field(void *ctx, SchemaBuilder *b, const cJSON *field)
{
    Import *im = ctx;
    const char *name;
    FieldType type;
    bool compound = false;
    if (!import_need_name(im, field, "name", "a field", &name) ||
        !sf_type(im, field, &type, &compound))
        return false;
    Field *f = schema_build_field(b, name, json_span(im->d, field));
    f->type = type;
    f->label = schema_build_strdup(b, json_str(field, "label"));
    f->length = (int)json_long(field, "length", 0, 1L << 30, 0);
    if (type == FT_DECIMAL) {
        f->precision = (int)json_long(field, "precision", 0, 99, 0);
        f->scale = f->precision ? (int)json_long(field, "scale", 0, f->precision, 0) : 0;
    }
    bool calculated = json_bool(field, "calculated", false);
    bool read_only = calculated || compound;
    f->createable = !read_only && json_bool(field, "createable", false);
    f->updateable = !read_only && json_bool(field, "updateable", false);
    f->required = f->createable && !json_bool(field, "nillable", true) &&
                  !json_bool(field, "defaultedOnCreate", false);
    f->unique = json_bool(field, "unique", false);
    f->external_id = json_bool(field, "externalId", false) || json_bool(field, "idLookup", false);
    if (type == FT_PICKLIST || type == FT_MULTIPICKLIST) {
        f->restricted = json_bool(field, "restrictedPicklist", false);
        const char *controller = json_str(field, "controllerName");
        if (controller != NULL && json_bool(field, "dependentPicklist", true))
            f->controller = schema_build_strdup(b, controller);
        if (!sf_values(im, b, f, field))
            return false;
        if (f->controller == NULL)
            for (size_t i = 0; i < f->nvalues; i++)
                f->values[i].valid_for = NULL;  /* a bitmap over no controller */
    }
    return type != FT_REFERENCE || sf_references(im, b, f, field);
}

static bool import_salesforce(Import *im)
{
    const cJSON *root = im->d->root;
    const cJSON *fields = import_root_array(im, "fields", "a Salesforce describe document",
                                            "save the response of GET /services/data/vXX.X/sobjects/OBJECT/describe");
    if (fields == NULL)
        return false;
    const char *name = import_entity_name(im, json_str(root, "name"), "this describe document");
    if (name == NULL)
        return false;
    const cJSON *name_node = json_get(root, "name");
    SchemaBuilder b;
    schema_build_begin(&b, im->system, name, im->d->src,
                       name_node ? json_span(im->d, name_node) : json_span(im->d, root));
    size_t n = 0;
    return import_finish(im, &b, schema_build_each(&b, im->d, fields, "fields in one entity", &n, sf_field, im));
}

const SchemaImporter schema_importer_sf = { "salesforce", import_salesforce };
