/* schema_pull: download metadata documents and users from a CRM, normalize
 * them with the schema importers, write DIR/ENTITY.json and DIR/users.json.
 * Everything is fetched and checked before anything is written, so a failed
 * pull leaves DIR as it was. cJSON reads the users answers (CRM answers). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cli.h"
#include "cm_alloc.h"
#include "conn_config.h"
#include "retry.h"
#include "schema.h"
#include "schema_pull.h"
#include "transport.h"

#define MAX_ENTITIES 64
#define MAX_USER_PAGES 200      /* 200 pages of 500-2000 users: far beyond any org */

static const char schema_pull_usage[] =
    "Usage: crmmap schema pull --system S --url BASE [--entity NAME...] -o DIR\n"
    "         [--token-env VAR | --token-file FILE] [--config FILE] [--api-version V]\n"
    "         [--plain-http] [--timeout-ms N] [--retries N] [--no-users] [--verbose]\n"
    "\n"
    "Downloads the CRM's field definitions and writes DIR/ENTITY.json per entity\n"
    "and the CRM's users to DIR/users.json (docs/schema.md, docs/connections.md).\n"
    "  salesforce  sobjects/NAME/describe; users: SELECT ... FROM User\n"
    "              (default entities: Lead Contact Account)\n"
    "  hubspot     crm/v3/properties/NAME; users: crm/v3/owners (default: contacts)\n"
    "  dynamics    EntityDefinitions(LogicalName='NAME')/Attributes, and its\n"
    "              option sets (.../Attributes/Microsoft.Dynamics.CRM.Picklist-\n"
    "              and MultiSelectPicklistAttributeMetadata); users: systemusers\n"
    "              (default: contact lead account)\n"
    "Settings come from crmmap.json in the current directory (or --config), then\n"
    "CRMMAP_* variables, then flags. The token comes from --token-env VAR or\n"
    "--token-file FILE (mode 0600), never from a flag's value, or from an OAuth 2\n"
    "token endpoint (auth \"oauth2_client_credentials\" in crmmap.json).\n"
    "\n"
    "Options:\n"
    "  --system S        salesforce, hubspot or dynamics\n"
    "  --url BASE        the instance's base URL (https://; http:// to loopback\n"
    "                    only, with --plain-http)\n"
    "  --entity NAME     an entity to pull (repeatable)\n"
    "  -o DIR            output folder (created if missing)\n"
    "  --timeout-ms N    per-request time limit (default 120000)\n"
    "  --retries N       attempts per request, the first included (default 6)\n"
    "  --no-users        do not download users\n"
    "  --verbose         print each request (the token redacted)\n"
    "\n"
    "Exit status: 0 written, 2 usage, 4 connection, authentication, an error\n"
    "answer (401, 404, 5xx after retries) or an answer that is not valid metadata.\n";

typedef struct Pull {
    ConnConfig cfg;
    SchemaSystem sys;
    const char *entities[MAX_ENTITIES];
    size_t nentities;
    const char *dir;
    long timeout_ms;
    int retries;
    bool users;
    bool verbose;
    Transport *tx;
    RetryPolicy policy;
} Pull;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("crmmap schema pull: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_FATAL;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("crmmap schema pull: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    fputs(schema_pull_usage, stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* Entity names go into URL paths and file names: letters, digits, '_' only. */
static bool plain_name(const char *s)
{
    if (*s == '\0' || strlen(s) > 100)
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
    return true;
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

/* GETs url with retries. Returns the parsed JSON (caller frees) and, through
 * *text, the raw answer; NULL after printing why. */
static cJSON *fetch(Pull *p, const char *url, const char *what, char **text, size_t *len)
{
    const char *hdr[] = { "Accept: application/json", "OData-MaxVersion: 4.0", "OData-Version: 4.0" };
    TxRequest req = { "GET", url, hdr, p->sys == SYS_DYNAMICS ? 3 : 1, NULL, 0, NULL, false };
    TxResponse r;
    int attempts = 0;
    retry_send(p->tx, &req, &p->policy, retry_system_clock(), &r, &attempts);
    cJSON *json = NULL;
    char ex[256];
    if (r.error != TX_OK) {
        fail("%s: GET %s: %s (%s)%s", what, url, tx_error_name(r.error), r.message,
             attempts > 1 ? ", after retries" : "");
    } else if (r.status == 401 || r.status == 403) {
        excerpt(r.body, r.body_len, ex, sizeof ex);
        fail("%s: GET %s: the CRM refused the credentials (HTTP %d): %s\n"
             "help: check the token given with --token-env or --token-file, and that it has not expired",
             what, url, r.status, ex);
    } else if (r.status == 404) {
        fail("%s: GET %s: not found (HTTP 404)\n"
             "help: check the entity name (case matters) and the URL and API version", what, url);
    } else if (r.status < 200 || r.status > 299) {
        excerpt(r.body, r.body_len, ex, sizeof ex);
        fail("%s: GET %s: HTTP %d%s: %s", what, url, r.status, attempts > 1 ? " after retries" : "", ex);
    } else if ((json = cJSON_ParseWithLength(r.body, r.body_len)) == NULL) {
        fail("%s: GET %s: the answer is not valid JSON (%zu bytes; truncated or not an API answer)",
             what, url, r.body_len);
    } else {
        *text = r.body;
        *len = r.body_len;
        r.body = NULL;
    }
    tx_response_clear(&r);
    return json;
}

static void entity_url(const Pull *p, const char *name, CmBuf *url)
{
    const char *base = p->cfg.url;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    cm_buf_put(url, base, n);
    switch (p->sys) {
    case SYS_SALESFORCE:
        cm_buf_printf(url, "/services/data/%s/sobjects/%s/describe", conn_config_api_version(&p->cfg), name);
        break;
    case SYS_HUBSPOT:
        cm_buf_printf(url, "/crm/v3/properties/%s", name);
        break;
    default:
        cm_buf_printf(url, "/api/data/%s/EntityDefinitions(LogicalName='%s')/Attributes",
                      conn_config_api_version(&p->cfg), name);
        break;
    }
}

static void base_url(const Pull *p, CmBuf *url)
{
    const char *base = p->cfg.url;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    cm_buf_put(url, base, n);
}

/* ---- users ---- */

typedef struct UserList {
    UsersFile file;
    size_t cap;
} UserList;

static const char *str_or_null(CmArena *a, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring[0] ? cm_arena_strdup(a, v->valuestring) : NULL;
}

static bool add_user(UserList *ul, const char *id, const char *email, const char *name, bool active)
{
    if (id == NULL)
        return false;
    if (ul->file.nusers == ul->cap) {
        ul->cap = ul->cap ? ul->cap * 2 : 64;
        ul->file.users = cm_realloc(ul->file.users, ul->cap * sizeof *ul->file.users);
    }
    User *u = &ul->file.users[ul->file.nusers++];
    u->id = id;
    u->email = email;
    u->name = name;
    u->active = active;
    return true;
}

/* Reads one page of users; *next gets the next page's URL (arena) or NULL. */
static bool read_user_page(Pull *p, const cJSON *root, UserList *ul, const char **next)
{
    CmArena *a = &ul->file.arena;
    const char *list_key = p->sys == SYS_SALESFORCE ? "records" : p->sys == SYS_HUBSPOT ? "results" : "value";
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, list_key);
    *next = NULL;
    if (!cJSON_IsArray(list))
        return false;
    const cJSON *u;
    cJSON_ArrayForEach(u, list) {
        bool ok;
        if (p->sys == SYS_SALESFORCE) {
            ok = add_user(ul, str_or_null(a, u, "Id"), str_or_null(a, u, "Email"), str_or_null(a, u, "Name"),
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "IsActive")));
        } else if (p->sys == SYS_HUBSPOT) {
            const char *first = str_or_null(a, u, "firstName"), *last = str_or_null(a, u, "lastName");
            const char *name = first && last ? NULL : first ? first : last;
            if (first && last) {
                size_t n = strlen(first) + strlen(last) + 2;
                char *both = cm_arena_alloc(a, n);
                snprintf(both, n, "%s %s", first, last);
                name = both;
            }
            ok = add_user(ul, str_or_null(a, u, "id"), str_or_null(a, u, "email"), name,
                          !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "archived")));
        } else {
            ok = add_user(ul, str_or_null(a, u, "systemuserid"), str_or_null(a, u, "internalemailaddress"),
                          str_or_null(a, u, "fullname"),
                          !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "isdisabled")));
        }
        if (!ok)
            return false;
    }
    if (p->sys == SYS_SALESFORCE) {
        const char *more = str_or_null(a, root, "nextRecordsUrl");
        if (more && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "done"))) {
            CmBuf url = CM_BUF_INIT;
            base_url(p, &url);
            cm_buf_puts(&url, more);
            *next = cm_arena_strdup(a, url.data);
            cm_buf_free(&url);
        }
    } else if (p->sys == SYS_HUBSPOT) {
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "paging"), "next"), "after");
        if (cJSON_IsString(after) && plain_name(after->valuestring)) {
            CmBuf url = CM_BUF_INIT;
            base_url(p, &url);
            cm_buf_printf(&url, "/crm/v3/owners?limit=500&after=%s", after->valuestring);
            *next = cm_arena_strdup(a, url.data);
            cm_buf_free(&url);
        }
    } else {
        *next = str_or_null(a, root, "@odata.nextLink");
    }
    return true;
}

static bool pull_users(Pull *p, UserList *ul)
{
    CmBuf url = CM_BUF_INIT;
    base_url(p, &url);
    if (p->sys == SYS_SALESFORCE)
        cm_buf_printf(&url, "/services/data/%s/query?q=SELECT+Id,Email,Name,IsActive+FROM+User",
                      conn_config_api_version(&p->cfg));
    else if (p->sys == SYS_HUBSPOT)
        cm_buf_puts(&url, "/crm/v3/owners?limit=500");
    else
        cm_buf_printf(&url, "/api/data/%s/systemusers?$select=systemuserid,internalemailaddress,fullname,isdisabled",
                      conn_config_api_version(&p->cfg));
    const char *next = url.data;
    bool ok = true;
    for (int page = 0; ok && next != NULL; page++) {
        if (page == MAX_USER_PAGES) {
            fail("users: more than %d pages of users; stopping", MAX_USER_PAGES);
            ok = false;
            break;
        }
        char *text = NULL;
        size_t len = 0;
        cJSON *root = fetch(p, next, "users", &text, &len);
        if (root == NULL) {
            ok = false;
            break;
        }
        if (!read_user_page(p, root, ul, &next)) {
            fail("users: GET %s: the answer is not a list of users with ids", next ? next : url.data);
            ok = false;
        }
        cJSON_Delete(root);
        cm_free(text);
    }
    cm_buf_free(&url);
    return ok;
}

/* ---- output ---- */

/* mkdir -p: each missing component in turn. */
static bool make_dir(const char *dir)
{
    char *path = cm_strdup(dir);
    bool ok = true;
    for (char *p = path + 1; ok; p++) {
        bool last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        *p = '\0';
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                fail("'%s' exists and is not a folder", path);
                ok = false;
            }
        } else if (mkdir(path, 0777) != 0) {
            fail("cannot create the folder '%s': %s", path, strerror(errno));
            ok = false;
        }
        if (last)
            break;
        *p = '/';
    }
    cm_free(path);
    return ok;
}

/* Through a temporary file and a rename: never half a file. */
static bool write_atomically(const char *path, const CmBuf *text)
{
    CmBuf tmp = CM_BUF_INIT;
    cm_buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp.data, "wb");
    bool ok = f != NULL && fwrite(text->data, 1, text->len, f) == text->len;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp.data, path) != 0)
        ok = false;
    if (!ok) {
        fail("cannot write '%s': %s", path, strerror(errno));
        remove(tmp.data);
    }
    cm_buf_free(&tmp);
    return ok;
}

static int write_all(const Pull *p, SchemaEntity **es, size_t n, const UserList *ul)
{
    if (!make_dir(p->dir))
        return EXIT_FATAL;
    for (size_t i = 0; i < n; i++) {
        if (!plain_name(es[i]->name))
            return fail("the CRM named an entity '%s', which cannot be a file name", es[i]->name);
        CmBuf path = CM_BUF_INIT, text = CM_BUF_INIT;
        cm_buf_printf(&path, "%s/%s.json", p->dir, es[i]->name);
        schema_write(es[i], &text);
        bool ok = write_atomically(path.data, &text);
        if (ok)
            printf("%s: %zu fields\n", path.data, es[i]->nfields);
        cm_buf_free(&path);
        cm_buf_free(&text);
        if (!ok)
            return EXIT_FATAL;
    }
    if (p->users) {
        CmBuf path = CM_BUF_INIT, text = CM_BUF_INIT;
        cm_buf_printf(&path, "%s/users.json", p->dir);
        users_write(&ul->file, &text);
        bool ok = write_atomically(path.data, &text);
        if (ok)
            printf("%s: %zu users\n", path.data, ul->file.nusers);
        cm_buf_free(&path);
        cm_buf_free(&text);
        if (!ok)
            return EXIT_FATAL;
    }
    return EXIT_OK;
}

/* ---- the command ---- */

/* Downloads one metadata document and imports it (appending to es). A
 * document listing no attributes (an entity without option sets) adds
 * nothing. False after printing why. */
static bool pull_document(Pull *p, DiagSink *sink, const char *url, const char *entity, SchemaEntity ***es,
                          size_t *n)
{
    char *text = NULL;
    size_t len = 0;
    cJSON *root = fetch(p, url, entity, &text, &len);
    if (root == NULL)
        return false;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    bool empty = cJSON_IsArray(value) && cJSON_GetArraySize(value) == 0;
    cJSON_Delete(root);
    bool ok = true;
    if (!empty) {
        size_t before = *n;
        schema_import(sink, p->sys, url, text, len, entity, es, n);
        if (diag_count(sink, DIAG_ERROR) > 0 || *n == before) {
            cli_render_diags(sink, DIAG_TEXT);
            fail("%s: the answer from %s is not field metadata the importer understands", entity, url);
            ok = false;
        }
    }
    cm_free(text);
    return ok;
}

/* Dataverse lists option sets only under a type cast of the attributes:
 * fetch them and merge their values into the entity just imported. */
static bool pull_option_sets(Pull *p, DiagSink *sink, const char *entity, SchemaEntity ***es, size_t *n)
{
    static const char *const casts[] = { "PicklistAttributeMetadata", "MultiSelectPicklistAttributeMetadata" };
    for (size_t i = 0; i < sizeof casts / sizeof *casts; i++) {
        CmBuf url = CM_BUF_INIT;
        entity_url(p, entity, &url);
        cm_buf_printf(&url, "/Microsoft.Dynamics.CRM.%s?$select=LogicalName&$expand=OptionSet", casts[i]);
        size_t before = *n;
        bool ok = pull_document(p, sink, url.data, entity, es, n);
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

static int pull(Pull *p)
{
    DiagSink *sink = diag_sink_new();
    SchemaEntity **es = NULL;
    size_t n = 0;
    int status = EXIT_OK;
    for (size_t i = 0; i < p->nentities && status == EXIT_OK; i++) {
        CmBuf url = CM_BUF_INIT;
        entity_url(p, p->entities[i], &url);
        if (!pull_document(p, sink, url.data, p->entities[i], &es, &n)
            || (p->sys == SYS_DYNAMICS && !pull_option_sets(p, sink, p->entities[i], &es, &n)))
            status = EXIT_FATAL;
        cm_buf_free(&url);
    }
    UserList ul;
    memset(&ul, 0, sizeof ul);
    ul.file.system = schema_system_name(p->sys);
    cm_arena_init(&ul.file.arena, 4096);
    if (status == EXIT_OK && p->users && !pull_users(p, &ul))
        status = EXIT_FATAL;
    if (status == EXIT_OK)
        status = write_all(p, es, n, &ul);
    for (size_t i = 0; i < n; i++)
        schema_free(es[i]);
    cm_free(es);
    cm_free(ul.file.users);
    cm_arena_free(&ul.file.arena);
    diag_sink_free(sink);
    return status;
}

static void default_entities(Pull *p)
{
    static const char *const sf[] = { "Lead", "Contact", "Account" };
    static const char *const hs[] = { "contacts" };
    static const char *const dyn[] = { "contact", "lead", "account" };
    const char *const *list = p->sys == SYS_SALESFORCE ? sf : p->sys == SYS_HUBSPOT ? hs : dyn;
    size_t n = p->sys == SYS_SALESFORCE ? 3 : p->sys == SYS_HUBSPOT ? 1 : 3;
    for (size_t i = 0; i < n; i++)
        p->entities[p->nentities++] = list[i];
}

static int connect_and_pull(Pull *p)
{
    char err[400];
    if (!conn_config_validate(&p->cfg, err, sizeof err))
        return usage("%s", err);
    if (!tx_url_allowed(p->cfg.url, p->cfg.plain_http, err, sizeof err))
        return fail("--url %s: %s", p->cfg.url, err);
    /* OAuth: the token endpoint obeys the same URL policy as the CRM. */
    if (conn_config_is_oauth(&p->cfg) && !tx_url_allowed(p->cfg.token_url, p->cfg.plain_http, err, sizeof err))
        return fail("token_url %s: %s", p->cfg.token_url, err);
    Auth *auth = auth_open(&p->cfg, NULL, err, sizeof err);
    if (auth == NULL)
        return fail("%s", err);
    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.total_timeout_ms = p->timeout_ms;
    opt.allow_plain_http = p->cfg.plain_http;
    opt.bearer_token = auth_token(auth);
    opt.verbose = p->verbose ? stderr : NULL;
    p->tx = tx_curl_new(&opt, err, sizeof err);
    auth_close(auth);
    if (p->tx == NULL)
        return fail("%s", err);
    p->policy = retry_policy_default();
    if (p->retries > 0)
        p->policy.max_attempts = p->retries;
    int status = pull(p);
    tx_close(p->tx);
    return status;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int schema_pull_main(int argc, char **argv)
{
    enum { O_SYSTEM = 256, O_URL, O_ENTITY, O_CONFIG, O_TOKEN_ENV, O_TOKEN_FILE, O_API, O_PLAIN, O_TIMEOUT,
           O_RETRIES, O_NO_USERS, O_VERBOSE };
    static const struct option opts[] = {
        { "system", required_argument, NULL, O_SYSTEM },
        { "url", required_argument, NULL, O_URL },
        { "entity", required_argument, NULL, O_ENTITY },
        { "output", required_argument, NULL, 'o' },
        { "config", required_argument, NULL, O_CONFIG },
        { "token-env", required_argument, NULL, O_TOKEN_ENV },
        { "token-file", required_argument, NULL, O_TOKEN_FILE },
        { "api-version", required_argument, NULL, O_API },
        { "plain-http", no_argument, NULL, O_PLAIN },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "retries", required_argument, NULL, O_RETRIES },
        { "no-users", no_argument, NULL, O_NO_USERS },
        { "verbose", no_argument, NULL, O_VERBOSE },
        { NULL, 0, NULL, 0 },
    };
    Pull p;
    memset(&p, 0, sizeof p);
    p.users = true;
    /* Flags are applied after the config file and environment: collect them first. */
    const char *config = getenv("CRMMAP_CONFIG"), *system = NULL, *url = NULL, *api = NULL;
    const char *token_env = NULL, *token_file = NULL;
    bool plain = false;
    long v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case O_SYSTEM: system = optarg; break;
        case O_URL: url = optarg; break;
        case O_ENTITY:
            if (!plain_name(optarg))
                return usage("--entity '%s': an entity name is letters, digits and '_'", optarg);
            if (p.nentities == MAX_ENTITIES)
                return usage("%s", "too many --entity options");
            p.entities[p.nentities++] = optarg;
            break;
        case 'o': p.dir = optarg; break;
        case O_CONFIG: config = optarg; break;
        case O_TOKEN_ENV: token_env = optarg; token_file = NULL; break;
        case O_TOKEN_FILE: token_file = optarg; token_env = NULL; break;
        case O_API: api = optarg; break;
        case O_PLAIN: plain = true; break;
        case O_TIMEOUT:
            if (!parse_long(optarg, 1, 3600000, &v))
                return usage("--timeout-ms '%s': milliseconds from 1 to 3600000", optarg);
            p.timeout_ms = v;
            break;
        case O_RETRIES:
            if (!parse_long(optarg, 1, 20, &v))
                return usage("--retries '%s': a number from 1 to 20", optarg);
            p.retries = (int)v;
            break;
        case O_NO_USERS: p.users = false; break;
        case O_VERBOSE: p.verbose = true; break;
        default:
            return usage("unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage("unexpected argument '%s'", argv[optind]);
    if (p.dir == NULL)
        return usage("%s", "pull needs -o DIR");

    char err[400];
    bool must_exist = config != NULL;
    if (!conn_config_load(&p.cfg, config ? config : "crmmap.json", must_exist, err, sizeof err)) {
        conn_config_free(&p.cfg);
        return fail("%s", err);
    }
    conn_config_apply_env(&p.cfg);
    if (system)
        conn_config_set(&p.cfg.system, system);
    if (url)
        conn_config_set(&p.cfg.url, url);
    if (api)
        conn_config_set(&p.cfg.api_version, api);
    if (token_env)
        conn_config_set_token_env(&p.cfg, token_env);
    if (token_file)
        conn_config_set_token_file(&p.cfg, token_file);
    p.cfg.plain_http = plain;

    int status;
    if (p.cfg.system && (!schema_system_parse(p.cfg.system, &p.sys) || p.sys == SYS_SNAPADDY)) {
        status = usage("unknown system '%s' (salesforce, hubspot or dynamics)", p.cfg.system);
    } else {
        if (p.nentities == 0 && p.cfg.system)
            default_entities(&p);
        status = connect_and_pull(&p);
    }
    conn_config_free(&p.cfg);
    return status;
}
