/* schema_import_dyn: Dynamics 365 / Dataverse attribute metadata (the Web
 * API's EntityDefinitions(LogicalName='x')/Attributes list or one of its type
 * casts, its bare `value` array, one attribute document, or an
 * EntityDefinition with its Attributes and Keys expanded) to the normalized
 * form, and the entity's /Keys and /ManyToOneRelationships answers to the
 * facts they add (an alternate key, a lookup's navigation property). Names
 * are LogicalNames; choice values are integers; helper attributes
 * (AttributeOf) are not writable. */
#include <stdio.h>
#include <string.h>

#include "schema_import.h"

static const ImportType DYN_TYPES[] = {
    { "String", FT_STRING }, { "Memo", FT_TEXT }, { "Integer", FT_INT },
    { "BigInt", FT_INT }, { "Decimal", FT_DECIMAL }, { "Double", FT_DECIMAL },
    { "Money", FT_DECIMAL }, { "Boolean", FT_BOOL }, { "DateTime", FT_DATETIME },
    { "Picklist", FT_PICKLIST }, { "State", FT_PICKLIST }, { "Status", FT_PICKLIST },
    { "MultiSelectPicklist", FT_MULTIPICKLIST }, { "Lookup", FT_REFERENCE },
    { "Customer", FT_REFERENCE }, { "Owner", FT_REFERENCE },
    { "Uniqueidentifier", FT_ID }, { "UniqueIdentifier", FT_ID },   /* AttributeType, @odata.type */
    { "Virtual", FT_STRING }, { "EntityName", FT_STRING },
    { "PartyList", FT_STRING }, { "CalendarRules", FT_STRING },
    { "ManagedProperty", FT_STRING }, { "Image", FT_BINARY }, { "File", FT_BINARY },
};
#define N_DYN_TYPES (sizeof DYN_TYPES / sizeof DYN_TYPES[0])

/* Types whose values are only ever computed by the platform. */
static bool dyn_type_read_only(const char *t)
{
    return strcmp(t, "Virtual") == 0 || strcmp(t, "CalendarRules") == 0 ||
           strcmp(t, "ManagedProperty") == 0;
}

/* The non-empty text between open and the next close in s (NULL: none)
 * into buf; false when there is none or it does not fit. */
static bool between(const char *s, const char *open, const char *close, char *buf, size_t size)
{
    const char *p = s ? strstr(s, open) : NULL;
    if (p == NULL)
        return false;
    p += strlen(open);
    const char *end = strstr(p, close);
    if (end == NULL || end == p || (size_t)(end - p) >= size)
        return false;
    snprintf(buf, size, "%.*s", (int)(end - p), p);
    return true;
}

/* The AttributeType, or the one named by "#Microsoft.Dynamics.CRM.XAttributeMetadata"
 * in @odata.type, or else in the @odata.context of a single attribute or of
 * a type cast's collection, whose items carry neither ($select drops
 * AttributeType; a cast names the type once, for all). */
static bool dyn_type_name(const cJSON *attr, const char *context, char *buf, size_t size)
{
    const char *t = json_str(attr, "AttributeType");
    if (t != NULL) {
        snprintf(buf, size, "%s", t);
        return true;
    }
    const char *odata = json_str(attr, "@odata.type");
    return between(odata ? odata : context, "Microsoft.Dynamics.CRM.", "AttributeMetadata", buf, size);
}

/* A Label object: the user's localized label, else the first one. */
static const char *dyn_label(const cJSON *label)
{
    const char *s = json_str(json_get(label, "UserLocalizedLabel"), "Label");
    if (s != NULL)
        return s;
    const cJSON *all = json_get(label, "LocalizedLabels");
    return cJSON_IsArray(all) && all->child ? json_str(all->child, "Label") : NULL;
}

static bool dyn_options(Import *im, SchemaBuilder *b, Field *f, const cJSON *attr)
{
    const cJSON *set = json_get(attr, "OptionSet");
    if (!cJSON_IsObject(set))
        set = json_get(attr, "GlobalOptionSet");
    size_t n = 0;
    for (const cJSON *o = json_items(set, "Options"); o != NULL; o = o->next) {
        const cJSON *v = json_get(o, "Value");
        if (!schema_build_value_room(im->d, &n, o, "options"))
            return false;
        if (!json_is_integer(v) || v->valuedouble < -2147483648.0 || v->valuedouble > 2147483647.0) {
            json_error(im->d, v ? v : o, false, "an option's 'Value' must be an integer, not %s",
                       json_kind(v));
            return false;
        }
        char num[16];
        snprintf(num, sizeof num, "%ld", (long)v->valuedouble);
        schema_build_value(b, f, num, dyn_label(json_get(o, "Label")), true, NULL);
    }
    f->numeric_values = true;
    return true;
}

/* A number attribute's MinValue and MaxValue (Integer, BigInt, Decimal,
 * Double, Money) and, but for Integer and BigInt, its Precision: the digits
 * after the point the column keeps. A Money column takes that Precision
 * only where its PrecisionSource is 0; 1 and 2 (the default) defer to the
 * organization's pricing precision or the record's currency, which no
 * attribute document gives. */
static bool dyn_number(Import *im, Field *f, const cJSON *attr, const char *tname)
{
    static const char *const keys[] = { "MinValue", "MaxValue" };
    bool *has[] = { &f->has_min, &f->has_max };
    double *at[] = { &f->min, &f->max };
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = json_get(attr, keys[i]);
        if (v == NULL || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsNumber(v)) {
            json_error(im->d, v, false, "'%s' must be a number, not %s", keys[i], json_kind(v));
            return false;
        }
        *has[i] = true;
        *at[i] = v->valuedouble;
    }
    if (f->has_min && f->has_max && f->min > f->max) {
        json_error(im->d, json_get(attr, "MinValue"), false, "'MinValue' is greater than 'MaxValue'");
        return false;
    }
    long places = f->type == FT_DECIMAL ? json_long(attr, "Precision", 0, 10, -1) : -1;
    if (strcmp(tname, "Money") == 0 && json_long(attr, "PrecisionSource", 0, 2, 2) != 0)
        places = -1;
    f->has_places = places >= 0;
    f->places = f->has_places ? (int)places : 0;
    return true;
}

static bool dyn_attribute(Import *im, SchemaBuilder *b, const cJSON *attr, const char *context)
{
    const char *name;
    char tname[64];
    if (!import_need_name(im, attr, "LogicalName", "an attribute", &name))
        return false;
    if (!dyn_type_name(attr, context, tname, sizeof tname)) {
        json_error_head(im->d, attr, "attribute '%s' has no AttributeType", name);
        return false;
    }
    const ImportType *it = import_type_find(DYN_TYPES, N_DYN_TYPES, tname);
    if (it == NULL) {
        const cJSON *t = json_get(attr, "AttributeType");
        json_error(im->d, t ? t : attr, false, "unknown Dynamics AttributeType '%s'", tname);
        return false;
    }
    Field *f = schema_build_field(b, name, json_span(im->d, attr));
    f->type = it->type;
    f->label = schema_build_strdup(b, dyn_label(json_get(attr, "DisplayName")));
    const char *format = json_str(json_get(attr, "FormatName"), "Value");
    if (format == NULL)
        format = json_str(attr, "Format");
    if (f->type == FT_STRING && format != NULL) {
        f->type = strcmp(format, "Email") == 0 ? FT_EMAIL
                : strcmp(format, "Phone") == 0 ? FT_PHONE
                : strcmp(format, "Url") == 0 ? FT_URL
                : strcmp(format, "TextArea") == 0 ? FT_TEXT : FT_STRING;
    }
    if (f->type == FT_DATETIME && format != NULL && strcmp(format, "DateOnly") == 0)
        f->type = FT_DATE;
    if (f->type == FT_STRING || f->type == FT_TEXT || f->type == FT_EMAIL ||
        f->type == FT_PHONE || f->type == FT_URL)
        f->length = (int)json_long(attr, "MaxLength", 0, 1L << 30, 0);
    const cJSON *of = json_get(attr, "AttributeOf");
    bool helper = cJSON_IsString(of) || dyn_type_read_only(tname);
    f->createable = !helper && json_bool(attr, "IsValidForCreate", true);
    f->updateable = !helper && json_bool(attr, "IsValidForUpdate", true);
    bool primary = json_bool(attr, "IsPrimaryId", false);
    const char *level = json_str(json_get(attr, "RequiredLevel"), "Value");
    f->required = f->createable && !primary && level != NULL &&
                  (strcmp(level, "SystemRequired") == 0 || strcmp(level, "ApplicationRequired") == 0);
    f->unique = primary;
    if ((f->type == FT_INT || f->type == FT_DECIMAL) && !dyn_number(im, f, attr, tname))
        return false;
    if (f->type == FT_PICKLIST || f->type == FT_MULTIPICKLIST) {
        f->restricted = true;   /* every option set is closed */
        return dyn_options(im, b, f, attr);
    }
    if (f->type == FT_REFERENCE) {
        for (const cJSON *t = json_items(attr, "Targets"); t != NULL; t = t->next)
            if (cJSON_IsString(t) && t->valuestring[0] != '\0')
                schema_build_reference(b, f, t->valuestring);
        if (f->nreferences == 0 && strcmp(tname, "Owner") == 0) {
            /* a $select without Targets: owners are always users or teams */
            schema_build_reference(b, f, "systemuser");
            schema_build_reference(b, f, "team");
        }
    }
    return true;
}

/* "...EntityDefinitions('account')/Attributes..." names the entity. */
static const char *dyn_context_entity(const char *context, char *buf, size_t size)
{
    return between(context, "EntityDefinitions('", "'", buf, size) ? buf : NULL;
}

/* An alternate key of one attribute makes that attribute an upsert key. */
static void dyn_keys(SchemaBuilder *b, const cJSON *keys)
{
    for (const cJSON *k = cJSON_IsArray(keys) ? keys->child : NULL; k != NULL; k = k->next) {
        const cJSON *attrs = json_get(k, "KeyAttributes");
        if (cJSON_GetArraySize(attrs) != 1 || !cJSON_IsString(attrs->child))
            continue;
        for (size_t i = 0; i < b->e->nfields; i++)
            if (strcmp(b->e->fields[i].name, attrs->child->valuestring) == 0)
                b->e->fields[i].unique = true;
    }
}

/* A list and the @odata.context that may name its items' type. */
typedef struct DynList {
    Import *im;
    const char *context;
} DynList;

static bool dyn_listed(void *ctx, SchemaBuilder *b, const cJSON *attr)
{
    const DynList *l = ctx;
    return dyn_attribute(l->im, b, attr, l->context);
}

/* The field of facts called name, added at `at` when b has none yet. */
static Field *dyn_facts_field(Import *im, SchemaBuilder *b, const char *name, const cJSON *at)
{
    for (size_t i = 0; i < b->e->nfields; i++)
        if (strcmp(b->e->fields[i].name, name) == 0)
            return &b->e->fields[i];
    Field *f = schema_build_field(b, name, json_span(im->d, at));
    f->facts_only = true;
    return f;
}

/* One EntityKeyMetadata: a key of one attribute makes it an upsert key. */
static bool dyn_key_fact(void *ctx, SchemaBuilder *b, const cJSON *key)
{
    const cJSON *attrs = json_get(key, "KeyAttributes");
    if (cJSON_GetArraySize(attrs) == 1 && cJSON_IsString(attrs->child) && attrs->child->valuestring[0] != '\0')
        dyn_facts_field(ctx, b, attrs->child->valuestring, key)->unique = true;
    return true;
}

/* One OneToManyRelationshipMetadata of ManyToOneRelationships: the lookup
 * (ReferencingAttribute) binds to ReferencedEntity through the navigation
 * property ReferencingEntityNavigationPropertyName, case kept. Owner
 * relationships name the table `owner`, which stands for users and teams. */
static bool dyn_relationship_fact(void *ctx, SchemaBuilder *b, const cJSON *rel)
{
    Import *im = ctx;
    const char *attr, *target, *nav;
    if (!import_need_name(im, rel, "ReferencingAttribute", "a relationship", &attr)
        || !import_need_name(im, rel, "ReferencedEntity", "a relationship", &target)
        || !import_need_name(im, rel, "ReferencingEntityNavigationPropertyName", "a relationship", &nav))
        return false;
    Field *f = dyn_facts_field(im, b, attr, rel);
    f->type = FT_REFERENCE;
    if (strcmp(target, "owner") == 0) {
        schema_build_navigation(b, f, "systemuser", nav);
        schema_build_navigation(b, f, "team", nav);
    } else {
        schema_build_navigation(b, f, target, nav);
    }
    return true;
}

/* The answer of .../Keys or .../ManyToOneRelationships, by its context or
 * its first item; NULL for attribute metadata. */
static SchemaFieldFn dyn_facts_kind(const char *context, const cJSON *list)
{
    const cJSON *first = cJSON_IsArray(list) ? list->child : NULL;
    const char *c = context ? context : "";
    if (strstr(c, "')/Keys") != NULL || json_get(first, "KeyAttributes") != NULL)
        return dyn_key_fact;
    if (strstr(c, "')/ManyToOneRelationships") != NULL || json_get(first, "ReferencingAttribute") != NULL)
        return dyn_relationship_fact;
    return NULL;
}

static bool import_dynamics(Import *im)
{
    const cJSON *root = im->d->root;
    const char *context = json_str(root, "@odata.context");
    const cJSON *list = cJSON_IsArray(root) ? root : json_get(root, "value");
    const cJSON *definition_attrs = json_get(root, "Attributes");
    bool single = false;
    if (cJSON_IsArray(definition_attrs))
        list = definition_attrs;
    else if (!cJSON_IsArray(list))
        single = cJSON_IsObject(root) && json_get(root, "LogicalName") != NULL;
    if (!single && !cJSON_IsArray(list)) {
        Diag *e = json_error_head(im->d, root, "not Dynamics attribute metadata: no \"value\" array of attributes");
        diag_help(e, "save the response of GET /api/data/v9.2/EntityDefinitions(LogicalName='ENTITY')/Attributes");
        return false;
    }
    char buf[256];
    const char *entity = cJSON_IsArray(definition_attrs) ? json_str(root, "LogicalName") : NULL;
    if (entity == NULL)
        entity = dyn_context_entity(context, buf, sizeof buf);
    if (entity == NULL && single)
        entity = json_str(root, "EntityLogicalName");
    if (entity == NULL && cJSON_IsArray(list) && list->child != NULL)
        entity = json_str(list->child, "EntityLogicalName");
    if (entity == NULL && cJSON_IsArray(list) && list->child != NULL)
        entity = json_str(list->child, "ReferencingEntity");
    SchemaFieldFn facts = single || cJSON_IsArray(definition_attrs) ? NULL : dyn_facts_kind(context, list);
    SchemaBuilder b;
    if (!import_begin(im, &b, entity, "this attribute metadata"))
        return false;
    size_t n = 0;
    DynList each = { im, context };
    bool ok = single  ? dyn_attribute(im, &b, root, context)
            : facts   ? schema_build_each(&b, im->d, list, "keys or relationships", &n, facts, im)
                      : schema_build_each(&b, im->d, list, "attributes", &n, dyn_listed, &each);
    if (ok)
        dyn_keys(&b, json_get(root, "Keys"));
    return import_finish(im, &b, ok);
}

/* A Dataverse document, or a Common Data Model entity definition (which
 * also describes Dynamics tables). */
static bool import_dataverse(Import *im)
{
    const char *name = diag_source_name(im->d->src);
    size_t n = strlen(name);
    if (json_get(im->d->root, "definitions") != NULL || (n >= 9 && strcmp(name + n - 9, ".cdm.json") == 0))
        return import_cdm(im);
    return import_dynamics(im);
}

const SchemaImporter schema_importer_dyn = { "dynamics", import_dataverse };
