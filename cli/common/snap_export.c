/* snap_export: see snap_export.h. */
#include "snap_export.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"

bool snap_charge(SnapBudget *b, size_t n)
{
    if (b->over || n > b->left) {
        b->over = true;
        return false;
    }
    b->left -= n;
    return true;
}

char *snap_report_id(const cJSON *record)
{
    const cJSON *vr = cJSON_GetObjectItemCaseSensitive(record, "visitreport");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(vr, "id");
    if (cJSON_IsString(id) && id->valuestring[0] != '\0')
        return cm_strdup(id->valuestring);
    if (cJSON_IsNumber(id)) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", id->valuedouble);
        return cm_strdup(buf);
    }
    return NULL;
}

size_t snap_json_value_end(const char *text, size_t len, size_t i)
{
    int depth = 0;
    bool in_string = false;
    for (; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            else
                continue;
            if (depth == 0 && !in_string)
                return i + 1;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && strchr(", \t\r\n", c)) {
            return i;
        }
    }
    return len;
}

size_t snap_json_skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    return i;
}

void snap_json_line_col(const char *body, const char *at, size_t *line, size_t *col)
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

/* snap_json_parse, and where it failed in *where (NULL: it did not). */
static cJSON *parse_at(const char *text, size_t len, const char *whole, const char **where, char *err, size_t errlen)
{
    const char *end = NULL;
    *where = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (j == NULL) {
        *where = end ? end : cJSON_GetErrorPtr();
    } else {
        for (const char *p = end; p < text + len && *where == NULL; p++)
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                *where = p;
    }
    if (*where == NULL)
        return j;
    size_t line, col;
    snap_json_line_col(whole, *where, &line, &col);
    snprintf(err, errlen, "%s at line %zu, column %zu", j ? "unexpected text after the JSON value" : "malformed JSON",
             line, col);
    cJSON_Delete(j);
    return NULL;
}

cJSON *snap_json_parse(const char *text, size_t len, const char *whole, char *err, size_t errlen)
{
    const char *where;
    return parse_at(text, len, whole, &where, err, errlen);
}

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = member(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Every lookup by id goes through one sorted index (built once per
 * request, searched by bisection), so that parsing stays O(n log n) in the
 * body's size whatever it holds. An entry is found by its scope (which
 * list; for a question's own options, the question), one or two keys, and
 * its position in the list: the first of equal keys is the one a scan of
 * the list would have found. */
typedef struct Entry {
    const void *scope;
    const char *k1, *k2;        /* k2 NULL: none */
    size_t order;
    const cJSON *item;
} Entry;

typedef struct Index {
    Entry *v;
    size_t n, cap;
} Index;

/* The scopes of the export's lists. */
static const char QUESTIONS, QOPTIONS, QOPTIONS_ANY, ANSWERS, AOPTIONS, AOPTIONS_Q;

static int cmp_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_keys(const Entry *e, const void *scope, const char *k1, const char *k2)
{
    if (e->scope != scope)
        return (uintptr_t)e->scope < (uintptr_t)scope ? -1 : 1;
    int c = cmp_str(e->k1, k1);
    return c ? c : cmp_str(e->k2, k2);
}

static int cmp_entries(const void *x, const void *y)
{
    const Entry *a = x, *b = y;
    int c = cmp_keys(a, b->scope, b->k1, b->k2);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

static void add(Index *ix, const void *scope, const char *k1, const char *k2, size_t order, const cJSON *item)
{
    if (k1 == NULL)
        return;
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? 2 * ix->cap : 256;
        ix->v = cm_realloc(ix->v, ix->cap * sizeof *ix->v);
    }
    ix->v[ix->n++] = (Entry){ scope, k1, k2, order, item };
}

/* The entries with these keys, in list order (count of them in *n). */
static const Entry *find(const Index *ix, const void *scope, const char *k1, const char *k2, size_t *n)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_keys(&ix->v[mid], scope, k1, k2) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ix->n && cmp_keys(&ix->v[end], scope, k1, k2) == 0)
        end++;
    *n = end - lo;
    return ix->v + lo;
}

static const Entry *first(const Index *ix, const void *scope, const char *k1, const char *k2)
{
    size_t n;
    const Entry *e = find(ix, scope, k1, k2, &n);
    return n > 0 ? e : NULL;
}

/* The export's parts that records are built from, indexed. The flat lists
 * are the shape of snapADDY's VisitReport REST resources (a questionnaire's
 * questionOptions, answers and answerOptions, each naming its question and
 * participant), which the webhook export may share (docs/serve.md). */
typedef struct VrDoc {
    const cJSON *questionnaire;
    Index ix;
    SnapBudget *budget;
} VrDoc;

/* Indexes an object of a list by its id and by its mapping id. */
static void add_ids(Index *ix, const void *scope, const cJSON *it, const char *k2, size_t order)
{
    add(ix, scope, str_member(it, "id"), k2, order, it);
    add(ix, scope, str_member(it, "mappingId"), k2, order, it);
}

static void index_doc(VrDoc *d, const cJSON *root)
{
    size_t order = 0;
    const cJSON *it, *o;
    cJSON_ArrayForEach(it, member(root, "questions")) {
        if (!cJSON_IsObject(it))
            continue;
        add_ids(&d->ix, &QUESTIONS, it, NULL, order++);
        size_t k = 0;
        cJSON_ArrayForEach(o, member(it, "options")) {
            if (cJSON_IsObject(o))
                add_ids(&d->ix, it, o, NULL, k++);
        }
    }
    order = 0;
    cJSON_ArrayForEach(it, member(root, "questionOptions")) {
        if (!cJSON_IsObject(it))
            continue;
        add_ids(&d->ix, &QOPTIONS, it, str_member(it, "questionId"), order);
        add_ids(&d->ix, &QOPTIONS_ANY, it, NULL, order++);
    }
    /* The flat answers count only as a list. */
    order = 0;
    const cJSON *answers = member(root, "answers"), *aoptions = member(root, "answerOptions");
    if (!cJSON_IsArray(answers))
        answers = NULL;
    if (!cJSON_IsArray(aoptions))
        aoptions = NULL;
    cJSON_ArrayForEach(it, answers) {
        add(&d->ix, &ANSWERS, str_member(it, "participantId"), NULL, order++, it);
    }
    order = 0;
    cJSON_ArrayForEach(it, aoptions) {
        const char *pid = str_member(it, "participantId");
        add(&d->ix, &AOPTIONS, pid, NULL, order, it);
        if (str_member(it, "questionId"))
            add(&d->ix, &AOPTIONS_Q, pid, str_member(it, "questionId"), order, it);
        order++;
    }
    if (d->ix.n)
        qsort(d->ix.v, d->ix.n, sizeof *d->ix.v, cmp_entries);
}

static const cJSON *find_question(const VrDoc *d, const char *id)
{
    const Entry *e = id ? first(&d->ix, &QUESTIONS, id, NULL) : NULL;
    return e ? e->item : NULL;
}

/* An option of the question by id or mapping id: among its own "options",
 * else the first of the export's "questionOptions" naming it (or naming no
 * question; any of them when the question has no id). */
static const cJSON *find_option(const VrDoc *d, const cJSON *question, const char *id)
{
    const Entry *own = question ? first(&d->ix, question, id, NULL) : NULL;
    if (own)
        return own->item;
    const char *want = str_member(question, "id");
    if (want == NULL) {
        const Entry *any = first(&d->ix, &QOPTIONS_ANY, id, NULL);
        return any ? any->item : NULL;
    }
    const Entry *a = first(&d->ix, &QOPTIONS, id, want), *b = first(&d->ix, &QOPTIONS, id, NULL);
    if (a && b)
        return a->order < b->order ? a->item : b->item;
    return a ? a->item : b ? b->item : NULL;
}

/* A value's size as compact JSON, about (escapes not counted). */
static size_t json_size(const cJSON *v)
{
    if (cJSON_IsString(v))
        return strlen(v->valuestring) + 2;
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
        return 24;
    size_t n = 2;
    const cJSON *c;
    cJSON_ArrayForEach(c, v) n += json_size(c) + (c->string ? strlen(c->string) + 4 : 1);
    return n;
}

/* A copy of v charged to the budget; null once the budget is spent (the
 * request is refused then, nothing built after it matters). */
static cJSON *copy(const VrDoc *d, const cJSON *v)
{
    return snap_charge(d->budget, json_size(v)) ? cJSON_Duplicate(v, true) : cJSON_CreateNull();
}

static cJSON *copy_text(const VrDoc *d, const char *s)
{
    return snap_charge(d->budget, strlen(s) + 2) ? cJSON_CreateString(s) : cJSON_CreateNull();
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
        return copy(d, ref);
    const cJSON *opt = find_option(d, question, id);
    if (opt == NULL)
        return copy_text(d, id);
    const cJSON *value = member(opt, "value");
    if (non_empty(value))
        return copy(d, value);
    const char *mid = str_member(opt, "mappingId");
    return copy_text(d, mid ? mid : id);
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

static cJSON *one_or_list(const cJSON *question, cJSON *list, int n)
{
    if (is_multi(question, n))
        return list;
    cJSON *one = cJSON_DetachItemFromArray(list, 0);
    cJSON_Delete(list);
    return one ? one : cJSON_CreateNull();
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
        int n = 0;
        if (one) {
            cJSON_AddItemToArray(list, option_value(d, question, one));
            n++;
        }
        const cJSON *o;
        cJSON_ArrayForEach(o, opts) {
            cJSON_AddItemToArray(list, option_value(d, question, o));
            n++;
        }
        return one_or_list(question, list, n);
    }
    static const char *const keys[] = { "value", "values", "text" };
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = member(answer, keys[i]);
        if (v)
            return copy(d, v);
    }
    return cJSON_CreateNull();
}

/* The answer options participant pid gave to question qid (the flat
 * shape): a chosen option's value, else the text typed in, else the
 * option's mapping id. NULL when there are none. snapADDY's published
 * answer option has only id, participantId, questionId and text: nothing
 * else can name the option chosen, so its id is taken to be the option's
 * (docs/serve.md says this is inferred, not stated). */
static cJSON *flat_value(const VrDoc *d, const cJSON *question, const char *pid, const char *qid)
{
    size_t n;
    const Entry *ao = find(&d->ix, &AOPTIONS_Q, pid, qid, &n);
    cJSON *list = NULL;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *oid = str_member(ao[i].item, "id");
        const cJSON *opt = oid ? find_option(d, question, oid) : NULL;
        const cJSON *typed = member(ao[i].item, "text");
        cJSON *v = NULL;
        if (opt && non_empty(member(opt, "value")))
            v = copy(d, member(opt, "value"));
        else if (non_empty(typed))
            v = copy(d, typed);
        else if (opt || oid)
            v = copy_text(d, opt && str_member(opt, "mappingId") ? str_member(opt, "mappingId") : oid);
        if (v == NULL)
            continue;
        if (list == NULL)
            list = cJSON_CreateArray();
        cJSON_AddItemToArray(list, v);
        count++;
    }
    return list ? one_or_list(question, list, count) : NULL;
}

/* The key an answer to question qid has in the record: the question's
 * mapping id, else qid. */
static const char *answer_key(const VrDoc *d, const char *qid)
{
    const cJSON *q = find_question(d, qid);
    return q && str_member(q, "mappingId") ? str_member(q, "mappingId") : qid;
}

/* Sets out[key] to one answer's value; out has no such key yet. */
static void put_answer(const VrDoc *d, cJSON *out, const char *key, const char *qid, const char *pid,
                       const cJSON *answer)
{
    const cJSON *q = find_question(d, qid);
    cJSON *v = pid ? flat_value(d, q, pid, qid) : NULL;
    if (v == NULL)
        v = answer ? answer_value(d, q, answer) : cJSON_CreateNull();
    snap_charge(d->budget, strlen(key) + 4);
    cJSON_AddItemToObject(out, key, v);
}

static const char *answer_question(const cJSON *a)
{
    const char *qid = str_member(a, "questionId");
    return qid ? qid : str_member(a, "questionMappingId");
}

/* One answer to put: of several for the same key the last one counts (it
 * replaced the others), at the place where it came. */
typedef struct Put {
    const char *key, *qid;
    const cJSON *answer;
    size_t order;
} Put;

static int put_by_key(const void *x, const void *y)
{
    const Put *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

static int put_by_order(const void *x, const void *y)
{
    const Put *a = x, *b = y;
    return (a->order > b->order) - (a->order < b->order);
}

/* Keeps one Put per key (the last when last, else the first), in order. */
static size_t one_per_key(Put *p, size_t n, bool last)
{
    if (n == 0)
        return 0;
    qsort(p, n, sizeof *p, put_by_key);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool same_as_next = i + 1 < n && strcmp(p[i].key, p[i + 1].key) == 0;
        bool same_as_prev = i > 0 && strcmp(p[i].key, p[i - 1].key) == 0;
        if (last ? !same_as_next : !same_as_prev)
            p[k++] = p[i];
    }
    qsort(p, k, sizeof *p, put_by_order);
    return k;
}

static bool has_key(const Put *sorted, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sorted[mid].key, key);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The report's answers: its own "answers" (a list, or an object already
 * keyed by mapping id), else the export's flat answers and answer options
 * that name the report's id as their participantId. */
static bool report_answers(const VrDoc *d, const cJSON *rep, cJSON *out, char *err, size_t errlen)
{
    const cJSON *answers = member(rep, "answers");
    const char *pid = str_member(rep, "id");
    if (cJSON_IsObject(answers)) {
        const cJSON *a;
        cJSON_ArrayForEach(a, answers) {
            snap_charge(d->budget, strlen(a->string) + 4);
            cJSON_AddItemToObject(out, a->string, copy(d, a));
        }
        return true;
    }
    if (answers && !cJSON_IsNull(answers) && !cJSON_IsArray(answers)) {
        snprintf(err, errlen, "\"answers\" is neither a list nor an object");
        return false;
    }
    /* The answers: the report's own list, else the flat ones naming it. */
    size_t n = 0;
    const Entry *flat = NULL;
    if (answers)
        n = (size_t)cJSON_GetArraySize(answers);
    else if (pid)
        flat = find(&d->ix, &ANSWERS, pid, NULL, &n);
    Put *puts = cm_calloc(n ? n : 1, sizeof *puts);
    const cJSON *a = answers ? answers->child : NULL;
    bool ok = true;
    for (size_t i = 0; i < n; i++, a = a ? a->next : NULL) {
        const cJSON *ans = answers ? a : flat[i].item;
        const char *qid = answer_question(ans);
        if (qid == NULL) {
            snprintf(err, errlen, "an answer has no \"questionId\"");
            ok = false;
            break;
        }
        puts[i] = (Put){ answer_key(d, qid), qid, ans, i };
    }
    size_t k = ok ? one_per_key(puts, n, true) : 0;
    for (size_t i = 0; i < k; i++)
        put_answer(d, out, puts[i].key, puts[i].qid, pid, puts[i].answer);
    if (!ok || answers || pid == NULL) {
        cm_free(puts);
        return ok;
    }
    /* Answer options whose answer is not in the export. */
    qsort(puts, k, sizeof *puts, put_by_key);
    size_t nao;
    const Entry *ao = find(&d->ix, &AOPTIONS, pid, NULL, &nao);
    Put *more = cm_calloc(nao ? nao : 1, sizeof *more);
    size_t m = 0;
    for (size_t i = 0; i < nao; i++) {
        const char *qid = str_member(ao[i].item, "questionId");
        const char *key = qid ? answer_key(d, qid) : NULL;
        if (key && !has_key(puts, k, key))
            more[m++] = (Put){ key, qid, NULL, i };
    }
    m = one_per_key(more, m, false);
    for (size_t i = 0; i < m; i++)
        put_answer(d, out, more[i].key, more[i].qid, pid, NULL);
    cm_free(more);
    cm_free(puts);
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

/* Participant members that are the report's, not the contact's: those
 * the record has under "visitreport", and the app's own bookkeeping in
 * snapADDY's VisitReport REST resource schema (device-local image paths,
 * export and sync flags, the card parser's raw text). The files (image,
 * imageBase64, bcImage, bcImageBackside, drawing, attachments) stay: they
 * are source fields of their own (docs/serve.md). */
static bool report_meta(const char *key)
{
    static const char *const meta[] = {
        "id", "created", "createdBy", "createdByUserId", "answers", "contact", "questionnaireId", "checked",
        "checkedAt", "checkedBy", "campaignId", "customFields", "imageLocal", "bcImageLocal",
        "bcImageBacksideLocal", "bcChecked", "childrenSequenceNumberCounter", "exportedToExcel",
        "exportedToIntegration", "fail", "failInternet", "finished", "isDeprecatedTypeOfParticipant",
        "isParentParticipant", "orientation", "qrScan", "sequenceNumber", "snapaddyParserResponseText",
        "takenInOfflineMode", "type",
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        if (strcmp(key, meta[i]) == 0)
            return true;
    return false;
}

static void copy_member(const VrDoc *d, cJSON *to, const char *key, const cJSON *v)
{
    if (v && snap_charge(d->budget, strlen(key) + 4))
        cJSON_AddItemToObject(to, key, copy(d, v));
}

static cJSON *report_record(const VrDoc *d, const cJSON *rep, char *err, size_t errlen)
{
    const cJSON *qn = d->questionnaire;
    cJSON *rec = cJSON_CreateObject();
    const cJSON *contact = cJSON_IsObject(member(rep, "contact")) ? member(rep, "contact") : NULL;
    const cJSON *f, *from = contact ? contact : rep;
    cJSON_ArrayForEach(f, from) {
        if (contact || !report_meta(f->string))
            copy_member(d, rec, f->string, f);
    }
    cJSON *vr = cJSON_AddObjectToObject(rec, "visitreport");
    copy_member(d, vr, "id", member(rep, "id"));
    const char *title = questionnaire_title(qn);
    if (title)
        cJSON_AddStringToObject(vr, "title", title);
    /* createdBy is an e-mail (the mapping documentation's), createdByUserId
     * a snapADDY user id (the REST schema's): two fields, never one for the
     * other. campaignId and customFields are the template's settings. */
    static const char *const own[] = { "created", "createdBy", "createdByUserId", "checked", "checkedAt",
                                       "checkedBy" };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        copy_member(d, vr, own[i], member(rep, own[i]));
    static const char *const template_settings[] = { "campaignId", "customFields" };
    for (size_t i = 0; i < 2; i++) {
        const char *key = template_settings[i];
        copy_member(d, vr, key, member(qn, key) ? member(qn, key) : member(rep, key));
    }
    const char *qid = str_member(qn, "mappingId") ? str_member(qn, "mappingId") : str_member(qn, "id");
    if (qid)
        cJSON_AddStringToObject(vr, "questionnaireId", qid);
    cJSON *answers = cJSON_AddObjectToObject(rec, "answers");
    if (!report_answers(d, rep, answers, err, errlen)) {
        cJSON_Delete(rec);
        return NULL;
    }
    return rec;
}
/* The byte offsets of the items of the array that is the top-level member
 * key of doc (valid JSON), the first member of that name as cJSON finds it;
 * NULL when there is none. n: how many. */
static size_t *item_offsets(const char *doc, size_t len, const char *key, size_t *n)
{
    *n = 0;
    size_t klen = strlen(key), i = snap_json_skip_space(doc, len, 0);
    if (i >= len || doc[i] != '{')
        return NULL;
    i = snap_json_skip_space(doc, len, i + 1);
    while (i < len && doc[i] == '"') {
        size_t kend = snap_json_value_end(doc, len, i);
        bool match = kend - i == klen + 2 && memcmp(doc + i + 1, key, klen) == 0;
        i = snap_json_skip_space(doc, len, kend);
        i = snap_json_skip_space(doc, len, i < len && doc[i] == ':' ? i + 1 : i);
        size_t vend = snap_json_value_end(doc, len, i);
        if (match && i < len && doc[i] == '[') {
            size_t *at = NULL, cap = 0;
            for (size_t p = snap_json_skip_space(doc, len, i + 1); p < vend && doc[p] != ']';) {
                if (*n == cap) {
                    cap = cap ? 2 * cap : 64;
                    at = cm_realloc(at, cap * sizeof *at);
                }
                at[(*n)++] = p;
                p = snap_json_skip_space(doc, len, snap_json_value_end(doc, len, p));
                p = snap_json_skip_space(doc, len, p < len && doc[p] == ',' ? p + 1 : p);
            }
            return at;
        }
        if (match)
            return NULL;
        i = snap_json_skip_space(doc, len, vend);
        i = snap_json_skip_space(doc, len, i < len && doc[i] == ',' ? i + 1 : i);
    }
    return NULL;
}

/* Builds report rep's record and hands it to each; false to stop. */
static bool convert(VrDoc *d, const cJSON *rep, SnapRecord *r, SnapEach each, void *ctx)
{
    char why[256];
    cJSON *rec = NULL;
    if (!cJSON_IsObject(rep))
        r->why = "not a JSON object";
    else if ((rec = report_record(d, rep, why, sizeof why)) == NULL)
        r->why = why;
    if (rec && !d->budget->over) {
        char *text = cJSON_PrintUnformatted(rec);
        /* cJSON counts lengths in int: a record over 2 GiB comes back NULL. */
        if (text == NULL) {
            d->budget->over = true;
        } else {
            r->len = strlen(text);
            r->text = cm_strndup(text, r->len);
            r->report_id = snap_report_id(rec);
            cJSON_free(text);
        }
    }
    cJSON_Delete(rec);
    if (d->budget->over) {
        cm_free(r->text);
        cm_free(r->report_id);
        return false;
    }
    return each(ctx, r);
}

bool snap_export_records(const char *doc, size_t len, SnapBudget *b, SnapEach each, void *ctx, const char **where,
                         char *err, size_t errlen)
{
    cJSON *root = parse_at(doc, len, doc, where, err, errlen);
    if (root == NULL)
        return false;
    VrDoc d;
    memset(&d, 0, sizeof d);
    d.budget = b;
    d.questionnaire = member(root, "questionnaire");
    const cJSON *questions = member(root, "questions");
    const char *list_key = member(root, "reports") ? "reports" : "participants";
    const cJSON *reports = member(root, list_key);
    bool ok = false;
    if (!cJSON_IsObject(d.questionnaire))
        snprintf(err, errlen, "no \"questionnaire\" object: not a VisitReport export");
    else if (questions && !cJSON_IsArray(questions))
        snprintf(err, errlen, "\"questions\" is not a list");
    else if (!cJSON_IsArray(reports))
        snprintf(err, errlen, "no \"reports\" or \"participants\" list: not a VisitReport export");
    else
        ok = true;
    if (ok)
        index_doc(&d, root);
    size_t nat = 0, k = 0;
    size_t *at = ok ? item_offsets(doc, len, list_key, &nat) : NULL;
    if (ok && nat != (size_t)cJSON_GetArraySize(reports))
        nat = 0;
    const cJSON *rep, *list = ok ? reports : NULL;
    cJSON_ArrayForEach(rep, list) {
        SnapRecord r = { .report = k + 1, .at = k < nat ? at[k] : 0 };
        k++;
        if (!convert(&d, rep, &r, each, ctx)) {
            ok = false;
            break;
        }
    }
    cm_free(at);
    cm_free(d.ix.v);
    cJSON_Delete(root);
    return ok;
}
