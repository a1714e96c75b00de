/* mtest_case: reading a crmmap-test/1 file; see mtest.h. Every name in an
 * expectation is resolved here, so a misspelt field is an E0302 at the case
 * file before anything runs, not a puzzling failure after. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cm_alloc.h"
#include "mtest.h"

/* Most candidates a did-you-mean looks at; most did-you-means per file and
 * the longest name one is sought for (edit distances are quadratic): a
 * hostile file of misspellings still loads in linear time. */
#define MT_SUGGEST_MAX 512u
#define MT_SUGGEST_BUDGET 200u
#define MT_SUGGEST_MAX_LEN 256u
/* A file with more problems than this is not read further: its report stays
 * readable, and rendering every diagnostic of a one-line file is quadratic. */
#define MT_MAX_PROBLEMS 100u

typedef struct Loader {
    MtFile *f;
    const MtMap *map;
    MtCase *k;                  /* the case being read */
    size_t suggested;           /* did-you-means sought so far */
    size_t problems;            /* reported in the cases read before this one */
} Loader;

/* True when the file has had enough problems: reading stops. */
static bool enough(const Loader *ld)
{
    size_t n = ld->problems + diag_count(ld->f->sink, DIAG_ERROR);
    if (ld->k)
        n += diag_count(ld->k->problems, DIAG_ERROR);
    return n >= MT_MAX_PROBLEMS;
}

/* json_check_keys, but an object with far more keys than allowed is one
 * problem, not one per key. */
static void check_keys(Loader *ld, const cJSON *obj, const char *what, const char *const *allowed, size_t n)
{
    JsonDoc *doc = &ld->f->doc;
    size_t count = (size_t)cJSON_GetArraySize(obj);
    if (count <= 4 * n) {
        json_check_keys(doc, obj, what, allowed, n);
        return;
    }
    Diag *d = json_error_head(doc, obj, "%s with %zu keys", what, count);
    CmBuf list = CM_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        cm_buf_printf(&list, "%s'%s'", i ? ", " : "", allowed[i]);
    diag_help(d, "its keys are %s", list.data);
    cm_buf_free(&list);
}

static Diag *problem(Loader *ld, Span at, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static Diag *problem(Loader *ld, Span at, const char *code, const char *fmt, ...)
{
    CmBuf msg = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    Diag *d = diag_report(ld->f->doc.sink, DIAG_ERROR, code, at, "%s", msg.data ? msg.data : "");
    cm_buf_free(&msg);
    return d;
}

/* ---- names ---- */

static void suggest(Loader *ld, Diag *d, const char *name, const char **cands, size_t n, const char *what)
{
    const char *best = NULL;
    if (ld->suggested < MT_SUGGEST_BUDGET && strlen(name) <= MT_SUGGEST_MAX_LEN) {
        ld->suggested++;
        best = diag_suggest(name, cands, n);
    }
    if (best) {
        diag_help(d, "did you mean '%s'?", best);
        return;
    }
    CmBuf list = CM_BUF_INIT;
    for (size_t i = 0; i < n && i < 12; i++)
        cm_buf_printf(&list, "%s'%s'", i ? ", " : "", cands[i]);
    if (n > 12)
        cm_buf_puts(&list, ", ...");
    if (n)
        diag_help(d, "%s: %s", what, list.data);
    cm_buf_free(&list);
}

static int32_t find_entity(Loader *ld, const cJSON *key)
{
    const Mapc *m = ld->map->m;
    for (uint32_t i = 0; i < m->nentities; i++)
        if (strcmp(ld->map->entity_names[i], key->string) == 0)
            return (int32_t)i;
    const char **names = cm_malloc((m->nentities + 1) * sizeof *names);
    for (uint32_t i = 0; i < m->nentities; i++)
        names[i] = ld->map->entity_names[i];
    Diag *d = problem(ld, json_key_span(&ld->f->doc, key), "E0302", "the mapping has no entity '%s'",
                      key->string);
    suggest(ld, d, key->string, names, m->nentities, "its entities");
    cm_free(names);
    return -1;
}

/* The field of entity e named by name (at `at`), or -1 after reporting. */
static int32_t find_field(Loader *ld, uint32_t e, const char *name, Span at)
{
    const Mapc *m = ld->map->m;
    const MapcEntity *me = &m->entities[e];
    for (uint32_t i = 0; i < me->nfields; i++)
        if (strcmp(ld->map->field_names[e][i], name) == 0)
            return (int32_t)i;
    const char *ename = ld->map->entity_names[e];
    const SchemaEntity *se = ld->map->c->entities[e].schema;
    size_t n = me->nfields + (se ? se->nfields : 0);
    if (n > MT_SUGGEST_MAX)
        n = MT_SUGGEST_MAX;
    const char **names = cm_malloc((n + 1) * sizeof *names);
    size_t k = 0;
    for (uint32_t i = 0; i < me->nfields && k < n; i++)
        names[k++] = ld->map->field_names[e][i];
    size_t assigned = k;
    Diag *d;
    if (se && schema_field(se, name)) {
        d = problem(ld, at, "E0302", "the mapping never assigns %s.%s", ename, name);
        suggest(ld, d, name, names, assigned, "the fields it assigns");
    } else {
        for (size_t i = 0; se && i < se->nfields && k < n; i++)
            names[k++] = se->fields[i].name;
        d = problem(ld, at, "E0302", "%s has no field '%s'", ename, name);
        suggest(ld, d, name, names, k, "the fields the mapping assigns");
    }
    cm_free(names);
    return -1;
}

/* ---- expectations ---- */

static void add_field(MtEntity *me, uint32_t field, const cJSON *value, Span at)
{
    me->fields = cm_realloc(me->fields, (me->nfields + 1) * sizeof *me->fields);
    MtField *f = &me->fields[me->nfields++];
    memset(f, 0, sizeof *f);
    f->field = field;
    f->value = value;
    f->at = at;
}

static bool is_value(const cJSON *v)
{
    if (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v))
        return true;
    const cJSON *ref = cJSON_IsObject(v) ? v->child : NULL;
    return ref && ref->next == NULL && strcmp(ref->string, "ref") == 0 && cJSON_IsString(ref);
}

static const char *const section_keys[FS__COUNT] = { "payload", "if_empty", "on_create" };

/* "payload", "if_empty", "on_create" (section >= 0: the whole section) and
 * "fields" (section -1: any section, the rest not compared). */
static void read_fields(Loader *ld, MtEntity *me, const cJSON *obj, int section)
{
    JsonDoc *doc = &ld->f->doc;
    const Mapc *m = ld->map->m;
    const MapcEntity *e = &m->entities[me->entity];
    const char *what = section < 0 ? "fields" : section_keys[section];
    if (!cJSON_IsObject(obj)) {
        problem(ld, json_span(doc, obj), "E0301", "'%s' must be an object of field -> value, not %s", what,
                json_kind(obj));
        return;
    }
    bool *listed = cm_calloc(e->nfields + 1, 1);
    for (const cJSON *c = obj->child; c && !enough(ld); c = c->next) {
        Span key = json_key_span(doc, c);
        int32_t fi = find_field(ld, me->entity, c->string, key);
        if (fi < 0)
            continue;
        const MapcField *mf = &e->fields[fi];
        if (section >= 0 && mf->section != section) {
            Diag *d = problem(ld, key, "E0302", "%s.%s is sent in %s, not in %s", ld->map->entity_names[me->entity],
                              c->string, section_keys[mf->section], what);
            diag_help(d, "move it to \"%s\", or expect it under \"fields\"", section_keys[mf->section]);
            continue;
        }
        if (!is_value(c)) {
            Diag *d = problem(ld, json_span(doc, c), "E0301", "the value of %s must be a value as sent, not %s",
                              c->string, json_kind(c));
            diag_help(d, "a string, a number, true/false, null (cleared) or {\"ref\": \"ENTITY\"}; "
                         "a multi-select as the CRM gets it, e.g. \"a;b\"");
            continue;
        }
        listed[fi] = true;
        add_field(me, (uint32_t)fi, c, json_span(doc, c));
    }
    if (section >= 0)   /* the whole section: what it does not list must not be sent */
        for (uint32_t i = 0; i < e->nfields; i++)
            if (e->fields[i].section == section && !listed[i])
                add_field(me, i, NULL, json_key_span(doc, obj));
    cm_free(listed);
}

static void read_not_sent(Loader *ld, MtEntity *me, const cJSON *arr)
{
    JsonDoc *doc = &ld->f->doc;
    if (!cJSON_IsArray(arr)) {
        problem(ld, json_span(doc, arr), "E0301", "'not_sent' must be an array of field names, not %s",
                json_kind(arr));
        return;
    }
    for (const cJSON *c = arr->child; c && !enough(ld); c = c->next) {
        if (!cJSON_IsString(c)) {
            problem(ld, json_span(doc, c), "E0301", "'not_sent' holds field names, not %s", json_kind(c));
            continue;
        }
        int32_t fi = find_field(ld, me->entity, c->valuestring, json_span(doc, c));
        if (fi >= 0)
            add_field(me, (uint32_t)fi, NULL, json_span(doc, c));
    }
}

/* "partial": {"FIELD": "MESSAGE", ...}: fields the record goes out without. */
static void read_partial(Loader *ld, MtEntity *me, const cJSON *obj)
{
    JsonDoc *doc = &ld->f->doc;
    if (!cJSON_IsObject(obj)) {
        Diag *d = problem(ld, json_span(doc, obj), "E0301", "'partial' must be an object, not %s", json_kind(obj));
        diag_help(d, "e.g. {\"partial\": {\"Phone\": \"e164: ...\"}}: each field left out, with its message");
        return;
    }
    for (const cJSON *c = obj->child; c && !enough(ld); c = c->next) {
        int32_t fi = find_field(ld, me->entity, c->string, json_key_span(doc, c));
        if (fi >= 0 && !cJSON_IsString(c)) {
            problem(ld, json_span(doc, c), "E0301", "'partial' gives each field its message, not %s", json_kind(c));
        } else if (fi >= 0) {
            me->partial = cm_realloc(me->partial, (me->npartial + 1) * sizeof *me->partial);
            me->partial[me->npartial++] = (MtField){ (uint32_t)fi, c, NULL, json_key_span(doc, c) };
        }
    }
}

static void read_owner(Loader *ld, MtEntity *me, const cJSON *v)
{
    JsonDoc *doc = &ld->f->doc;
    const char *ename = ld->map->entity_names[me->entity];
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        problem(ld, json_span(doc, v), "E0301", "'owner' must be a user's e-mail or id, not %s", json_kind(v));
        return;
    }
    int32_t fi = mt_owner_field(ld->map, me->entity);
    if (fi < 0) {
        Diag *d = problem(ld, json_key_span(doc, v), "E0302", "%s has no single owner field", ename);
        diag_help(d, "the owner field is the one assigned from user(...), or the CRM's owner field; "
                     "expect the field's value under \"fields\" instead");
        return;
    }
    const UsersFile *users = ld->map->c->users;
    const char *id = v->valuestring, *email = NULL;
    if (strchr(id, '@')) {
        const User *u = users ? users_find_email(users, id) : NULL;
        if (u == NULL) {
            Diag *d = problem(ld, json_span(doc, v), "E0302", "no user '%s' in the mapping's users file", id);
            size_t n = users ? users->nusers : 0;
            const char **emails = cm_malloc((n + 1) * sizeof *emails);
            for (size_t i = 0; i < n; i++)
                emails[i] = users->users[i].email;
            if (users)
                suggest(ld, d, id, emails, n, "its users");
            else
                diag_help(d, "the mapping names no users file: give the owner's id");
            cm_free(emails);
            return;
        }
        email = v->valuestring;
        id = u->id;
    }
    cJSON *made = cJSON_CreateString(id);
    cJSON_AddItemToArray(ld->f->made, made);
    add_field(me, (uint32_t)fi, made, json_span(doc, v));
    me->fields[me->nfields - 1].owner = email;
}

/* True when the entity's statements hold a reject rule with this message. */
static bool has_reject(Stmt *const *stmts, size_t n, const char *msg)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *s = stmts[i];
        if (s->kind == ST_REJECT && strcmp(s->u.reject.message, msg) == 0)
            return true;
        if (s->kind == ST_BLOCK && has_reject(s->u.block.stmts, s->u.block.count, msg))
            return true;
    }
    return false;
}

static void reject_messages(Stmt *const *stmts, size_t n, const char ***out, size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        const Stmt *s = stmts[i];
        if (s->kind == ST_REJECT && *count < MT_SUGGEST_MAX) {
            *out = cm_realloc(*out, (*count + 1) * sizeof **out);
            (*out)[(*count)++] = s->u.reject.message;
        } else if (s->kind == ST_BLOCK) {
            reject_messages(s->u.block.stmts, s->u.block.count, out, count);
        }
    }
}

/* The expectation that the entity ends without a record: checks that the
 * mapping can end it that way at all. */
static void read_outcome(Loader *ld, MtEntity *me, const cJSON *v, MtOutcome outcome)
{
    JsonDoc *doc = &ld->f->doc;
    const CheckedEntity *ce = &ld->map->c->entities[me->entity];
    const Item *it = ce->item;
    const char *ename = it->u.entity.name.name;
    me->outcome_at = json_span(doc, v);
    if (outcome == MT_REJECT || outcome == MT_ERROR) {
        if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
            problem(ld, me->outcome_at, "E0301", "'%s' must be the message, not %s",
                    outcome == MT_REJECT ? "reject" : "error", json_kind(v));
            return;
        }
        me->message = v->valuestring;
    } else if (!cJSON_IsTrue(v)) {
        problem(ld, me->outcome_at, "E0301", "'%s' must be true, not %s",
                outcome == MT_NO_RECORD ? "no_record" : "skipped", json_kind(v));
        return;
    }
    me->outcome = outcome;
    if (outcome == MT_REJECT && !has_reject(it->u.entity.stmts, it->u.entity.count, me->message)) {
        const Field *key = ce->by ? ce->by : ce->key;
        char keymsg[300];
        snprintf(keymsg, sizeof keymsg, "the key %s has no value", key ? key->name : "");
        if (key && strcmp(me->message, keymsg) == 0)
            return;
        Diag *d = problem(ld, me->outcome_at, "E0302", "%s has no reject rule with this message", ename);
        const char **msgs = NULL;
        size_t n = 0;
        reject_messages(it->u.entity.stmts, it->u.entity.count, &msgs, &n);
        suggest(ld, d, me->message, msgs, n, "its rules' messages");
        if (key)
            diag_help(d, "a record whose key is empty is rejected with \"%s\"", keymsg);
        cm_free(msgs);
    } else if (outcome == MT_NO_RECORD && it->u.entity.when == NULL) {
        Diag *d = problem(ld, me->outcome_at, "E0302", "%s has no `when`: it never ends without a record", ename);
        diag_help(d, "expect a reject with \"reject\", or the record's fields");
    } else if (outcome == MT_SKIPPED) {
        if (!mt_entity_refs(ld->map, me->entity)) {
            Diag *d = problem(ld, me->outcome_at, "E0302", "%s refs no other entity: it is never skipped", ename);
            diag_help(d, "an entity is skipped when the entity its `ref` names produced no record");
        }
    }
}

static const char *const entity_keys[] = { "payload", "if_empty", "on_create", "fields", "not_sent", "owner",
                                           "reject", "no_record", "skipped", "error", "partial" };

static void read_entity(Loader *ld, const cJSON *obj)
{
    JsonDoc *doc = &ld->f->doc;
    int32_t e = find_entity(ld, obj);
    if (e < 0)
        return;
    MtCase *k = ld->k;
    for (size_t i = 0; i < k->nentities; i++)
        if (k->entities[i].entity == (uint32_t)e) {
            problem(ld, json_key_span(doc, obj), "E0301", "entity '%s' expected twice", obj->string);
            return;
        }
    if (!cJSON_IsObject(obj)) {
        Diag *d = problem(ld, json_span(doc, obj), "E0301", "the expectation of %s must be an object, not %s",
                          obj->string, json_kind(obj));
        diag_help(d, "e.g. {\"fields\": {...}}, {\"reject\": \"MESSAGE\"} or {\"no_record\": true}");
        return;
    }
    check_keys(ld, obj, "an entity's expectation", entity_keys, sizeof entity_keys / sizeof entity_keys[0]);
    k->entities = cm_realloc(k->entities, (k->nentities + 1) * sizeof *k->entities);
    MtEntity *me = &k->entities[k->nentities++];
    memset(me, 0, sizeof *me);
    me->entity = (uint32_t)e;
    me->at = json_key_span(doc, obj);
    static const MtOutcome outcomes[] = { MT_REJECT, MT_NO_RECORD, MT_SKIPPED, MT_ERROR };
    const cJSON *ends = NULL;
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = json_get(obj, entity_keys[6 + i]);
        if (v == NULL)
            continue;
        if (ends) {
            problem(ld, json_key_span(doc, v), "E0301", "'%s' and '%s' exclude each other", ends->string,
                    v->string);
            continue;
        }
        ends = v;
        read_outcome(ld, me, v, outcomes[i]);
    }
    for (size_t i = 0; i < 7; i++) {
        const cJSON *v = json_get(obj, entity_keys[i < 6 ? i : 10]);
        if (v == NULL)
            continue;
        if (ends) {
            Diag *d = problem(ld, json_key_span(doc, v), "E0301", "'%s' with '%s': an entity that ends "
                              "without a record sends no fields", v->string, ends->string);
            diag_help(d, "remove one of them");
            continue;
        }
        if (i < FS__COUNT)
            read_fields(ld, me, v, (int)i);
        else if (i == 3)
            read_fields(ld, me, v, -1);
        else if (i == 4)
            read_not_sent(ld, me, v);
        else if (i == 5)
            read_owner(ld, me, v);
        else
            read_partial(ld, me, v);
    }
}

static int by_entity(const void *a, const void *b)
{
    const MtEntity *x = a, *y = b;
    return x->entity < y->entity ? -1 : x->entity > y->entity;
}

static const char *const case_keys[] = { "name", "description", "input", "expect" };

static void read_case(Loader *ld, const cJSON *obj)
{
    JsonDoc *doc = &ld->f->doc;
    MtFile *f = ld->f;
    f->cases = cm_realloc(f->cases, (f->ncases + 1) * sizeof *f->cases);
    MtCase *k = &f->cases[f->ncases++];
    memset(k, 0, sizeof *k);
    k->problems = diag_sink_new();
    doc->sink = k->problems;
    ld->k = k;
    k->at = json_span(doc, obj);
    if (!cJSON_IsObject(obj)) {
        Diag *d = problem(ld, k->at, "E0301", "a case must be an object, not %s", json_kind(obj));
        diag_help(d, "{\"name\": \"...\", \"input\": {...}, \"expect\": {...}}");
        k->name = "(not a case)";
        doc->sink = f->sink;
        ld->k = NULL;
        return;
    }
    check_keys(ld, obj, "a case", case_keys, sizeof case_keys / sizeof case_keys[0]);
    const char *name = NULL, *desc = NULL;
    const cJSON *input = NULL, *expect = NULL, *node = NULL;
    json_want_string(doc, obj, "name", true, true, &name, &node);
    json_want_string(doc, obj, "description", false, false, &desc, NULL);
    k->name = name ? name : "(unnamed)";
    if (name)
        k->name_at = json_span(doc, node);
    input = json_get(obj, "input");
    if (input == NULL) {
        json_error_head(doc, obj, "missing key 'input'");
    } else if (!cJSON_IsObject(input)) {
        Diag *d = problem(ld, json_span(doc, input), "E0301", "'input' must be the source record, an object, "
                          "not %s", json_kind(input));
        diag_help(d, "write it as the lead app exports it, e.g. {\"email\": \"a@example.com\"}");
    } else {
        k->input_at = json_span(doc, input);
        k->input = doc->text + k->input_at.start;
        k->input_len = k->input_at.end - k->input_at.start;
    }
    expect = json_get(obj, "expect");
    if (expect == NULL) {
        Diag *d = json_error_head(doc, obj, "missing key 'expect'");
        diag_help(d, "\"expect\": {\"ENTITY\": {...}} says what the mapping makes of the input");
    } else if (!cJSON_IsObject(expect)) {
        problem(ld, json_span(doc, expect), "E0301", "'expect' must be an object of entity -> expectation, "
                "not %s", json_kind(expect));
    } else {
        for (const cJSON *c = expect->child; c && !enough(ld); c = c->next)
            read_entity(ld, c);
        if (k->nentities > 1)
            qsort(k->entities, k->nentities, sizeof *k->entities, by_entity);
    }
    doc->sink = f->sink;
    ld->k = NULL;
}

static int by_name_then_place(const void *a, const void *b)
{
    const MtCase *x = *(const MtCase *const *)a, *y = *(const MtCase *const *)b;
    int d = strcmp(x->name, y->name);
    return d ? d : x->at.start < y->at.start ? -1 : x->at.start > y->at.start;
}

/* Every case needs its own name: sorted, so a file of many cases costs no
 * more than n log n comparisons. */
static void check_names(MtFile *f)
{
    const MtCase **v = cm_malloc((f->ncases + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < f->ncases; i++)
        if (f->cases[i].name_at.src)
            v[n++] = &f->cases[i];
    qsort(v, n, sizeof *v, by_name_then_place);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i - 1]->name, v[i]->name) != 0)
            continue;
        uint32_t line, col;
        diag_position(v[i - 1]->at.src, v[i - 1]->at.start, &line, &col);
        Diag *d = diag_report(v[i]->problems, DIAG_ERROR, "E0301", v[i]->name_at, "a second case named \"%s\"",
                              v[i]->name);
        diag_help(d, "the first is at line %u; every case needs its own name", line);
    }
    cm_free(v);
}

static const char *const file_keys[] = { "format", "cases" };

static MtFile *file_new(const char *path)
{
    MtFile *f = cm_calloc(1, sizeof *f);
    f->path = path;
    f->sink = diag_sink_new();
    f->made = cJSON_CreateArray();
    return f;
}

MtFile *mt_file_load(const char *path, const MtMap *map)
{
    size_t len = 0;
    const char *err = NULL;
    char *text = cli_read_file(path, MT_MAX_FILE + 1, &len, &err);
    if (text == NULL) {
        MtFile *f = file_new(path);
        const DiagSource *src = diag_source_add(f->sink, path, NULL, 0);
        diag_report(f->sink, DIAG_ERROR, "E0301", diag_nowhere(src), "cannot read the test case file: %s", err);
        return f;
    }
    MtFile *f = mt_file_parse(path, text, len, map);
    cm_free(text);
    return f;
}

MtFile *mt_file_parse(const char *path, const char *text, size_t len, const MtMap *map)
{
    MtFile *f = file_new(path);
    Loader ld = { f, map, NULL, 0, 0 };
    if (len > MT_MAX_FILE) {
        const DiagSource *src = diag_source_add(f->sink, path, NULL, 0);
        diag_report(f->sink, DIAG_ERROR, "E0301", diag_nowhere(src),
                    "cannot read the test case file: larger than 16 MiB");
        return f;
    }
    const DiagSource *src = diag_source_add(f->sink, path, text, len);
    JsonDoc *doc = &f->doc;
    if (!json_doc_open_as(doc, f->sink, src, "E0301"))
        return f;
    const cJSON *root = doc->root;
    if (!cJSON_IsObject(root)) {
        Diag *d = problem(&ld, json_span(doc, root), "E0301", "a test case file is a JSON object, not %s",
                          json_kind(root));
        diag_help(d, "{\"format\": \"crmmap-test/1\", \"cases\": [...]}");
        return f;
    }
    const char *format = NULL;
    const cJSON *fnode = NULL, *cases = NULL;
    size_t before = diag_count(f->sink, DIAG_ERROR);
    check_keys(&ld, root, "a test case file", file_keys, 2);
    bool ok = diag_count(f->sink, DIAG_ERROR) == before;
    ok = json_want_string(doc, root, "format", true, true, &format, &fnode) && ok;
    if (format && strcmp(format, "crmmap-test/1") != 0) {
        Diag *d = problem(&ld, json_span(doc, fnode), "E0301", "unknown format \"%s\"", format);
        diag_help(d, "this crmmap reads \"crmmap-test/1\"");
        ok = false;
    }
    ok = json_want_array(doc, root, "cases", true, &cases) && ok;
    if (!ok)
        return f;
    for (const cJSON *c = cases->child; c && !enough(&ld); c = c->next) {
        read_case(&ld, c);
        ld.problems += diag_count(f->cases[f->ncases - 1].problems, DIAG_ERROR);
    }
    if (enough(&ld)) {
        Diag *d = json_error_head(doc, cases, "%u problems in this file: the rest is not read", MT_MAX_PROBLEMS);
        diag_help(d, "fix these first");
    } else {
        check_names(f);
    }
    return f;
}

void mt_file_free(MtFile *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->ncases; i++) {
        for (size_t j = 0; j < f->cases[i].nentities; j++) {
            cm_free(f->cases[i].entities[j].fields);
            cm_free(f->cases[i].entities[j].partial);
        }
        cm_free(f->cases[i].entities);
        diag_sink_free(f->cases[i].problems);
    }
    cm_free(f->cases);
    cJSON_Delete(f->made);
    json_doc_close(&f->doc);
    diag_sink_free(f->sink);
    cm_free(f);
}
