/* serve_webhook: see serve_webhook.h. */
#include "serve_webhook.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"

/* What one request's records may take in all (serve_parse_body's
 * max_output), charged as they are built: a VisitReport copies an option's
 * value for every reference to it, so a small body can ask for gigabytes. */
typedef struct Budget {
    size_t left;
    bool over;
} Budget;

static bool charge(Budget *b, size_t n)
{
    if (b->over || n > b->left) {
        b->over = true;
        return false;
    }
    b->left -= n;
    return true;
}

static void too_large(size_t max_output, char *err, size_t errlen)
{
    snprintf(err, errlen, "the records of this request would take more than %zu bytes (4 x --max-body): "
             "send fewer reports, or fewer references to large option values, in one request", max_output);
}

/* The record's report id (visitreport.id as text), or NULL. */
static char *report_id(const cJSON *obj)
{
    const cJSON *vr = cJSON_GetObjectItemCaseSensitive(obj, "visitreport");
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

/* Adds one record: text (len bytes, not NUL-terminated, owned by r now)
 * and the report id of obj, its parsed form. False when the budget is
 * spent; text is freed then. */
static bool add_record(ServeRecords *r, char *text, size_t len, const cJSON *obj, Budget *b)
{
    if (!charge(b, len)) {
        cm_free(text);
        return false;
    }
    size_t i = r->n++;
    r->text = cm_realloc(r->text, r->n * sizeof *r->text);
    r->len = cm_realloc(r->len, r->n * sizeof *r->len);
    r->report_id = cm_realloc(r->report_id, r->n * sizeof *r->report_id);
    r->text[i] = text;
    r->len[i] = len;
    r->report_id[i] = report_id(obj);
    return true;
}

/* Adds obj's text as cJSON prints it (a VisitReport's records, built
 * here); false when the budget is spent (or cJSON could not print it: it
 * counts lengths in int, so a record over 2 GiB comes back NULL). */
static bool push(ServeRecords *r, const cJSON *obj, Budget *b)
{
    char *text = cJSON_PrintUnformatted(obj);
    if (text == NULL) {
        b->over = true;
        return false;
    }
    size_t len = strlen(text);
    char *copy = cm_strndup(text, len);
    cJSON_free(text);
    return add_record(r, copy, len, obj, b);
}

/* Adds a record as it was received: its text (valid JSON, cJSON parsed
 * it as obj) without the whitespace between tokens. Strings and numbers
 * keep their bytes, so `\u0000`, 9007199254740993 and 1e400 stay what
 * they were, and so does the duplicate key computed on the text. */
static bool push_received(ServeRecords *r, const char *text, size_t len, const cJSON *obj, Budget *b)
{
    char *out = cm_malloc(len + 1);
    size_t n = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            out[n++] = c;
            if (c == '\\' && i + 1 < len)
                out[n++] = text[++i];
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
            out[n++] = c;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            out[n++] = c;
        }
    }
    out[n] = '\0';
    return add_record(r, out, n, obj, b);
}

/* Where the JSON value starting at text[i] ends (text is valid JSON). */
static size_t value_end(const char *text, size_t len, size_t i)
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

static size_t skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    return i;
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

static bool parse_batch(const char *body, size_t len, ServeRecords *out, Budget *b, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i]))
        i++;
    if (i < len && body[i] == '[') {
        cJSON *arr = parse(body, len, body, err, errlen);
        if (arr == NULL)
            return false;
        size_t k = 0, at = skip_space(body, len, i + 1);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            k++;
            if (!cJSON_IsObject(it)) {
                snprintf(err, errlen, "item %zu of the array is not a JSON object", k);
                cJSON_Delete(arr);
                return false;
            }
            size_t end = value_end(body, len, at);
            if (too_many(out, err, errlen) || !push_received(out, body + at, end - at, it, b)) {
                cJSON_Delete(arr);
                return false;
            }
            at = skip_space(body, len, end);
            at = skip_space(body, len, at < len && body[at] == ',' ? at + 1 : at);
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
            bool pushed = !too_many(out, err, errlen) && push_received(out, body + s, end - s, obj, b);
            cJSON_Delete(obj);
            if (!pushed)
                return false;
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
    Budget *budget;
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
    return charge(d->budget, json_size(v)) ? cJSON_Duplicate(v, true) : cJSON_CreateNull();
}

static cJSON *copy_text(const VrDoc *d, const char *s)
{
    return charge(d->budget, strlen(s) + 2) ? cJSON_CreateString(s) : cJSON_CreateNull();
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
    charge(d->budget, strlen(key) + 4);
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
static bool report_answers(const VrDoc *d, const cJSON *rep, cJSON *out, size_t report, char *err, size_t errlen)
{
    const cJSON *answers = member(rep, "answers");
    const char *pid = str_member(rep, "id");
    if (cJSON_IsObject(answers)) {
        const cJSON *a;
        cJSON_ArrayForEach(a, answers) {
            charge(d->budget, strlen(a->string) + 4);
            cJSON_AddItemToObject(out, a->string, copy(d, a));
        }
        return true;
    }
    if (answers && !cJSON_IsNull(answers) && !cJSON_IsArray(answers)) {
        snprintf(err, errlen, "report %zu: \"answers\" is neither a list nor an object", report);
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
            snprintf(err, errlen, "report %zu: an answer has no \"questionId\"", report);
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
    if (v && charge(d->budget, strlen(key) + 4))
        cJSON_AddItemToObject(to, key, copy(d, v));
}

static cJSON *report_record(const VrDoc *d, const cJSON *rep, size_t k, char *err, size_t errlen)
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
    if (!report_answers(d, rep, answers, k, err, errlen)) {
        cJSON_Delete(rec);
        return NULL;
    }
    return rec;
}

static bool parse_visitreport(const char *body, size_t len, ServeRecords *out, Budget *b, char *err,
                              size_t errlen)
{
    cJSON *root = parse(body, len, body, err, errlen);
    if (root == NULL)
        return false;
    VrDoc d;
    memset(&d, 0, sizeof d);
    d.budget = b;
    d.questionnaire = member(root, "questionnaire");
    const cJSON *questions = member(root, "questions");
    const cJSON *reports = member(root, "reports");
    if (reports == NULL)
        reports = member(root, "participants");
    bool ok = false;
    if (!cJSON_IsObject(d.questionnaire))
        snprintf(err, errlen, "no \"questionnaire\" object: not a VisitReport webhook body");
    else if (questions && !cJSON_IsArray(questions))
        snprintf(err, errlen, "\"questions\" is not a list");
    else if (!cJSON_IsArray(reports))
        snprintf(err, errlen, "no \"reports\" or \"participants\" list: not a VisitReport webhook body");
    else
        ok = true;
    if (ok)
        index_doc(&d, root);
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
        bool pushed = rec && !b->over && push(out, rec, b);
        cJSON_Delete(rec);
        if (!pushed) {
            ok = false;
            break;
        }
    }
    cm_free(d.ix.v);
    cJSON_Delete(root);
    return ok;
}

bool serve_parse_body(ServeShape shape, const char *body, size_t len, size_t max_output, ServeRecords *out,
                      bool *over, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    Budget b = { max_output, false };
    bool ok;
    if (shape == SHAPE_BATCH) {
        ok = parse_batch(body, len, out, &b, err, errlen);
    } else if (shape == SHAPE_VISITREPORT) {
        ok = parse_visitreport(body, len, out, &b, err, errlen);
    } else {
        cJSON *obj = parse(body, len, body, err, errlen);
        ok = obj != NULL && cJSON_IsObject(obj);
        if (obj && !ok)
            snprintf(err, errlen, "the body is not a JSON object (a batch goes to /records/batch)");
        ok = ok && push_received(out, body, len, obj, &b);
        cJSON_Delete(obj);
    }
    *over = b.over;
    if (b.over)
        too_large(max_output, err, errlen);
    if (ok && out->n == 0) {
        snprintf(err, errlen, "the body holds no record");
        ok = false;
    }
    if (!ok)
        serve_records_free(out);
    return ok;
}
