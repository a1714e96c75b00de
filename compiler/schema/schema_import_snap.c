/* schema_import_snap: a snapADDY questionnaire document (docs/schema.md,
 * "snapADDY questionnaires") to source fields `answers.MAPPING_ID`: answers
 * arrive keyed by the question's mapping id, select answers as option values. */
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
        for (size_t i = 0; i < f->nvalues; i++)
            if (strcmp(f->values[i].value, value) == 0) {
                json_error(im->d, json_get(o, "value"), false, "option value '%s' is listed twice", value);
                return false;
            }
        schema_build_value(b, f, value, json_str(o, "label"), true, NULL);
    }
    f->restricted = true;   /* the app offers only these */
    return true;
}

static bool snap_question(void *ctx, SchemaBuilder *b, const cJSON *q)
{
    Import *im = ctx;
    const char *id;
    FieldType type;
    if (!import_need_name(im, q, "mappingId", "a question", &id) || !snap_type(im, q, &type))
        return false;
    CmBuf name = CM_BUF_INIT;
    cm_buf_printf(&name, "answers.%s", id);
    Field *f = schema_build_field(b, name.data, json_span(im->d, q));
    cm_buf_free(&name);
    f->type = type;
    f->label = schema_build_strdup(b, json_str(q, "title"));
    f->required = json_bool(q, "required", false);
    f->length = (int)json_long(q, "maxLength", 0, 1L << 30, 0);
    if (type == FT_PICKLIST || type == FT_MULTIPICKLIST)
        return snap_options(im, b, f, q);
    return true;
}

static bool import_snapaddy(Import *im)
{
    const cJSON *questions = import_root_array(im, "questions", "a snapADDY questionnaire",
                                               "see docs/schema.md, \"snapADDY questionnaires\"");
    if (questions == NULL)
        return false;
    const char *entity = im->hint ? im->hint : "lead";
    SchemaBuilder b;
    schema_build_begin(&b, im->system, entity, im->d->src, diag_nowhere(im->d->src));
    size_t n = 0;
    return import_finish(im, &b, schema_build_each(&b, im->d, questions, "questions", &n, snap_question, im));
}

const SchemaImporter schema_importer_snap = { "snapaddy", import_snapaddy };
