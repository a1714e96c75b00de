/* serve_webhook: see serve_webhook.h. */
#include "serve_webhook.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"

static void push(ServeRecords *r, const cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    size_t i = r->n++;
    r->text = cm_realloc(r->text, r->n * sizeof *r->text);
    r->len = cm_realloc(r->len, r->n * sizeof *r->len);
    r->report_id = cm_realloc(r->report_id, r->n * sizeof *r->report_id);
    r->text[i] = cm_strdup(text);
    r->len[i] = strlen(text);
    cJSON_free(text);
    r->report_id[i] = NULL;
    const cJSON *vr = cJSON_GetObjectItemCaseSensitive(obj, "visitreport");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(vr, "id");
    if (cJSON_IsString(id) && id->valuestring[0] != '\0') {
        r->report_id[i] = cm_strdup(id->valuestring);
    } else if (cJSON_IsNumber(id)) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", id->valuedouble);
        r->report_id[i] = cm_strdup(buf);
    }
}

void serve_records_free(ServeRecords *r)
{
    for (size_t i = 0; i < r->n; i++) {
        cm_free(r->text[i]);
        cm_free(r->report_id[i]);
    }
    cm_free(r->text);
    cm_free(r->len);
    cm_free(r->report_id);
    memset(r, 0, sizeof *r);
}

/* Where cJSON stopped, as line:col of the body. */
static void error_at(const char *body, const char *at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = body; at && p < at; p++) {
        if (*p == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static cJSON *parse(const char *text, size_t len, const char *whole, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (j == NULL) {
        size_t line, col;
        error_at(whole, end ? end : cJSON_GetErrorPtr(), &line, &col);
        snprintf(err, errlen, "malformed JSON at line %zu, column %zu", line, col);
        return NULL;
    }
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            size_t line, col;
            error_at(whole, p, &line, &col);
            snprintf(err, errlen, "unexpected text after the JSON value at line %zu, column %zu", line, col);
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

static bool too_many(const ServeRecords *r, char *err, size_t errlen)
{
    if (r->n < SERVE_MAX_RECORDS)
        return false;
    snprintf(err, errlen, "more than %u records in one request: split it", SERVE_MAX_RECORDS);
    return true;
}

static bool parse_batch(const char *body, size_t len, ServeRecords *out, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i]))
        i++;
    if (i < len && body[i] == '[') {
        cJSON *arr = parse(body, len, body, err, errlen);
        if (arr == NULL)
            return false;
        size_t k = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            k++;
            if (!cJSON_IsObject(it)) {
                snprintf(err, errlen, "item %zu of the array is not a JSON object", k);
                cJSON_Delete(arr);
                return false;
            }
            if (too_many(out, err, errlen)) {
                cJSON_Delete(arr);
                return false;
            }
            push(out, it);
        }
        cJSON_Delete(arr);
        return true;
    }
    size_t line = 0;
    for (size_t start = 0; start < len;) {
        const char *nl = memchr(body + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - body) : len;
        line++;
        size_t s = start;
        while (s < end && strchr(" \t\r", body[s]))
            s++;
        if (s < end) {
            char why[160];
            cJSON *obj = parse(body + s, end - s, body + s, why, sizeof why);
            if (obj == NULL || !cJSON_IsObject(obj)) {
                snprintf(err, errlen, "NDJSON line %zu: %s", line, obj ? "not a JSON object" : why);
                cJSON_Delete(obj);
                return false;
            }
            if (too_many(out, err, errlen)) {
                cJSON_Delete(obj);
                return false;
            }
            push(out, obj);
            cJSON_Delete(obj);
        }
        start = end + 1;
    }
    return true;
}

/* ---- the VisitReport webhook ---- */

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = member(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool same_id(const cJSON *o, const char *id)
{
    const char *a = str_member(o, "id"), *b = str_member(o, "mappingId");
    return (a && strcmp(a, id) == 0) || (b && strcmp(b, id) == 0);
}

static const cJSON *find_by_id(const cJSON *arr, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (cJSON_IsObject(it) && same_id(it, id))
            return it;
    }
    return NULL;
}

/* Items of a flat list (answers, answer options) naming a participant,
 * sorted by its id so that each report finds its own without a scan. */
typedef struct ByParticipant {
    const char *pid;
    const cJSON *item;
} ByParticipant;

typedef struct FlatList {
    ByParticipant *v;
    size_t n;
} FlatList;

static int by_pid(const void *a, const void *b)
{
    return strcmp(((const ByParticipant *)a)->pid, ((const ByParticipant *)b)->pid);
}

static void flat_index(FlatList *l, const cJSON *arr)
{
    memset(l, 0, sizeof *l);
    size_t cap = (size_t)cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || cap == 0)
        return;
    l->v = cm_calloc(cap, sizeof *l->v);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const char *pid = str_member(it, "participantId");
        if (pid)
            l->v[l->n++] = (ByParticipant){ pid, it };
    }
    qsort(l->v, l->n, sizeof *l->v, by_pid);
}

/* The first entry of participant pid, and how many there are. */
static const ByParticipant *flat_find(const FlatList *l, const char *pid, size_t *count)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(l->v[mid].pid, pid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < l->n && strcmp(l->v[end].pid, pid) == 0)
        end++;
    *count = end - lo;
    return l->v + lo;
}

/* The export's parts that records are built from. The flat lists are the
 * shape of snapADDY's VisitReport REST resources (a questionnaire's
 * questionOptions, answers and answerOptions, each naming its question and
 * participant), which the webhook export may share (docs/serve.md). */
typedef struct VrDoc {
    const cJSON *questionnaire, *questions, *qoptions;
    FlatList answers, aoptions;
} VrDoc;

static bool same_question(const cJSON *item, const cJSON *question)
{
    const char *want = str_member(question, "id"), *got = str_member(item, "questionId");
    return want == NULL || got == NULL || strcmp(want, got) == 0;
}

/* An option of the question by id or mapping id: among its own "options",
 * else among the export's "questionOptions" naming it. */
static const cJSON *find_option(const VrDoc *d, const cJSON *question, const char *id)
{
    const cJSON *opt = find_by_id(member(question, "options"), id);
    if (opt)
        return opt;
    const cJSON *it;
    cJSON_ArrayForEach(it, d->qoptions) {
        if (cJSON_IsObject(it) && same_id(it, id) && same_question(it, question))
            return it;
    }
    return NULL;
}

static bool non_empty(const cJSON *v)
{
    return v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && v->valuestring[0] == '\0');
}

/* An option as the mapping sees it: its value, else its mapping id. */
static cJSON *option_value(const VrDoc *d, const cJSON *question, const cJSON *ref)
{
    const char *id = cJSON_IsString(ref) ? ref->valuestring
                     : cJSON_IsObject(ref) ? (str_member(ref, "id") ? str_member(ref, "id") : str_member(ref, "mappingId"))
                                           : NULL;
    if (id == NULL)
        return cJSON_Duplicate(ref, true);
    const cJSON *opt = find_option(d, question, id);
    if (opt == NULL)
        return cJSON_CreateString(id);
    const cJSON *value = member(opt, "value");
    if (non_empty(value))
        return cJSON_Duplicate(value, true);
    const char *mid = str_member(opt, "mappingId");
    return cJSON_CreateString(mid ? mid : id);
}

static bool contains_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

/* A list for a multi-select question. The REST resources give the type
 * as a number whose meaning is not public: then a list when more than one
 * option was chosen. */
static bool is_multi(const cJSON *question, int chosen)
{
    const char *type = str_member(question, "type");
    if (type)
        return contains_nocase(type, "multi") || contains_nocase(type, "checkbox");
    return chosen > 1;
}

static cJSON *one_or_list(const cJSON *question, cJSON *list)
{
    if (is_multi(question, cJSON_GetArraySize(list)))
        return list;
    cJSON *first = cJSON_DetachItemFromArray(list, 0);
    cJSON_Delete(list);
    return first ? first : cJSON_CreateNull();
}

/* One answer's value: selected options become their values (a list for a
 * multi-select question); otherwise value, values or text as given. */
static cJSON *answer_value(const VrDoc *d, const cJSON *question, const cJSON *answer)
{
    const cJSON *opts = member(answer, "optionIds");
    if (opts == NULL)
        opts = member(answer, "options");
    const cJSON *one = member(answer, "optionId");
    if (cJSON_IsArray(opts) || one) {
        cJSON *list = cJSON_CreateArray();
        if (one)
            cJSON_AddItemToArray(list, option_value(d, question, one));
        const cJSON *o;
        cJSON_ArrayForEach(o, opts) cJSON_AddItemToArray(list, option_value(d, question, o));
        return one_or_list(question, list);
    }
    static const char *const keys[] = { "value", "values", "text" };
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = member(answer, keys[i]);
        if (v)
            return cJSON_Duplicate(v, true);
    }
    return cJSON_CreateNull();
}

/* The answer options participant pid gave to question qid (the flat
 * shape): a chosen option's value, else the text typed in, else the
 * option's mapping id. NULL when there are none. */
static cJSON *flat_value(const VrDoc *d, const cJSON *question, const char *pid, const char *qid)
{
    size_t n;
    const ByParticipant *ao = flat_find(&d->aoptions, pid, &n);
    cJSON *list = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *aq = str_member(ao[i].item, "questionId");
        if (aq == NULL || strcmp(aq, qid) != 0)
            continue;
        const char *oid = str_member(ao[i].item, "questionOptionId");
        const cJSON *opt = oid ? find_option(d, question, oid) : NULL;
        const cJSON *text = member(ao[i].item, "text");
        cJSON *v = NULL;
        if (opt && non_empty(member(opt, "value")))
            v = cJSON_Duplicate(member(opt, "value"), true);
        else if (non_empty(text))
            v = cJSON_Duplicate(text, true);
        else if (opt || oid)
            v = cJSON_CreateString(opt && str_member(opt, "mappingId") ? str_member(opt, "mappingId") : oid);
        if (v == NULL)
            continue;
        if (list == NULL)
            list = cJSON_CreateArray();
        cJSON_AddItemToArray(list, v);
    }
    return list ? one_or_list(question, list) : NULL;
}

/* Sets out[the question's mapping id] to one answer's value. */
static void put_answer(const VrDoc *d, cJSON *out, const char *qid, const char *pid, const cJSON *answer)
{
    const cJSON *q = find_by_id(d->questions, qid);
    const char *key = q && str_member(q, "mappingId") ? str_member(q, "mappingId") : qid;
    cJSON *v = pid ? flat_value(d, q, pid, qid) : NULL;
    if (v == NULL)
        v = answer ? answer_value(d, q, answer) : cJSON_CreateNull();
    cJSON_DeleteItemFromObjectCaseSensitive(out, key);
    cJSON_AddItemToObject(out, key, v);
}

static const char *answer_question(const cJSON *a)
{
    const char *qid = str_member(a, "questionId");
    return qid ? qid : str_member(a, "questionMappingId");
}

/* The report's answers: its own "answers" (a list, or an object already
 * keyed by mapping id), else the export's flat answers and answer options
 * that name the report's id as their participantId. */
static bool report_answers(const VrDoc *d, const cJSON *rep, cJSON *out, size_t report, char *err, size_t errlen)
{
    const cJSON *answers = member(rep, "answers");
    const char *pid = str_member(rep, "id");
    if (cJSON_IsObject(answers)) {
        const cJSON *a;
        cJSON_ArrayForEach(a, answers) cJSON_AddItemToObject(out, a->string, cJSON_Duplicate(a, true));
        return true;
    }
    if (answers && !cJSON_IsNull(answers) && !cJSON_IsArray(answers)) {
        snprintf(err, errlen, "report %zu: \"answers\" is neither a list nor an object", report);
        return false;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, answers) {
        const char *qid = answer_question(a);
        if (qid == NULL) {
            snprintf(err, errlen, "report %zu: an answer has no \"questionId\"", report);
            return false;
        }
        put_answer(d, out, qid, pid, a);
    }
    if (answers || pid == NULL)
        return true;
    size_t n;
    const ByParticipant *fa = flat_find(&d->answers, pid, &n);
    for (size_t i = 0; i < n; i++) {
        const char *qid = answer_question(fa[i].item);
        if (qid == NULL) {
            snprintf(err, errlen, "report %zu: an answer has no \"questionId\"", report);
            return false;
        }
        put_answer(d, out, qid, pid, fa[i].item);
    }
    /* Answer options whose answer is not in the export. */
    const ByParticipant *ao = flat_find(&d->aoptions, pid, &n);
    for (size_t i = 0; i < n; i++) {
        const char *qid = str_member(ao[i].item, "questionId");
        const cJSON *q = qid ? find_by_id(d->questions, qid) : NULL;
        const char *key = q && str_member(q, "mappingId") ? str_member(q, "mappingId") : qid;
        if (key && member(out, key) == NULL)
            put_answer(d, out, qid, pid, NULL);
    }
    return true;
}

static const char *questionnaire_title(const cJSON *qn)
{
    const cJSON *titles = member(qn, "titles");
    const char *lang = str_member(qn, "defaultLanguage");
    const char *t = lang ? str_member(titles, lang) : NULL;
    if (t == NULL && cJSON_IsObject(titles) && titles->child && cJSON_IsString(titles->child))
        t = titles->child->valuestring;
    return t ? t : str_member(qn, "title");
}

/* Report members that are its metadata, not the contact's. */
static bool report_meta(const char *key)
{
    static const char *const meta[] = { "id", "created", "createdBy", "createdByUserId", "answers", "contact",
                                        "questionnaireId", "attachments", "checked" };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        if (strcmp(key, meta[i]) == 0)
            return true;
    return false;
}

static void copy_member(cJSON *to, const char *key, const cJSON *v)
{
    if (v)
        cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, true));
}

static cJSON *report_record(const VrDoc *d, const cJSON *rep, size_t k, char *err, size_t errlen)
{
    const cJSON *qn = d->questionnaire;
    cJSON *rec = cJSON_CreateObject();
    const cJSON *contact = cJSON_IsObject(member(rep, "contact")) ? member(rep, "contact") : NULL;
    const cJSON *f, *from = contact ? contact : rep;
    cJSON_ArrayForEach(f, from) {
        if (contact || !report_meta(f->string))
            copy_member(rec, f->string, f);
    }
    cJSON *vr = cJSON_AddObjectToObject(rec, "visitreport");
    copy_member(vr, "id", member(rep, "id"));
    const char *title = questionnaire_title(qn);
    if (title)
        cJSON_AddStringToObject(vr, "title", title);
    copy_member(vr, "created", member(rep, "created"));
    copy_member(vr, "createdBy", member(rep, "createdBy") ? member(rep, "createdBy") : member(rep, "createdByUserId"));
    const char *qid = str_member(qn, "mappingId") ? str_member(qn, "mappingId") : str_member(qn, "id");
    if (qid)
        cJSON_AddStringToObject(vr, "questionnaireId", qid);
    cJSON *answers = cJSON_AddObjectToObject(rec, "answers");
    if (!report_answers(d, rep, answers, k, err, errlen)) {
        cJSON_Delete(rec);
        return NULL;
    }
    return rec;
}

static bool parse_visitreport(const char *body, size_t len, ServeRecords *out, char *err, size_t errlen)
{
    cJSON *root = parse(body, len, body, err, errlen);
    if (root == NULL)
        return false;
    VrDoc d;
    memset(&d, 0, sizeof d);
    d.questionnaire = member(root, "questionnaire");
    d.questions = member(root, "questions");
    d.qoptions = member(root, "questionOptions");
    const cJSON *reports = member(root, "reports");
    if (reports == NULL)
        reports = member(root, "participants");
    bool ok = false;
    if (!cJSON_IsObject(d.questionnaire))
        snprintf(err, errlen, "no \"questionnaire\" object: not a VisitReport webhook body");
    else if (d.questions && !cJSON_IsArray(d.questions))
        snprintf(err, errlen, "\"questions\" is not a list");
    else if (!cJSON_IsArray(reports))
        snprintf(err, errlen, "no \"reports\" or \"participants\" list: not a VisitReport webhook body");
    else
        ok = true;
    if (ok) {
        flat_index(&d.answers, member(root, "answers"));
        flat_index(&d.aoptions, member(root, "answerOptions"));
    }
    size_t k = 0;
    const cJSON *rep, *list = ok ? reports : NULL;
    cJSON_ArrayForEach(rep, list) {
        k++;
        if (!cJSON_IsObject(rep)) {
            snprintf(err, errlen, "report %zu is not a JSON object", k);
            ok = false;
            break;
        }
        if (too_many(out, err, errlen)) {
            ok = false;
            break;
        }
        cJSON *rec = report_record(&d, rep, k, err, errlen);
        if (rec == NULL) {
            ok = false;
            break;
        }
        push(out, rec);
        cJSON_Delete(rec);
    }
    cm_free(d.answers.v);
    cm_free(d.aoptions.v);
    cJSON_Delete(root);
    return ok;
}

bool serve_parse_body(ServeShape shape, const char *body, size_t len, ServeRecords *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    bool ok;
    if (shape == SHAPE_BATCH) {
        ok = parse_batch(body, len, out, err, errlen);
    } else if (shape == SHAPE_VISITREPORT) {
        ok = parse_visitreport(body, len, out, err, errlen);
    } else {
        cJSON *obj = parse(body, len, body, err, errlen);
        ok = obj != NULL && cJSON_IsObject(obj);
        if (obj && !ok)
            snprintf(err, errlen, "the body is not a JSON object (a batch goes to /records/batch)");
        if (ok)
            push(out, obj);
        cJSON_Delete(obj);
    }
    if (ok && out->n == 0) {
        snprintf(err, errlen, "the body holds no record");
        ok = false;
    }
    if (!ok)
        serve_records_free(out);
    return ok;
}
