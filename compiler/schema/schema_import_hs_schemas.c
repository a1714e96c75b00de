/* schema_import_hs_schemas: HubSpot custom object schemas (GET
 * /crm/v3/schemas, or one of them: GET /crm/v3/schemas/OBJECT) to one entity
 * per object (or the one --entity names). The entity is named p_NAME, HubSpot's short-hand for a custom
 * object, which the objects and associations APIs take where the bare name
 * is refused since June 2025 (docs/schema.md cites the changelog), so the
 * connector addresses it by the mapping's entity name as it does a standard
 * object. Properties are read as a properties list is; requiredProperties
 * become required fields; each association defined from the object becomes
 * the reference pseudo-field assoc_TO_ID (the connector's association
 * fields, docs/connectors.md), ID being the USER_DEFINED type id. */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "schema_import_hs.h"

/* Object type ids of HubSpot's standard objects ("Object type IDs" table of
 * HubSpot's objects guide), as the names a mapping uses. */
static const struct { const char *id, *name; } STANDARD[] = {
    { "0-1", "contacts" }, { "0-2", "companies" }, { "0-3", "deals" },   { "0-5", "tickets" },
    { "0-7", "products" }, { "0-8", "line_items" }, { "0-27", "tasks" }, { "0-46", "notes" },
    { "0-47", "meetings" }, { "0-48", "calls" },    { "0-49", "emails" },
};

bool hs_is_schema(const cJSON *node)
{
    return cJSON_IsObject(node) && cJSON_IsArray(json_get(node, "properties"));
}

/* The schema's objectTypeId; answers of the v3 reference give only the
 * numeric id, whose type id is 2-ID. */
static const char *type_id(const cJSON *s, char *buf, size_t len)
{
    const char *t = json_str(s, "objectTypeId"), *id = json_str(s, "id");
    if (t != NULL || id == NULL)
        return t;
    snprintf(buf, len, "2-%s", id);
    return buf;
}

/* The mapping's name of the object of type id, from the standard table or
 * the schemas of the document; false when neither knows it. */
static bool type_name(const cJSON *schemas, const char *id, char *out, size_t len)
{
    for (size_t i = 0; i < sizeof STANDARD / sizeof STANDARD[0]; i++)
        if (strcmp(STANDARD[i].id, id) == 0)
            return snprintf(out, len, "%s", STANDARD[i].name) > 0;
    for (const cJSON *s = schemas; s != NULL; s = s->next) {
        char buf[48];
        const char *t = type_id(s, buf, sizeof buf), *name = json_str(s, "name");
        if (t != NULL && name != NULL && strcmp(t, id) == 0)
            return snprintf(out, len, "p_%s", name) < (int)len;
    }
    return false;
}

static bool digits(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 9 && s[n] == '\0' && s[0] != '0';
}

/* One pseudo-field per association defined from the object (self); those
 * defined from the other object are that object's. */
static bool links(Import *im, SchemaBuilder *b, const cJSON *s, const char *self, const cJSON *schemas)
{
    bool ok = true;
    for (const cJSON *a = json_items(s, "associations"); a != NULL; a = a->next) {
        const char *from = json_str(a, "fromObjectTypeId"), *to = json_str(a, "toObjectTypeId");
        const char *id = json_str(a, "id"), *label = json_str(a, "name");
        if (from == NULL || to == NULL || id == NULL || !digits(id)) {
            Diag *e = json_error(im->d, a, false, "an association needs fromObjectTypeId, toObjectTypeId and "
                                                  "a numeric id");
            diag_help(e, "save the answer of GET /crm/v3/schemas as HubSpot gives it");
            ok = false;
            continue;
        }
        if (strcmp(from, self) != 0)
            continue;
        char toname[160], name[200], text[320];
        if (!type_name(schemas, to, toname, sizeof toname)) {
            Diag *w = diag_report(im->d->sink, DIAG_WARNING, "W0218", json_span(im->d, a),
                                  "association %s (type %s) left out: object type %s is not described here",
                                  label ? label : "", id, to);
            diag_help(w, "import the answer of GET /crm/v3/schemas, which lists every custom object");
            continue;
        }
        snprintf(name, sizeof name, "assoc_%s_%s", toname, id);
        snprintf(text, sizeof text, "Association to %s (USER_DEFINED type %s%s%s)", toname, id, label ? ", " : "",
                 label ? label : "");
        Field *f = schema_build_field(b, name, json_span(im->d, a));
        f->type = FT_REFERENCE;
        f->label = schema_build_strdup(b, text);
        schema_build_reference(b, f, toname);
    }
    return ok;
}

static bool required(Import *im, SchemaBuilder *b, const cJSON *s)
{
    for (const cJSON *r = json_items(s, "requiredProperties"); r != NULL; r = r->next) {
        Field *f = NULL;
        for (size_t i = 0; cJSON_IsString(r) && i < b->e->nfields && f == NULL; i++)
            if (strcmp(b->e->fields[i].name, r->valuestring) == 0)
                f = &b->e->fields[i];
        if (f == NULL) {
            json_error(im->d, r, false, "a required property must name one of the object's properties");
            return false;
        }
        f->required = true;
    }
    return true;
}

static bool one_schema(Import *im, const cJSON *s, const cJSON *schemas)
{
    const char *name;
    char ename[160], tbuf[48];
    if (!import_need_name(im, s, "name", "a custom object schema", &name))
        return false;
    const char *self = type_id(s, tbuf, sizeof tbuf);
    if (self == NULL) {
        json_error(im->d, s, false, "a custom object schema needs its objectTypeId or id");
        return false;
    }
    snprintf(ename, sizeof ename, "p_%s", name);
    SchemaBuilder b;
    if (!import_begin(im, &b, ename, "a custom object schema"))
        return false;
    size_t n = 0;
    bool ok = schema_build_each(&b, im->d, json_get(s, "properties"), "properties", &n, hs_listed, im);
    ok = ok && required(im, &b, s);
    ok = links(im, &b, s, self, schemas) && ok;
    return import_finish(im, &b, ok);
}

/* Whether --entity (when given) asks for the schema s: its p_NAME. */
static bool wanted(const Import *im, const cJSON *s)
{
    const char *name = json_str(s, "name");
    return im->hint == NULL || (name != NULL && strncmp(im->hint, "p_", 2) == 0 && strcmp(im->hint + 2, name) == 0);
}

/* Every schema of the list, or the one --entity names (what `schema pull`
 * asks for: the list names the other objects its associations link to). */
bool hs_import_schemas(Import *im)
{
    const cJSON *root = im->d->root;
    if (hs_is_schema(root))
        return one_schema(im, root, root);
    const cJSON *list = cJSON_IsArray(root) ? root : json_get(root, "results");
    bool ok = true;
    size_t taken = 0;
    for (const cJSON *s = list->child; s != NULL; s = s->next) {
        if (!hs_is_schema(s)) {
            json_error(im->d, s, false, "not a custom object schema: no \"properties\" array");
            ok = false;
        } else if (wanted(im, s)) {
            ok = one_schema(im, s, list->child) && ok;
            taken++;
        }
    }
    if (ok && taken == 0) {
        Diag *e = json_error_head(im->d, root, "no custom object %s in this list of schemas", im->hint);
        CmBuf names = CM_BUF_INIT;
        for (const cJSON *s = list->child; s != NULL; s = s->next)
            cm_buf_printf(&names, "%sp_%s", names.len ? ", " : "", json_str(s, "name") ? json_str(s, "name") : "?");
        diag_help(e, "the custom objects it lists: %s", names.data);
        cm_buf_free(&names);
        ok = false;
    }
    return ok;
}
