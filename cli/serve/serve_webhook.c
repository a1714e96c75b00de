/* serve_webhook: see serve_webhook.h. */
#include "serve_webhook.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "snap_export.h"

static void too_large(size_t max_output, char *err, size_t errlen)
{
    snprintf(err, errlen, "the records of this request would take more than %zu bytes (4 x --max-body): "
             "send fewer reports, or fewer references to large option values, in one request", max_output);
}

/* Adds one record: text (len bytes, not NUL-terminated) and its report
 * id (or NULL), both owned by r now. False when the budget is spent; both
 * are freed then. */
static bool add_record(ServeRecords *r, char *text, size_t len, char *report_id, SnapBudget *b)
{
    if (!snap_charge(b, len)) {
        cm_free(text);
        cm_free(report_id);
        return false;
    }
    size_t i = r->n++;
    r->text = cm_realloc(r->text, r->n * sizeof *r->text);
    r->len = cm_realloc(r->len, r->n * sizeof *r->len);
    r->report_id = cm_realloc(r->report_id, r->n * sizeof *r->report_id);
    r->text[i] = text;
    r->len[i] = len;
    r->report_id[i] = report_id;
    return true;
}

/* Adds a record as it was received: its text (valid JSON, cJSON parsed
 * it as obj) without the whitespace between tokens. Strings and numbers
 * keep their bytes, so `\u0000`, 9007199254740993 and 1e400 stay what
 * they were, and so does the duplicate key computed on the text. */
static bool push_received(ServeRecords *r, const char *text, size_t len, const cJSON *obj, SnapBudget *b)
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
    return add_record(r, out, n, snap_report_id(obj), b);
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

static bool too_many(const ServeRecords *r, char *err, size_t errlen)
{
    if (r->n < SERVE_MAX_RECORDS)
        return false;
    snprintf(err, errlen, "more than %u records in one request: split it", SERVE_MAX_RECORDS);
    return true;
}

static bool parse_batch(const char *body, size_t len, ServeRecords *out, SnapBudget *b, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i]))
        i++;
    if (i < len && body[i] == '[') {
        cJSON *arr = snap_json_parse(body, len, body, err, errlen);
        if (arr == NULL)
            return false;
        size_t k = 0, at = snap_json_skip_space(body, len, i + 1);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            k++;
            if (!cJSON_IsObject(it)) {
                snprintf(err, errlen, "item %zu of the array is not a JSON object", k);
                cJSON_Delete(arr);
                return false;
            }
            size_t end = snap_json_value_end(body, len, at);
            if (too_many(out, err, errlen) || !push_received(out, body + at, end - at, it, b)) {
                cJSON_Delete(arr);
                return false;
            }
            at = snap_json_skip_space(body, len, end);
            at = snap_json_skip_space(body, len, at < len && body[at] == ',' ? at + 1 : at);
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
            cJSON *obj = snap_json_parse(body + s, end - s, body + s, why, sizeof why);
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

/* ---- the VisitReport webhook (snap_export.h) ---- */

typedef struct VrTake {
    ServeRecords *out;
    SnapBudget *b;
    char *err;
    size_t errlen;
} VrTake;

/* A report that cannot be converted refuses the whole request. */
static bool take_report(void *ctx, SnapRecord *r)
{
    VrTake *t = ctx;
    if (r->why) {
        snprintf(t->err, t->errlen, "report %zu: %s", r->report, r->why);
        return false;
    }
    if (too_many(t->out, t->err, t->errlen)) {
        cm_free(r->text);
        cm_free(r->report_id);
        return false;
    }
    return add_record(t->out, r->text, r->len, r->report_id, t->b);
}

static bool parse_visitreport(const char *body, size_t len, ServeRecords *out, SnapBudget *b, char *err,
                              size_t errlen)
{
    VrTake t = { out, b, err, errlen };
    const char *where;
    return snap_export_records(body, len, b, take_report, &t, &where, err, errlen);
}

bool serve_parse_body(ServeShape shape, const char *body, size_t len, size_t max_output, ServeRecords *out,
                      bool *over, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    SnapBudget b = { max_output, false };
    bool ok;
    if (shape == SHAPE_BATCH) {
        ok = parse_batch(body, len, out, &b, err, errlen);
    } else if (shape == SHAPE_VISITREPORT) {
        ok = parse_visitreport(body, len, out, &b, err, errlen);
    } else {
        cJSON *obj = snap_json_parse(body, len, body, err, errlen);
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
