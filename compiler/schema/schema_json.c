/* schema_json: reading JSON documents with positions; see schema_json.h. */
#include "schema_json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "cm_sort.h"
#include "cm_utf8.h"
#include "path_guard.h"
#include "schema.h"

#define NO_KEY UINT32_MAX

struct JsonPos {
    const cJSON *node;      /* NULL: empty slot */
    uint32_t key;           /* offset of the key's opening quote, NO_KEY if none */
    uint32_t start, end;    /* the value: [start, end) */
};

const DiagSource *json_read_file(DiagSink *sink, const char *path, const char *tree, Span at,
                                 const char *what)
{
    const char *err = NULL;
    CmBuf b = CM_BUF_INIT;
    int fd = -1;
    FILE *f = NULL;
    switch (path_open_inside(path, tree, &fd)) {
    case PO_OK:
        f = fdopen(fd, "rb");
        if (f == NULL) {
            err = strerror(errno);
            close(fd);
        }
        break;
    case PO_ERRNO: err = strerror(errno); break;
    case PO_OUTSIDE: err = "it leads outside the mapping's folder tree"; break;
    case PO_NOT_REGULAR: err = "it is not a regular file"; break;
    case PO_DIRECTORY: err = "it is a directory"; break;
    }
    struct stat st;
    if (f == NULL) {
        /* err says why */
    } else if (fstat(fileno(f), &st) == 0 && (uintmax_t)st.st_size > SCHEMA_MAX_FILE) {
        err = "file too large";
    } else {
        char chunk[65536];
        size_t n;
        while (err == NULL && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
            if (b.len + n > SCHEMA_MAX_FILE)
                err = "file too large";   /* grew while we read, or not a regular file */
            else
                cm_buf_put(&b, chunk, n);
        }
        if (err == NULL && ferror(f))
            err = strerror(errno);
    }
    if (f != NULL)
        fclose(f);
    if (err != NULL) {
        cm_buf_free(&b);
        Span where = at;
        if (where.src == NULL)
            where = diag_nowhere(diag_source_add(sink, path, NULL, 0));
        Diag *d = diag_report(sink, DIAG_ERROR, "E0113", where, "cannot read %s '%s': %s",
                              what, path, err);
        if (strcmp(err, "file too large") == 0)
            diag_help(d, "the limit is %u bytes (%u MiB)", SCHEMA_MAX_FILE,
                      SCHEMA_MAX_FILE / (1024u * 1024u));
        return NULL;
    }
    const DiagSource *src = diag_source_add(sink, path, b.data ? b.data : "", b.len);
    cm_buf_free(&b);
    return src;
}

/* ---- scanning: the text is known to be valid JSON when these run ---- */

static size_t skip_ws(const char *t, size_t len, size_t i)
{
    /* as cJSON: every byte up to the space is whitespace between tokens */
    while (i < len && (unsigned char)t[i] <= ' ')
        i++;
    return i;
}

/* i at the opening quote; returns the offset after the closing quote. */
static size_t skip_string(const char *t, size_t len, size_t i)
{
    for (i++; i < len && t[i] != '"'; i++)
        if (t[i] == '\\')
            i++;
    return i < len ? i + 1 : len;
}

static size_t skip_scalar(const char *t, size_t len, size_t i)
{
    while (i < len && t[i] != ',' && t[i] != '}' && t[i] != ']' && (unsigned char)t[i] > ' ')
        i++;
    return i;
}

/* Before cJSON sees the text: depth, node count, control characters and
 * UTF-8, each reported where it happens. */
static bool prescan(JsonDoc *d, size_t *nodes, bool *unclosed)
{
    const char *t = d->text;
    size_t len = d->len, depth = 0, count = 1;
    size_t bad = cm_utf8_invalid_at(t, len);
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (i == bad) {
            diag_report(d->sink, DIAG_ERROR, d->code, diag_span(d->src, (uint32_t)i, (uint32_t)i + 1),
                        "invalid UTF-8 in JSON text");
            return false;
        }
        if (in_string) {
            if (c == '\\' && i + 5 < len && memcmp(t + i + 1, "u0000", 5) == 0) {
                /* cJSON would end the string there and silently drop the rest */
                diag_report(d->sink, DIAG_ERROR, d->code, diag_span(d->src, (uint32_t)i, (uint32_t)i + 6),
                            "\\u0000 (a NUL character) in a JSON string");
                return false;
            }
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            else if (c < 0x20) {
                diag_report(d->sink, DIAG_ERROR, d->code, diag_span(d->src, (uint32_t)i, (uint32_t)i + 1),
                            "control character 0x%02x in a JSON string (write it as \\u%04x)", c, c);
                return false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            count++;
            if (++depth > JSON_MAX_DEPTH) {
                Diag *e = diag_report(d->sink, DIAG_ERROR, d->code, diag_span(d->src, (uint32_t)i, (uint32_t)i + 1),
                                      "JSON nested more than %d levels deep", JSON_MAX_DEPTH);
                diag_help(e, "schema documents nest a few levels; this file is not one");
                return false;
            }
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
        } else if (c == ',') {
            if (++count > JSON_MAX_NODES) {
                diag_report(d->sink, DIAG_ERROR, d->code, diag_span(d->src, (uint32_t)i, (uint32_t)i + 1),
                            "more than %u JSON values in one document", JSON_MAX_NODES);
                return false;
            }
        }
    }
    *nodes = count;
    *unclosed = in_string || depth > 0;
    return true;
}

/* True when nothing but the rest of one token follows offset at: where
 * cJSON stops in a string or number cut off by the end of the file. */
static bool last_token(const char *t, size_t len, size_t at)
{
    for (size_t i = at; i < len; i++)
        if (strchr(",:{}[]", t[i]) != NULL || (i > at && t[i] == '"'))
            return false;
    return true;
}

static size_t step(size_t i, size_t len)
{
    return i < len ? i + 1 : len;
}

static size_t pos_slot(const JsonDoc *d, const cJSON *node)
{
    uint64_t h = (uint64_t)(uintptr_t)node;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15u;
    h ^= h >> 29;
    size_t i = (size_t)h & (d->pos_cap - 1);
    while (d->pos[i].node != NULL && d->pos[i].node != node)
        i = (i + 1) & (d->pos_cap - 1);
    return i;
}

static const JsonPos *pos_find(const JsonDoc *d, const cJSON *node)
{
    if (d->pos == NULL || node == NULL)
        return NULL;
    const JsonPos *p = &d->pos[pos_slot(d, node)];
    return p->node == node ? p : NULL;
}

static void pos_put(JsonDoc *d, const cJSON *node, uint32_t key, uint32_t start, uint32_t end)
{
    JsonPos *p = &d->pos[pos_slot(d, node)];
    p->node = node;
    p->key = key;
    p->start = start;
    p->end = end;
}

/* Reports every repeat of a key in obj (n children, already indexed): cJSON
 * keeps both, and which one a reader sees is an accident. */
static bool check_duplicates(JsonDoc *d, const cJSON *obj, size_t n)
{
    if (n < 2)
        return true;
    /* Of two equal keys the later in the text is the repeat: children are
     * in text order, so a key's place among them orders ties. */
    CmNameAt *keys = cm_malloc(n * sizeof *keys);
    const cJSON **nodes = cm_malloc(n * sizeof *nodes);
    size_t k = 0;
    for (const cJSON *c = obj->child; c != NULL && k < n; c = c->next) {
        nodes[k] = c;
        keys[k] = (CmNameAt){ c->string, k };
        k++;
    }
    qsort(keys, k, sizeof *keys, cm_name_at_cmp);
    bool ok = true;
    for (size_t i = 1; i < k; i++)
        if (strcmp(keys[i - 1].name, keys[i].name) == 0) {
            Diag *e = json_error(d, nodes[keys[i].at], true, "duplicate key '%s'", keys[i].name);
            diag_help(e, "a JSON object must not repeat a key; remove one of them");
            ok = false;
        }
    cm_free(nodes);
    cm_free(keys);
    return ok;
}

/* Walks the text beside the tree cJSON built from it, recording where each
 * value (and its key) is. Recursion is bounded by JSON_MAX_DEPTH. */
static size_t index_value(JsonDoc *d, const cJSON *node, size_t i, uint32_t key, bool *ok)
{
    const char *t = d->text;
    size_t len = d->len;
    i = skip_ws(t, len, i);
    size_t start = i;
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        bool object = cJSON_IsObject(node);
        size_t n = 0;
        i = step(i, len);
        for (const cJSON *c = node->child; c != NULL; c = c->next) {
            i = skip_ws(t, len, i);
            if (n > 0 && i < len && t[i] == ',')
                i = skip_ws(t, len, i + 1);
            uint32_t k = NO_KEY;
            if (object) {
                k = (uint32_t)i;
                i = skip_ws(t, len, skip_string(t, len, i));
                i = step(i, len);   /* ':' */
            }
            i = index_value(d, c, i, k, ok);
            n++;
        }
        i = step(skip_ws(t, len, i), len);
        pos_put(d, node, key, (uint32_t)start, (uint32_t)i);
        if (object && !check_duplicates(d, node, n))
            *ok = false;
        return i;
    }
    i = cJSON_IsString(node) ? skip_string(t, len, i) : skip_scalar(t, len, i);
    pos_put(d, node, key, (uint32_t)start, (uint32_t)i);
    return i;
}

bool json_doc_open(JsonDoc *d, DiagSink *sink, const DiagSource *src)
{
    return json_doc_open_as(d, sink, src, "E0113");
}

bool json_doc_open_as(JsonDoc *d, DiagSink *sink, const DiagSource *src, const char *code)
{
    memset(d, 0, sizeof *d);
    d->code = code;
    d->sink = sink;
    d->src = src;
    d->text = diag_source_text(src, &d->len);
    if (d->text == NULL) {
        d->text = "";
        d->len = 0;
    }
    size_t nodes = 0;
    bool unclosed = false;
    if (d->len > SCHEMA_MAX_FILE) {
        diag_report(sink, DIAG_ERROR, d->code, diag_nowhere(src), "file larger than %u bytes",
                    SCHEMA_MAX_FILE);
        return false;
    }
    if (!prescan(d, &nodes, &unclosed))
        return false;
    size_t begin = d->len >= 3 && memcmp(d->text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    const char *end = NULL;
    d->root = cJSON_ParseWithLengthOpts(d->text + begin, d->len - begin, &end, false);
    if (d->root == NULL) {
        size_t at = end != NULL ? (size_t)(end - d->text) : d->len;
        if (at > d->len)
            at = d->len;
        if (skip_ws(d->text, d->len, begin) >= d->len) {
            diag_report(sink, DIAG_ERROR, d->code, diag_span(src, (uint32_t)d->len, (uint32_t)d->len),
                        "empty file: expected a JSON document");
        } else if (skip_ws(d->text, d->len, at) >= d->len || at + 1 >= d->len ||
                   (unclosed && last_token(d->text, d->len, at))) {
            Diag *e = diag_report(sink, DIAG_ERROR, d->code, diag_span(src, (uint32_t)d->len, (uint32_t)d->len),
                                  "malformed JSON: the document ends too early");
            diag_help(e, "the file looks truncated");
        } else {
            diag_report(sink, DIAG_ERROR, d->code, diag_span(src, (uint32_t)at, (uint32_t)at + 1),
                        "malformed JSON near '%c'", d->text[at] >= ' ' && d->text[at] < 127 ? d->text[at] : '?');
        }
        return false;
    }
    size_t after = skip_ws(d->text, d->len, (size_t)(end - d->text));
    if (after < d->len) {
        diag_report(sink, DIAG_ERROR, d->code, diag_span(src, (uint32_t)after, (uint32_t)d->len),
                    "unexpected text after the JSON document");
        json_doc_close(d);
        return false;
    }
    d->pos_cap = 16;
    while (d->pos_cap < nodes * 2)
        d->pos_cap *= 2;
    d->pos = cm_calloc(d->pos_cap, sizeof *d->pos);
    bool ok = true;
    index_value(d, d->root, begin, NO_KEY, &ok);
    if (!ok) {
        json_doc_close(d);
        return false;
    }
    return true;
}

void json_doc_close(JsonDoc *d)
{
    cJSON_Delete(d->root);
    d->root = NULL;
    cm_free(d->pos);
    d->pos = NULL;
    d->pos_cap = 0;
}

Span json_span(const JsonDoc *d, const cJSON *node)
{
    const JsonPos *p = pos_find(d, node);
    if (p == NULL)
        return diag_nowhere(d->src);
    return diag_span(d->src, p->start, p->end);
}

Span json_key_span(const JsonDoc *d, const cJSON *node)
{
    const JsonPos *p = pos_find(d, node);
    if (p == NULL)
        return diag_nowhere(d->src);
    if (p->key == NO_KEY)
        return diag_span(d->src, p->start, p->end);
    return diag_span(d->src, p->key, (uint32_t)skip_string(d->text, d->len, p->key));
}

Diag *json_error(JsonDoc *d, const cJSON *node, bool key, const char *fmt, ...)
{
    CmBuf msg = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    Span at = key ? json_key_span(d, node) : json_span(d, node);
    Diag *e = diag_report(d->sink, DIAG_ERROR, d->code, at, "%s", msg.data ? msg.data : "");
    cm_buf_free(&msg);
    return e;
}

Diag *json_error_head(JsonDoc *d, const cJSON *node, const char *fmt, ...)
{
    CmBuf msg = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    Span at = json_span(d, node);
    if (at.end > at.start + 1)
        at.end = at.start + 1;
    Diag *e = diag_report(d->sink, DIAG_ERROR, d->code, at, "%s", msg.data ? msg.data : "");
    cm_buf_free(&msg);
    return e;
}

void json_unknown_name(JsonDoc *d, const cJSON *node, const char *what, const char *name,
                       const char *const *names, size_t n, const char *otherwise)
{
    Diag *e = json_error(d, node, false, "unknown %s '%s'", what, name);
    const char *best = diag_suggest(name, names, n);
    if (best != NULL)
        diag_help(e, "did you mean '%s'?", best);
    else if (otherwise != NULL)
        diag_help(e, "%s", otherwise);
}

const char *json_kind(const cJSON *node)
{
    static const struct { cJSON_bool (*is)(const cJSON *); const char *kind; } KINDS[] = {
        { cJSON_IsString, "a string" }, { cJSON_IsNumber, "a number" }, { cJSON_IsBool, "a boolean" },
        { cJSON_IsNull, "null" }, { cJSON_IsArray, "an array" }, { cJSON_IsObject, "an object" },
    };
    if (node == NULL)
        return "nothing";
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (KINDS[i].is(node))
            return KINDS[i].kind;
    return "an invalid value";
}

const cJSON *json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

bool json_check_keys(JsonDoc *d, const cJSON *obj, const char *what,
                     const char *const *allowed, size_t nallowed)
{
    bool ok = true;
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        if (strncmp(c->string, "x-", 2) == 0)
            continue;
        bool known = false;
        for (size_t i = 0; i < nallowed && !known; i++)
            known = strcmp(c->string, allowed[i]) == 0;
        if (known)
            continue;
        Diag *e = json_error(d, c, true, "unknown key '%s' in %s", c->string, what);
        const char *best = diag_suggest(c->string, allowed, nallowed);
        if (best != NULL)
            diag_help(e, "did you mean '%s'?", best);
        else
            diag_help(e, "keys starting with 'x-' are ignored, for tools' own data");
        ok = false;
    }
    return ok;
}

/* obj's member key (*v, whatever it is) when it must be of one JSON type:
 * 1 it is (is), 0 an optional one is absent or null, -1 a required one is
 * missing or it is of another type (reported, naming kind). */
static int want_member(JsonDoc *d, const cJSON *obj, const char *key, bool required,
                       cJSON_bool (*is)(const cJSON *), const char *kind, const cJSON **v)
{
    *v = json_get(obj, key);
    if (*v == NULL || (!required && cJSON_IsNull(*v))) {
        if (!required)
            return 0;
        json_error_head(d, obj, "missing key '%s'", key);
        return -1;
    }
    if (!is(*v)) {
        json_error(d, *v, false, "'%s' must be %s, not %s", key, kind, json_kind(*v));
        return -1;
    }
    return 1;
}

bool json_want_string(JsonDoc *d, const cJSON *obj, const char *key, bool required,
                      bool nonempty, const char **out, const cJSON **node)
{
    const cJSON *v;
    int got = want_member(d, obj, key, required, cJSON_IsString, "a string", &v);
    if (node != NULL)
        *node = v;
    if (got <= 0)
        return got == 0;
    size_t n = strlen(v->valuestring);
    if (nonempty && n == 0) {
        json_error(d, v, false, "'%s' must not be empty", key);
        return false;
    }
    if (n > SCHEMA_MAX_STRING) {
        json_error(d, v, false, "'%s' is longer than %u bytes", key, SCHEMA_MAX_STRING);
        return false;
    }
    *out = v->valuestring;
    return true;
}

bool json_want_bool(JsonDoc *d, const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v;
    int got = want_member(d, obj, key, false, cJSON_IsBool, "true or false", &v);
    if (got > 0)
        *out = cJSON_IsTrue(v);
    return got >= 0;
}

bool json_is_integer(const cJSON *node)
{
    if (!cJSON_IsNumber(node))
        return false;
    double x = node->valuedouble;
    return isfinite(x) && x == floor(x) && fabs(x) <= 9007199254740992.0;
}

bool json_want_int(JsonDoc *d, const cJSON *obj, const char *key, long min, long max, long *out)
{
    const cJSON *v = json_get(obj, key);
    if (v == NULL || cJSON_IsNull(v))
        return true;
    if (!json_is_integer(v) || v->valuedouble < (double)min || v->valuedouble > (double)max) {
        json_error(d, v, false, "'%s' must be an integer from %ld to %ld", key, min, max);
        return false;
    }
    *out = (long)v->valuedouble;
    return true;
}

bool json_want_array(JsonDoc *d, const cJSON *obj, const char *key, bool required,
                     const cJSON **out)
{
    const cJSON *v;
    int got = want_member(d, obj, key, required, cJSON_IsArray, "an array", &v);
    if (got > 0)
        *out = v;
    return got >= 0;
}

const cJSON *json_items(const cJSON *obj, const char *key)
{
    const cJSON *list = json_get(obj, key);
    return cJSON_IsArray(list) ? list->child : NULL;
}

const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = json_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_bool(const cJSON *obj, const char *key, bool fallback)
{
    const cJSON *v = json_get(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

long json_long(const cJSON *obj, const char *key, long min, long max, long fallback)
{
    const cJSON *v = json_get(obj, key);
    if (!json_is_integer(v) || v->valuedouble < (double)min || v->valuedouble > (double)max)
        return fallback;
    return (long)v->valuedouble;
}
