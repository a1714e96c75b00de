/* crm_link: see crm_link.h. cJSON reads the CRM's answers (users pages and
 * the shape of metadata answers); the importers read the metadata itself. */
#include "crm_link.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cli.h"
#include "cm_alloc.h"
#include "param_cli.h"

#define MAX_USER_PAGES 200      /* 200 pages of 500-2000 users: far beyond any org */

int crm_link_fail(const CrmLink *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vfatal(l->who, fmt, ap);
    va_end(ap);
    return EXIT_FATAL;
}

bool crm_plain_name(const char *s)
{
    if (*s == '\0' || strlen(s) > 100)
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
    return true;
}

/* Takes option c when it is a connection flag: 1 taken, 0 not a connection
 * flag, -1 a bad value (err says why). */
static int crm_flags_take(CrmFlags *f, int c, const char *arg, char *err, size_t errlen)
{
    long v;
    switch (c) {
    case CRM_O_CONFIG: f->config = arg; return 1;
    case CRM_O_SYSTEM: f->system = arg; return 1;
    case CRM_O_URL: f->url = arg; return 1;
    case CRM_O_API: f->api_version = arg; return 1;
    case CRM_O_TOKEN_ENV: f->token_env = arg; f->token_file = NULL; return 1;
    case CRM_O_TOKEN_FILE: f->token_file = arg; f->token_env = NULL; return 1;
    case CRM_O_PLAIN: f->plain_http = true; return 1;
    case CRM_O_VERBOSE: f->verbose = true; return 1;
    case CRM_O_TIMEOUT:
        if (!cli_parse_long(arg, 1, 3600000, &v)) {
            snprintf(err, errlen, "--timeout-ms '%s': milliseconds from 1 to 3600000", arg);
            return -1;
        }
        f->timeout_ms = v;
        return 1;
    case CRM_O_RETRIES:
        if (!cli_parse_long(arg, 1, 20, &v)) {
            snprintf(err, errlen, "--retries '%s': a number from 1 to 20", arg);
            return -1;
        }
        f->retries = (int)v;
        return 1;
    default:
        return 0;
    }
}

void crm_flags_begin(CrmFlags *f)
{
    memset(f, 0, sizeof *f);
    f->config = getenv("CRMMAP_CONFIG");
    opterr = 0;
    optind = 1;
}

int crm_flags_next(CrmFlags *f, int argc, char **argv, const char *shortopts, const struct option *opts,
                   char *err, size_t errlen)
{
    /* ':' first: a missing value is told from an unknown option (cli_option_error) */
    char so[32];
    int c, taken;
    snprintf(so, sizeof so, ":%s", shortopts);
    while ((c = getopt_long(argc, argv, so, opts, NULL)) != -1)
        if ((taken = crm_flags_take(f, c, optarg, err, errlen)) <= 0)
            return taken < 0 ? CRM_O_BAD : c;
    return -1;
}

/* The first 200 bytes of an answer, printable, for error messages. */
static void excerpt(const char *body, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < outlen && i < 200; i++)
        out[n++] = (body[i] >= ' ' && body[i] < 0x7f) ? body[i] : ' ';
    if (len > 200 && n + 4 < outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* What to do about a failure below HTTP. */
static const char *transport_help(TxError e)
{
    switch (e) {
    case TX_CONNECT:
        return "\n  help: check the URL (--url, or \"url\" in crmmap.json) and that the CRM is reachable from here";
    case TX_TLS:
        return "\n  help: no TLS connection: check that the URL's host and port speak HTTPS, that its certificate "
               "matches the host name, and the system's CA certificates";
    case TX_TIMEOUT:
        return "\n  help: the CRM did not answer in time; try again later or raise --timeout-ms";
    default:
        return "";
    }
}

/* GETs url with retries. Returns the parsed JSON (caller frees) and, through
 * *text, the raw answer; NULL after printing why. With missing, a 404 is
 * no error: NULL with *missing set, nothing printed. */
/* seen: what a good answer's headers say of the budget, or NULL. */
static cJSON *fetch(CrmLink *l, const char *url, const char *what, char **text, size_t *len, bool *missing,
                    RateSeen *seen)
{
    const char *hdr[8] = { "Accept: application/json" };
    size_t nhdr = 1;
    for (const char *const *h = l->vendor->pull.headers; h && *h && nhdr < sizeof hdr / sizeof *hdr; h++)
        hdr[nhdr++] = *h;
    TxRequest req = { "GET", url, hdr, nhdr, NULL, 0, NULL, false };
    TxResponse r;
    int attempts = 0;
    retry_send(l->tx, &req, &l->policy, retry_system_clock(), &r, &attempts);
    cJSON *json = NULL;
    char ex[256];
    if (r.error != TX_OK) {
        crm_link_fail(l, "%s: GET %s: %s (%s)%s%s", what, url, tx_error_name(r.error), r.message,
                      attempts > 1 ? ", after retries" : "", transport_help(r.error));
    } else if (r.status == 401 || r.status == 403) {
        excerpt(r.body, r.body_len, ex, sizeof ex);
        crm_link_fail(l, "%s: GET %s: the CRM refused the credentials (HTTP %d): %s\n"
                      "  help: check the token given with --token-env or --token-file, and that it has not expired",
                      what, url, r.status, ex);
    } else if (r.status == 404 && missing) {
        *missing = true;
    } else if (r.status == 404) {
        crm_link_fail(l, "%s: GET %s: not found (HTTP 404)\n"
                      "  help: check the entity name (case matters) and the URL and API version", what, url);
    } else if (r.status < 200 || r.status > 299) {
        excerpt(r.body, r.body_len, ex, sizeof ex);
        crm_link_fail(l, "%s: GET %s: HTTP %d%s: %s", what, url, r.status, attempts > 1 ? " after retries" : "", ex);
    } else if ((json = cJSON_ParseWithLength(r.body, r.body_len)) == NULL) {
        crm_link_fail(l, "%s: GET %s: the answer is not valid JSON (%zu bytes; truncated or not an API answer)",
                      what, url, r.body_len);
    } else {
        *text = r.body;
        *len = r.body_len;
        r.body = NULL;
        if (seen && l->vendor->rate_headers)
            l->vendor->rate_headers(&r, seen);
    }
    tx_response_clear(&r);
    return json;
}

static void base_url(const CrmLink *l, CmBuf *url)
{
    const char *base = l->cfg.url;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    cm_buf_put(url, base, n);
}

static void entity_url(const CrmLink *l, const char *name, CmBuf *url)
{
    base_url(l, url);
    l->vendor->pull.describe_url(url, conn_config_api_version(&l->cfg), name);
}

/* ---- users ---- */

typedef struct UserList {
    UsersFile *file;
    size_t cap;
} UserList;

/* A string member, or an integral number (some APIs number their users) as text. */
static const char *str_or_null(CmArena *a, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v) && v->valuedouble > -1e15 && v->valuedouble < 1e15
        && v->valuedouble == (double)(long long)v->valuedouble) {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)v->valuedouble);
        return cm_arena_strdup(a, text);
    }
    return cJSON_IsString(v) && v->valuestring[0] ? cm_arena_strdup(a, v->valuestring) : NULL;
}

static bool add_user(UserList *ul, const char *id, const char *email, const char *name, bool active)
{
    if (id == NULL)
        return false;
    if (ul->file->nusers == ul->cap) {
        ul->cap = ul->cap ? ul->cap * 2 : 64;
        ul->file->users = cm_realloc(ul->file->users, ul->cap * sizeof *ul->file->users);
    }
    ul->file->users[ul->file->nusers++] = (User){ .id = id, .email = email, .name = name, .active = active };
    return true;
}

/* A user's name: the vendor's full-name key, or first and last joined. */
static const char *user_name(CmArena *a, const CrmUserKeys *k, const cJSON *u)
{
    if (k->name)
        return str_or_null(a, u, k->name);
    const char *first = str_or_null(a, u, k->first), *last = str_or_null(a, u, k->last);
    if (!first || !last)
        return first ? first : last;
    size_t n = strlen(first) + strlen(last) + 2;
    char *both = cm_arena_alloc(a, n);
    snprintf(both, n, "%s %s", first, last);
    return both;
}

/* The next page's URL as the vendor pages (CrmPull.paging), or NULL. */
static const char *next_page(CrmLink *l, const cJSON *root, CmArena *a, const char *first)
{
    const CrmPull *pl = &l->vendor->pull;
    const char *next = NULL;
    CmBuf url = CM_BUF_INIT;
    switch (pl->paging) {
    case CRM_PAGE_NONE:
        break;
    case CRM_PAGE_PATH: {
        const char *more = str_or_null(a, root, pl->next_key);
        if (more && !(pl->done_key && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, pl->done_key)))) {
            base_url(l, &url);
            cm_buf_puts(&url, more);
            next = cm_arena_strdup(a, url.data);
        }
        break;
    }
    case CRM_PAGE_CURSOR: {
        const cJSON *cursor = root;
        for (const char *const *k = pl->cursor_path; *k; k++)
            cursor = cJSON_GetObjectItemCaseSensitive(cursor, *k);
        if (cJSON_IsString(cursor) && crm_plain_name(cursor->valuestring)) {
            cm_buf_printf(&url, "%s&%s=%s", first, pl->cursor_param, cursor->valuestring);
            next = cm_arena_strdup(a, url.data);
        }
        break;
    }
    case CRM_PAGE_URL:
        next = str_or_null(a, root, pl->next_key);
        break;
    }
    cm_buf_free(&url);
    return next;
}

/* Appends the users of one answer (a page) to ul; false when it is not a
 * list of users with ids. */
static bool read_users(const CrmVendor *v, const cJSON *root, UserList *ul)
{
    CmArena *a = &ul->file->arena;
    const CrmUserKeys *k = &v->pull.users;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, k->list);
    if (!cJSON_IsArray(list))
        return false;
    const cJSON *u;
    cJSON_ArrayForEach(u, list) {
        bool active = k->active ? cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, k->active))
                                : !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, k->inactive));
        if (!add_user(ul, str_or_null(a, u, k->id), str_or_null(a, u, k->email), user_name(a, k, u), active))
            return false;
    }
    return true;
}

static void users_init(UsersFile *file, const CrmVendor *v)
{
    memset(file, 0, sizeof *file);
    file->system = v->name;
    cm_arena_init(&file->arena, 4096);
}

bool crm_link_pull_users(CrmLink *l, UsersFile *file)
{
    users_init(file, l->vendor);
    UserList ul = { file, 0 };
    CmBuf url = CM_BUF_INIT;
    base_url(l, &url);
    l->vendor->pull.users_url(&url, conn_config_api_version(&l->cfg));
    const char *next = url.data;
    bool ok = true;
    for (int page = 0; ok && next != NULL; page++) {
        if (page == MAX_USER_PAGES) {
            crm_link_fail(l, "users: more than %d pages of users; stopping", MAX_USER_PAGES);
            ok = false;
            break;
        }
        char *text = NULL;
        size_t len = 0;
        cJSON *root = fetch(l, next, "users", &text, &len, NULL, NULL);
        if (root == NULL) {
            ok = false;
            break;
        }
        if (!read_users(l->vendor, root, &ul)) {
            crm_link_fail(l, "users: GET %s: the answer is not a list of users with ids", next);
            ok = false;
        } else {
            next = next_page(l, root, &file->arena, url.data);
        }
        cJSON_Delete(root);
        cm_free(text);
    }
    cm_buf_free(&url);
    return ok;
}

bool crm_link_read_users(const CrmVendor *v, const char *text, size_t len, UsersFile *file)
{
    users_init(file, v);
    UserList ul = { file, 0 };
    cJSON *root = cJSON_ParseWithLength(text, len);
    bool ok = root != NULL && read_users(v, root, &ul);
    cJSON_Delete(root);
    return ok;
}

void crm_link_users_free(UsersFile *u)
{
    cm_free(u->users);
    cm_arena_free(&u->arena);
    memset(u, 0, sizeof *u);
}

bool crm_link_quota(CrmLink *l, bool *offered, RateSeen *seen)
{
    rate_seen_init(seen);
    *offered = l->vendor->quota.url != NULL || l->vendor->quota.probe != NULL;
    if (!*offered)
        return false;
    CmBuf url = CM_BUF_INIT;
    base_url(l, &url);
    const char *version = l->cfg.api_version ? l->cfg.api_version : l->vendor->default_api_version;
    char *text = NULL;
    size_t len = 0;
    bool ok;
    if (l->vendor->quota.url == NULL) {
        /* the quota is in the headers of any answer */
        l->vendor->quota.probe(&url, version);
        cJSON *root = fetch(l, url.data, "the API budget", &text, &len, NULL, seen);
        ok = root != NULL;
        if (ok && seen->daily_max < 0 && seen->remaining < 0)
            crm_link_fail(l, "GET %s: the answer states no API budget in its headers\n  help: %s", url.data,
                          l->vendor->quota.help);
        ok = ok && (seen->daily_max >= 0 || seen->remaining >= 0);
        cJSON_Delete(root);
        cm_free(text);
        cm_buf_free(&url);
        return ok;
    }
    l->vendor->quota.url(&url, version);
    cJSON *root = fetch(l, url.data, "the org's limits", &text, &len, NULL, NULL);
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, l->vendor->quota.key);
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(q, l->vendor->quota.max);
    const cJSON *rem = cJSON_GetObjectItemCaseSensitive(q, l->vendor->quota.remaining);
    ok = cJSON_IsNumber(mx) && cJSON_IsNumber(rem);
    if (ok) {
        seen->daily_max = (int64_t)mx->valuedouble;
        seen->daily_remaining = (int64_t)rem->valuedouble;
    } else if (root) {
        crm_link_fail(l, "GET %s: the answer holds no %s {%s, %s}\n  help: %s", url.data, l->vendor->quota.key,
                      l->vendor->quota.max, l->vendor->quota.remaining, l->vendor->quota.help);
    }
    cJSON_Delete(root);
    cm_free(text);
    cm_buf_free(&url);
    return ok;
}

/* ---- field definitions ---- */

/* Downloads one metadata document and imports it (appending to es). A
 * document listing no attributes (an entity without option sets) adds
 * nothing. False after printing why. */
static bool pull_document(CrmLink *l, DiagSink *sink, const char *url, const char *entity, SchemaEntity ***es,
                          size_t *n, bool *missing)
{
    char *text = NULL;
    size_t len = 0;
    cJSON *root = fetch(l, url, entity, &text, &len, missing, NULL);
    if (root == NULL)
        return missing && *missing;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    bool empty = cJSON_IsArray(value) && cJSON_GetArraySize(value) == 0;
    cJSON_Delete(root);
    bool ok = true;
    if (!empty) {
        size_t before = *n;
        schema_import(sink, l->vendor->name, url, text, len, entity, es, n);
        if (diag_count(sink, DIAG_ERROR) > 0 || *n == before) {
            cli_render_diags(sink, DIAG_TEXT);
            crm_link_fail(l, "%s: the answer from %s is not field metadata the importer understands", entity, url);
            ok = false;
        }
    }
    cm_free(text);
    return ok;
}

/* The vendor's further documents of an entity (CrmPull.follow_ups:
 * Dataverse's option sets, keys and relationships): each merged into the
 * entity just imported. */
static bool pull_follow_ups(CrmLink *l, DiagSink *sink, const char *entity, SchemaEntity ***es, size_t *n)
{
    for (const char *const *f = l->vendor->pull.follow_ups; f && *f; f++) {
        CmBuf url = CM_BUF_INIT;
        if (l->vendor->pull.follow_up_url) {
            base_url(l, &url);
            l->vendor->pull.follow_up_url(&url, conn_config_api_version(&l->cfg), entity);
        } else {
            entity_url(l, entity, &url);
        }
        cm_buf_puts(&url, *f);
        size_t before = *n;
        bool ok = pull_document(l, sink, url.data, entity, es, n, NULL);
        cm_buf_free(&url);
        if (!ok)
            return false;
        if (*n == before + 1) {
            SchemaEntity *merged = schema_merge(sink, (*es)[before - 1], (*es)[before]);
            *n = before;
            (*es)[before - 1] = merged;
            if (merged == NULL) {
                cli_render_diags(sink, DIAG_TEXT);
                *n = before - 1;
                return false;
            }
        }
    }
    return true;
}

bool crm_link_pull_entity(CrmLink *l, DiagSink *sink, const char *entity, SchemaEntity ***es, size_t *n,
                          bool *missing)
{
    if (!crm_plain_name(entity)) {
        crm_link_fail(l, "the entity name '%s' cannot go into a URL: it must be letters, digits and '_'", entity);
        return false;
    }
    CmBuf url = CM_BUF_INIT;
    entity_url(l, entity, &url);
    size_t before = *n;
    if (missing)
        *missing = false;
    bool ok = pull_document(l, sink, url.data, entity, es, n, missing)
              && (*n == before || pull_follow_ups(l, sink, entity, es, n));
    cm_buf_free(&url);
    return ok;
}

/* ---- opening ---- */

/* The config file for a command on the mapping at path: given when not
 * NULL, else crmmap.json in the mapping's folder. */
static char *crm_config_path(const char *mapping, const char *given)
{
    if (given)
        return cm_strdup(given);
    const char *slash = strrchr(mapping, '/');
    CmBuf b = CM_BUF_INIT;
    if (slash)
        cm_buf_put(&b, mapping, (size_t)(slash - mapping) + 1);
    cm_buf_puts(&b, "crmmap.json");
    return cm_buf_take(&b);
}

void crm_flags_apply(const CrmFlags *f, ConnConfig *cfg)
{
    conn_config_apply_env(cfg);
    if (f->system)
        conn_config_set(&cfg->system, f->system);
    if (f->url)
        conn_config_set_url(cfg, f->url);
    if (f->api_version)
        conn_config_set(&cfg->api_version, f->api_version);
    if (f->token_env)
        conn_config_set_token_env(cfg, f->token_env);
    if (f->token_file)
        conn_config_set_token_file(cfg, f->token_file);
    cfg->plain_http = f->plain_http;
}

static int usage_fail(const CrmLink *l, const char *msg)
{
    fprintf(stderr, "%s: %s\n", l->who, msg);
    return EXIT_USAGE;
}

int crm_link_open(CrmLink *l, const char *who, const CrmFlags *f, const char *config_path, bool named,
                  const char *system_hint)
{
    memset(l, 0, sizeof *l);
    l->who = who;
    char err[1024];
    if (!conn_config_load(&l->cfg, config_path, named ? CONN_FILE_NAMED : CONN_FILE_DEFAULT, err, sizeof err))
        return crm_link_fail(l, "%s", err);
    crm_flags_apply(f, &l->cfg);
    if (l->cfg.system == NULL && system_hint)
        conn_config_set(&l->cfg.system, system_hint);
    if (l->cfg.system && (l->vendor = crm_vendor_find(l->cfg.system)) == NULL) {
        char names[200];
        crm_vendor_names(names, sizeof names, " or ");
        snprintf(err, sizeof err, "unknown system '%s' (%s)", l->cfg.system, names);
        return usage_fail(l, err);
    }
    if (system_hint && l->cfg.system && strcmp(system_hint, l->cfg.system) != 0)
        return crm_link_fail(l, "the connection is to %s but the mapping targets %s\n"
                             "  help: point the connection settings (crmmap.json, --config or CRMMAP_CONFIG) at "
                             "the %s instance", l->cfg.system, system_hint, system_hint);
    if (!conn_config_validate(&l->cfg, err, sizeof err))
        return usage_fail(l, err);
    /* Before any secret is read: the repository's crmmap.json sends nothing to a stranger. */
    if (!conn_config_check_hosts(&l->cfg, err, sizeof err))
        return crm_link_fail(l, "%s", err);
    if (!tx_url_allowed(l->cfg.url, l->cfg.plain_http, err, sizeof err))
        return crm_link_fail(l, "--url %s: %s", l->cfg.url, err);
    /* OAuth: the token endpoint obeys the same URL policy as the CRM. */
    if (conn_config_is_oauth(&l->cfg) && !tx_url_allowed(l->cfg.token_url, l->cfg.plain_http, err, sizeof err))
        return crm_link_fail(l, "token_url %s: %s", l->cfg.token_url, err);
    Auth *auth = auth_open(&l->cfg, NULL, err, sizeof err);
    if (auth == NULL)
        return crm_link_fail(l, "%s", err);
    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.total_timeout_ms = f->timeout_ms;
    opt.max_in_flight = f->max_in_flight;
    opt.allow_plain_http = l->cfg.plain_http;
    opt.bearer_token = auth_token(auth);
    opt.token_header = conn_config_token_header(&l->cfg);
    opt.verbose = f->verbose ? stderr : NULL;
    l->tx = tx_curl_new(&opt, err, sizeof err);
    if (l->tx && f->refresh) {
        auth_attach(auth, l->tx);
        l->auth = auth;
    } else {
        auth_close(auth);
    }
    if (l->tx == NULL)
        return crm_link_fail(l, "%s", err);
    l->policy = retry_policy_default();
    if (f->retries > 0)
        l->policy.max_attempts = f->retries;
    return EXIT_OK;
}

int crm_link_open_mapping(CrmLink *l, const char *who, const CrmFlags *f, const char *mapping, Mapc *m)
{
    uint32_t n;
    const char *sys = mapc_str(m, m->system, &n);
    char *system = cm_strndup(sys, n);
    char *config = crm_config_path(mapping, f->config);
    int status = crm_link_open(l, who, f, config, f->config != NULL, system);
    /* the file's params, then --param again: the flag wins */
    if (status == EXIT_OK && !param_cli_apply(m, mapping, (const char *const *)l->cfg.params, l->cfg.nparams, config))
        status = EXIT_USAGE;
    cm_free(config);
    cm_free(system);
    return status;
}

void crm_link_close(CrmLink *l)
{
    if (l->tx)
        tx_close(l->tx);
    l->tx = NULL;
    auth_close(l->auth);
    l->auth = NULL;
    conn_config_free(&l->cfg);
}
