/* schema_import_snap: snapADDY's documents (docs/schema.md, "snapADDY
 * questionnaires") to one source schema: each questionnaire's questions
 * become `answers.KEY` (answers arrive keyed by the question's mapping id,
 * else its id; select answers as option values), and the organisation's
 * custom fields (`customFields`, snapADDY's mapping documentation) their
 * ids, and snapADDY's contact variables (its published field list) the
 * participant's contact fields. Several documents go into one entity, so a
 * key two of them use is an error (E0129) rather than one field that means
 * two questions. */
#include <string.h>

#include "schema_import.h"

static const ImportType SNAP_TYPES[] = {
    { "single-select", FT_PICKLIST }, { "multi-select", FT_MULTIPICKLIST },
    { "date", FT_DATE }, { "signature", FT_BINARY }, { "text", FT_STRING },
    { "textarea", FT_TEXT }, { "duration", FT_DURATION },
};
#define N_SNAP_TYPES (sizeof SNAP_TYPES / sizeof SNAP_TYPES[0])

static bool snap_type(Import *im, const cJSON *q, FieldType *type)
{
    const char *t;
    if (!import_need_name(im, q, "type", "a question", &t))
        return false;
    const ImportType *it = import_type_lookup(im, SNAP_TYPES, N_SNAP_TYPES, t, json_get(q, "type"),
                                              "question type",
                                              "the types are single-select, multi-select, date, signature, text, "
                                              "textarea, duration");
    if (it == NULL)
        return false;
    *type = it->type;
    return true;
}

static bool listed(const Field *f, const char *value)
{
    for (size_t i = 0; i < f->nvalues; i++)
        if (strcmp(f->values[i].value, value) == 0)
            return true;
    return false;
}

static bool snap_options(Import *im, SchemaBuilder *b, Field *f, const cJSON *q)
{
    const cJSON *options = json_get(q, "options");
    if (!cJSON_IsArray(options) || options->child == NULL) {
        const cJSON *at = options ? options : q;
        json_error(im->d, at, options != NULL, "a %s question needs a non-empty 'options' array",
                   f->type == FT_PICKLIST ? "single-select" : "multi-select");
        return false;
    }
    size_t n = 0;
    for (const cJSON *o = options->child; o != NULL; o = o->next) {
        const char *value;
        if (!schema_build_value_room(im->d, &n, o, "options"))
            return false;
        if (!import_need_name(im, o, "value", "an option", &value))
            return false;
        if (listed(f, value)) {
            json_error(im->d, json_get(o, "value"), false, "option value '%s' is listed twice", value);
            return false;
        }
        schema_build_value(b, f, value, json_str(o, "label"), true, NULL);
    }
    f->restricted = true;   /* the app offers only these */
    return true;
}

/* The question's key in the record: its mapping id, else its id (serve
 * keys the answers to a question without one so). */
static bool question_key(Import *im, const cJSON *q, const char **key)
{
    *key = json_str(q, "mappingId");
    if (*key == NULL || **key == '\0')
        *key = json_str(q, "id");
    if (*key != NULL && **key != '\0')
        return true;
    json_error_head(im->d, q, "a question without 'mappingId' or 'id'");
    return false;
}

/* E0129 when a document imported before into this entity has the field. */
static bool taken_before(Import *im, const SchemaBuilder *b, const cJSON *q, const char *name)
{
    for (size_t i = 0; i < *im->nout; i++) {
        const SchemaEntity *e = (*im->out)[i];
        const Field *f = strcmp(e->system, im->system) == 0 && strcmp(e->name, b->e->name) == 0
                             ? schema_field(e, name) : NULL;
        if (f == NULL)
            continue;
        uint32_t line = 0, col = 0;
        if (f->span.src)
            diag_position(f->span.src, f->span.start, &line, &col);
        Diag *d = diag_report(im->d->sink, DIAG_ERROR, "E0129", json_span(im->d, q),
                              "'%s' is also defined by %s:%u", name,
                              f->span.src ? diag_source_name(f->span.src) : "another document", line);
        diag_help(d, "the records key answers by mapping id, so one key would hold two questions' answers: give "
                  "one of the questions another mapping id in snapADDY, or import the questionnaires into "
                  "separate schemas (one -o DIR each) and map them separately");
        return true;
    }
    return false;
}

static Field *snap_field(Import *im, SchemaBuilder *b, const cJSON *at, const char *name)
{
    return taken_before(im, b, at, name) ? NULL : schema_build_field(b, name, json_span(im->d, at));
}

static bool snap_question(void *ctx, SchemaBuilder *b, const cJSON *q)
{
    Import *im = ctx;
    const char *id;
    FieldType type;
    if (!question_key(im, q, &id) || !snap_type(im, q, &type))
        return false;
    CmBuf name = CM_BUF_INIT;
    cm_buf_printf(&name, "answers.%s", id);
    Field *f = snap_field(im, b, q, name.data);
    cm_buf_free(&name);
    if (f == NULL)
        return false;
    f->type = type;
    f->label = schema_build_strdup(b, json_str(q, "title"));
    f->required = json_bool(q, "required", false);
    f->length = (int)json_long(q, "maxLength", 0, 1L << 30, 0);
    if (type == FT_PICKLIST || type == FT_MULTIPICKLIST)
        return snap_options(im, b, f, q);
    return true;
}

/* The organisation's custom fields as snapADDY's mapping documentation
 * shows them: {"type": "SELECT", "id": "c_...", "label": {"DE": .., "GB": ..},
 * "properties": {"options": [{"label": {..}, "value": ".."}]}}. */
static const ImportType CUSTOM_TYPES[] = {
    { "INPUT", FT_STRING }, { "SELECT", FT_PICKLIST }, { "MULTI_SELECT", FT_MULTIPICKLIST }, { "DATE", FT_DATE },
};

static const char *custom_label(const cJSON *obj)
{
    const cJSON *label = json_get(obj, "label");
    const char *l = json_str(label, "GB");
    if (l == NULL || *l == '\0')
        l = json_str(label, "DE");
    return l && *l ? l : NULL;
}

static bool snap_custom_field(void *ctx, SchemaBuilder *b, const cJSON *c)
{
    Import *im = ctx;
    const char *id, *t;
    if (!import_need_name(im, c, "id", "a custom field", &id) || !import_need_name(im, c, "type", "a custom field", &t))
        return false;
    const ImportType *it = import_type_lookup(im, CUSTOM_TYPES, sizeof CUSTOM_TYPES / sizeof CUSTOM_TYPES[0], t,
                                              json_get(c, "type"), "custom field type",
                                              "the types are INPUT, SELECT, MULTI_SELECT, DATE");
    Field *f = it ? snap_field(im, b, c, id) : NULL;
    if (f == NULL)
        return false;
    f->type = it->type;
    f->label = schema_build_strdup(b, custom_label(c));
    if (f->type != FT_PICKLIST && f->type != FT_MULTIPICKLIST)
        return true;
    const cJSON *o;
    cJSON_ArrayForEach(o, json_get(json_get(c, "properties"), "options")) {
        const char *value = json_str(o, "value");
        if (value && *value && !listed(f, value))   /* "" is the empty choice */
            schema_build_value(b, f, value, custom_label(o), true, NULL);
    }
    f->restricted = true;
    return true;
}

/* The contact variables' types where snapADDY's variable list implies one
 * ("Special default fields": gender is -1, 0 or 1); the others are text. */
static const ImportType VARIABLE_TYPES[] = {
    { "email", FT_EMAIL }, { "phone", FT_PHONE }, { "mobile", FT_PHONE }, { "fax", FT_PHONE },
    { "website", FT_URL }, { "xing", FT_URL }, { "linkedin", FT_URL }, { "gender", FT_INT },
    { "revenue", FT_DECIMAL }, { "note", FT_TEXT },
};

/* A row of snapADDY's contact variable list as its mapping documentation
 * publishes it (https://mapping.snapaddy.com, "Variables";
 * snapADDY/snapaddy-mapping-doc, docs/variables.md): {"German": "Vorname",
 * "English": "FirstName", "apiName": "firstName"}; the participant carries
 * the value under apiName. */
static bool snap_variable(void *ctx, SchemaBuilder *b, const cJSON *v)
{
    Import *im = ctx;
    const char *name;
    if (!import_need_name(im, v, "apiName", "a contact variable", &name))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) {
            Diag *d = diag_report(im->d->sink, DIAG_ERROR, "E0113", json_span(im->d, json_get(v, "apiName")),
                                  "'%s' is not a variable's name", name);
            diag_help(d, "list the variables by their names (firstName, not {{ firstName }}); leave out what the "
                         "list computes, such as parseStreet(street).number");
            return false;
        }
    Field *f = snap_field(im, b, v, name);
    if (f == NULL)
        return false;
    const ImportType *t = import_type_find(VARIABLE_TYPES, sizeof VARIABLE_TYPES / sizeof VARIABLE_TYPES[0], name);
    f->type = t ? t->type : FT_STRING;
    const char *label = json_str(v, "English");
    f->label = schema_build_strdup(b, label && *label ? label : json_str(v, "German"));
    return true;
}

static bool import_snapaddy(Import *im)
{
    static const struct { const char *key; SchemaFieldFn fn; } kinds[] = {
        { "customFields", snap_custom_field }, { "variables", snap_variable },
    };
    const char *key = "questions";
    SchemaFieldFn fn = snap_question;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (cJSON_IsArray(json_get(im->d->root, kinds[i].key))) {
            key = kinds[i].key;
            fn = kinds[i].fn;
        }
    const cJSON *list = import_root_array(im, key, "a snapADDY questionnaire",
                                          "see docs/schema.md, \"snapADDY questionnaires\"");
    if (list == NULL)
        return false;
    const char *entity = im->hint ? im->hint : "lead";
    SchemaBuilder b;
    schema_build_begin(&b, im->system, entity, im->d->src, diag_nowhere(im->d->src));
    size_t n = 0;
    bool ok = schema_build_each(&b, im->d, list, key, &n, fn, im);
    return import_finish(im, &b, ok);
}

const SchemaImporter schema_importer_snap = { "snapaddy", import_snapaddy };
