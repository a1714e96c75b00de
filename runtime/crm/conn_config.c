/* conn_config: the connection config file, its overrides, and the token. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "conn_config.h"
#include "crm_vendor.h"
#include "numtext.h"
#include "transport.h"
#include "vendor_hosts.h"

#define CONFIG_MAX_BYTES (64 * 1024)
#define TOKEN_MAX_BYTES (16 * 1024)

/* Through a volatile pointer, so clearing a secret before free is not optimised away. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

void conn_config_set(char **field, const char *value)
{
    cm_free(*field);
    *field = value ? cm_strdup(value) : NULL;
}

void conn_config_set_url(ConnConfig *c, const char *url)
{
    conn_config_set(&c->url, url);
    conn_config_set(&c->url_at, NULL);
}

void conn_config_set_token_env(ConnConfig *c, const char *var)
{
    conn_config_set(&c->token_env, var);
    conn_config_set(&c->token_file, NULL);
}

void conn_config_set_token_file(ConnConfig *c, const char *path)
{
    conn_config_set(&c->token_file, path);
    conn_config_set(&c->token_env, NULL);
}

/* Reads at most max bytes of an open descriptor; NULL when larger. */
static char *read_fd(int fd, size_t max, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = cm_malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                cm_free(buf);
                return NULL;
            }
            cap *= 2;
            buf = cm_realloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cm_free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            cm_free(buf);
            return NULL;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void error_position(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* p at a string's opening quote: the character after its closing quote. */
static const char *skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

static int hex_digit(char h)
{
    if (h >= '0' && h <= '9')
        return h - '0';
    if (h >= 'a' && h <= 'f')
        return h - 'a' + 10;
    return h >= 'A' && h <= 'F' ? h - 'A' + 10 : 0;
}

/* Whether the JSON string from p (its opening quote) to end (after the
 * closing one) spells key, escapes decoded as cJSON decodes them. */
static bool string_is(const char *p, const char *end, const char *key)
{
    for (const char *q = p + 1; q < end - 1;) {
        int ch = (unsigned char)*q++;
        if (ch == '\\') {
            char e = *q++;
            if (e == 'u' && end - 1 - q >= 4) {
                ch = (hex_digit(q[0]) << 12) | (hex_digit(q[1]) << 8) | (hex_digit(q[2]) << 4) | hex_digit(q[3]);
                q += 4;
            } else {
                ch = e == '"' || e == '\\' || e == '/' ? e : -1;
            }
        }
        if (*key == '\0' || ch != (unsigned char)*key)
            return false;
        key++;
    }
    return *key == '\0';
}

/* Where the value of key starts in text, a flat object of strings cJSON has
 * accepted (cJSON keeps no positions); NULL when the key is not there. */
static const char *value_position(const char *text, const char *key)
{
    const char *p = skip_space(text);
    if (*p != '{')
        return NULL;
    p = skip_space(p + 1);
    while (*p == '"') {
        const char *k = p;
        p = skip_string(p);
        bool hit = string_is(k, p, key);
        p = skip_space(p);
        if (*p != ':')
            return NULL;
        p = skip_space(p + 1);
        if (hit)
            return p;
        p = skip_space(skip_string(p));
        if (*p != ',')
            return NULL;
        p = skip_space(p + 1);
    }
    return NULL;
}

/* Notes where a default file set each URL (c->*_at), or that a named file
 * set it (NULL). */
static void note_url_positions(ConnConfig *c, const cJSON *root, const char *text, const char *path,
                               ConnFileKind kind)
{
    static const char *const keys[] = { "url", "token_url", "audience" };
    char **at[] = { &c->url_at, &c->token_url_at, &c->audience_at };
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        if (!cJSON_GetObjectItemCaseSensitive(root, keys[k]))
            continue;
        conn_config_set(at[k], NULL);
        if (kind != CONN_FILE_DEFAULT)
            continue;
        const char *v = value_position(text, keys[k]);
        int line = 0, col = 0;
        if (v)
            error_position(text, v, &line, &col);
        CmBuf b = CM_BUF_INIT;
        if (v)
            cm_buf_printf(&b, "%s:%d:%d", path, line, col);
        else
            cm_buf_printf(&b, "%s: key \"%s\"", path, keys[k]);
        *at[k] = cm_buf_take(&b);
    }
}

static const char *const config_keys[] = {
    "system", "url", "api_version", "auth", "token_env", "token_file",
    "token_url", "client_id", "client_secret_env", "client_secret_file", "scope",
    "username", "private_key_file", "audience", "marker_field",
};

static void free_params(ConnConfig *c)
{
    for (size_t i = 0; i < 2 * c->nparams; i++)
        cm_free(c->params[i]);
    cm_free(c->params);
    c->params = NULL;
    c->nparams = 0;
}

/* "params": an object of strings, numbers and booleans, kept as text for
 * the mapping's params to read as their types. */
static bool read_params(ConnConfig *c, const cJSON *v, const char *path, char *err, size_t errlen)
{
    if (!cJSON_IsObject(v)) {
        snprintf(err, errlen, "%s: 'params' must be an object of param names to values", path);
        return false;
    }
    free_params(c);
    c->params = cm_calloc(2 * (size_t)cJSON_GetArraySize(v) + 1, sizeof *c->params);
    for (const cJSON *it = v->child; it; it = it->next) {
        char num[NUMTEXT_MAX];
        const char *text = cJSON_IsString(it) ? it->valuestring : cJSON_IsTrue(it) ? "true"
                         : cJSON_IsFalse(it) ? "false" : NULL;
        if (cJSON_IsNumber(it)) {
            numtext_format(it->valuedouble, num);
            text = num;
        }
        if (text == NULL || cJSON_GetObjectItemCaseSensitive(v, it->string) != it) {
            snprintf(err, errlen, "%s: params: '%.60s' %s", path, it->string,
                     text ? "appears twice" : "must be a string, a number, true or false");
            return false;
        }
        c->params[2 * c->nparams] = cm_strdup(it->string);
        c->params[2 * c->nparams++ + 1] = cm_strdup(text);
    }
    return true;
}

/* "fetch_allow": more hosts files may be fetched from (fetch.h). */
static bool read_fetch_allow(ConnConfig *c, const cJSON *v, const char *path, char *err, size_t errlen)
{
    char why[200];
    if (!cJSON_IsArray(v)) {
        snprintf(err, errlen, "%s: 'fetch_allow' must be an array of host names", path);
        return false;
    }
    fetch_policy_free(&c->fetch);
    for (const cJSON *it = v->child; it; it = it->next) {
        if (!cJSON_IsString(it) || !fetch_policy_allow(&c->fetch, it->valuestring, why, sizeof why)) {
            snprintf(err, errlen, "%s: fetch_allow: %s", path, cJSON_IsString(it) ? why : "each entry must be a string");
            return false;
        }
    }
    return true;
}

/* The keys whose value is no string, each with its reader. */
typedef struct KeyReader {
    const char *key;
    bool (*read)(ConnConfig *c, const cJSON *v, const char *path, char *err, size_t errlen);
} KeyReader;

static const KeyReader *key_reader(const char *key)
{
    static const KeyReader readers[] = { { "params", read_params }, { "fetch_allow", read_fetch_allow } };
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
        if (strcmp(key, readers[i].key) == 0)
            return &readers[i];
    return NULL;
}

static bool read_keys(ConnConfig *c, const cJSON *root, const char *path, char *err, size_t errlen)
{
    char **fields[] = { &c->system, &c->url, &c->api_version, &c->auth, &c->token_env, &c->token_file,
                        &c->token_url, &c->client_id, &c->client_secret_env, &c->client_secret_file, &c->scope,
                        &c->username, &c->private_key_file, &c->audience, &c->marker_field };
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "%s: the config must be a JSON object", path);
        return false;
    }
    for (const cJSON *it = root->child; it; it = it->next) {
        size_t k = 0;
        const KeyReader *r = key_reader(it->string);
        if (r) {
            if (cJSON_GetObjectItemCaseSensitive(root, it->string) != it) {
                snprintf(err, errlen, "%s: key '%s' appears twice", path, it->string);
                return false;
            }
            if (!r->read(c, it, path, err, errlen))
                return false;
            continue;
        }
        while (k < sizeof config_keys / sizeof *config_keys && strcmp(it->string, config_keys[k]) != 0)
            k++;
        if (k == sizeof config_keys / sizeof *config_keys) {
            snprintf(err, errlen, "%s: unknown key '%.60s' (known: system, url, api_version, auth, token_env, "
                     "token_file, token_url, client_id, client_secret_env, client_secret_file, scope, username, "
                     "private_key_file, audience, marker_field, params, fetch_allow)", path, it->string);
            return false;
        }
        if (cJSON_GetObjectItemCaseSensitive(root, it->string) != it) {
            snprintf(err, errlen, "%s: key '%s' appears twice", path, it->string);
            return false;
        }
        if (!cJSON_IsString(it) || it->valuestring[0] == '\0') {
            snprintf(err, errlen, "%s: '%s' must be a non-empty string", path, it->string);
            return false;
        }
    }
    for (size_t k = 0; k < sizeof config_keys / sizeof *config_keys; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, config_keys[k]);
        if (v)
            conn_config_set(fields[k], v->valuestring);
    }
    if (c->token_env && c->token_file) {
        snprintf(err, errlen, "%s: give token_env or token_file, not both", path);
        return false;
    }
    if (c->client_secret_env && c->client_secret_file) {
        snprintf(err, errlen, "%s: give client_secret_env or client_secret_file, not both", path);
        return false;
    }
    if (c->marker_field && !conn_plain_name(c->marker_field)) {
        snprintf(err, errlen, "%s: marker_field '%.60s' is not a field name (letters, digits, '_')", path,
                 c->marker_field);
        return false;
    }
    return true;
}

bool conn_config_load(ConnConfig *c, const char *path, ConnFileKind kind, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT && kind == CONN_FILE_DEFAULT)
            return true;
        snprintf(err, errlen, "%s: cannot open the config: %s", path, strerror(errno));
        return false;
    }
    size_t len = 0;
    char *text = read_fd(fd, CONFIG_MAX_BYTES, &len);
    close(fd);
    if (text == NULL) {
        snprintf(err, errlen, "%s: cannot read the config (unreadable or over %d bytes)", path, CONFIG_MAX_BYTES);
        return false;
    }
    const char *end = NULL;
    /* len + 1: cJSON wants the terminating NUL inside the length to check nothing follows. */
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
    bool ok;
    if (root == NULL) {
        int line, col;
        error_position(text, end ? end : text, &line, &col);
        snprintf(err, errlen, "%s:%d:%d: the config is not valid JSON", path, line, col);
        ok = false;
    } else {
        ok = read_keys(c, root, path, err, errlen);
        if (ok)
            note_url_positions(c, root, text, path, kind);
    }
    cJSON_Delete(root);
    cm_free(text);
    return ok;
}

void conn_config_apply_env(ConnConfig *c)
{
    const char *v;
    if ((v = getenv("CRMMAP_URL")) && *v)
        conn_config_set_url(c, v);
    if ((v = getenv("CRMMAP_API_VERSION")) && *v)
        conn_config_set(&c->api_version, v);
    if ((v = getenv("CRMMAP_TOKEN_ENV")) && *v)
        conn_config_set_token_env(c, v);
    if ((v = getenv("CRMMAP_TOKEN_FILE")) && *v)
        conn_config_set_token_file(c, v);
}

const char *conn_config_api_version(const ConnConfig *c)
{
    if (c->api_version)
        return c->api_version;
    const CrmVendor *v = crm_vendor_find(c->system);
    return v ? v->default_api_version : "v3";
}

bool conn_config_validate(const ConnConfig *c, char *err, size_t errlen)
{
    if (c->system == NULL) {
        snprintf(err, errlen, "no CRM system given (--system or \"system\" in crmmap.json)");
        return false;
    }
    if (crm_vendor_find(c->system) == NULL) {
        char names[200];
        crm_vendor_names(names, sizeof names, " or ");
        snprintf(err, errlen, "unknown system '%.40s' (%s)", c->system, names);
        return false;
    }
    if (c->url == NULL) {
        snprintf(err, errlen, "no CRM base URL given (--url, CRMMAP_URL or \"url\" in crmmap.json)");
        return false;
    }
    bool jwt = conn_config_is_jwt(c);
    if (c->auth && strcmp(c->auth, "bearer") != 0 && !conn_config_is_oauth(c) && !jwt
        && conn_config_token_header(c) == NULL) {
        CmBuf kinds = CM_BUF_INIT;
        for (const CrmVendor *const *v = crm_vendors(); *v; v++) {
            if ((*v)->jwt_auth)
                cm_buf_printf(&kinds, ", \"%s\"", (*v)->jwt_auth);
            if ((*v)->key_auth.kind)
                cm_buf_printf(&kinds, ", \"%s\" (%s)", (*v)->key_auth.kind, (*v)->name);
        }
        snprintf(err, errlen, "auth kind '%.40s' is not supported (\"bearer\", \"oauth2_client_credentials\"%s)",
                 c->auth, kinds.data ? kinds.data : "");
        cm_buf_free(&kinds);
        return false;
    }
    if (jwt && (c->token_url == NULL || c->client_id == NULL || c->username == NULL || c->private_key_file == NULL)) {
        snprintf(err, errlen, "auth \"%s\" needs token_url, client_id, username and private_key_file", c->auth);
        return false;
    }
    if (conn_config_is_oauth(c) && (c->token_url == NULL || c->client_id == NULL
                                    || (c->client_secret_env == NULL && c->client_secret_file == NULL))) {
        snprintf(err, errlen, "auth \"oauth2_client_credentials\" needs token_url, client_id and "
                              "client_secret_env or client_secret_file");
        return false;
    }
    return true;
}

bool conn_config_is_jwt(const ConnConfig *c)
{
    return crm_auth_is_jwt(c->auth);
}

const char *conn_config_token_header(const ConnConfig *c)
{
    const CrmVendor *v = c->system ? crm_vendor_find(c->system) : NULL;
    return v && v->key_auth.kind && c->auth && strcmp(c->auth, v->key_auth.kind) == 0 ? v->key_auth.header : NULL;
}

bool conn_config_is_oauth(const ConnConfig *c)
{
    return c->auth && strcmp(c->auth, "oauth2_client_credentials") == 0;
}

/* Host names come from the user's file, for a message: printable ASCII only. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
            *s = '?';
}

bool conn_config_check_hosts(const ConnConfig *c, char *err, size_t errlen)
{
    const struct { const char *key, *value, *at; } urls[] = {
        { "url", c->url, c->url_at },
        { "token_url", c->token_url, c->token_url_at },
        { "audience", c->audience, c->audience_at },
    };
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        if (urls[i].at == NULL || urls[i].value == NULL)
            continue;
        char host[256], why[200], hosts[400];
        bool parsed = tx_url_host(urls[i].value, host, sizeof host, why, sizeof why);
        if (parsed && (tx_host_is_loopback(host) || vendor_host_ok(c->system, host)))
            continue;
        vendor_hosts_text(c->system, hosts, sizeof hosts);
        CmBuf b = CM_BUF_INIT;
        cm_buf_printf(&b, "%s: \"%s\" ", urls[i].at, urls[i].key);
        if (parsed) {
            printable(host);
            cm_buf_printf(&b, "names the host %s, not one of %s's (%s) or loopback", host,
                          c->system ? c->system : "the CRM", hosts[0] ? hosts : "none known");
        } else {
            cm_buf_printf(&b, "is not a URL whose host can be checked (%s)", why);
        }
        const char *how = i == 0 ? "give this URL from outside the repository (--url BASE or CRMMAP_URL), or"
                                 : "for this host,";
        cm_buf_printf(&b, ": a config file found by default (not named with --config or CRMMAP_CONFIG) comes with "
                          "the repository, and may not send credentials or records to other hosts\n"
                          "  help: %s name a config file outside the repository with --config FILE or "
                          "CRMMAP_CONFIG (docs/connections.md)", how);
        snprintf(err, errlen, "%s", b.data);
        cm_buf_free(&b);
        return false;
    }
    return true;
}

/* A token goes into an HTTP header: no control characters, no spaces inside. */
static char *checked_token(char *t, const char *where, char *err, size_t errlen)
{
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = '\0';
    if (n == 0) {
        snprintf(err, errlen, "%s is empty", where);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (ch <= ' ' || ch == 0x7f) {
            snprintf(err, errlen, "%s holds a space or control character: a token is one line without spaces", where);
            goto fail;
        }
    }
    return t;
fail:
    wipe(t, 0, n);
    cm_free(t);
    return NULL;
}

/* Whether path names a file directly in $CREDENTIALS_DIRECTORY: systemd's
 * LoadCredential= copies a secret there for a service (DynamicUser= has no
 * files of its own) as root, mode 0400, and lets the service's user read it
 * by an ACL entry, whose mask stat shows as the group bits (0440). Only that
 * user and root can enter the directory, so there group bits and root's
 * ownership expose nothing. */
static bool systemd_credential(const char *path)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    size_t n = dir ? strlen(dir) : 0;
    return n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0'
           && strchr(path + n + 1, '/') == NULL;
}

/* Whether a secret file's owner and mode keep it to us, PostgreSQL's rule
 * for its TLS key: a file of our own user is 0600 (or stricter); a file of
 * root may also be read by its group (root:crmmap 0640, as packages install
 * secrets for a service user) when we are not root, so that the group is
 * how we read it, and so may a systemd credential. Nothing for others, no
 * group write, no other owner. NULL when fine, else the reason. */
static const char *secret_mode_refused(const struct stat *st, bool credential)
{
    uid_t me = geteuid();
    if (st->st_uid != me && st->st_uid != 0)
        return "belongs to another user";
    bool group_read = credential || (st->st_uid == 0 && me != 0);
    if ((st->st_mode & (group_read ? 027 : 077)) != 0)
        return group_read ? "is writable by its group or accessible to others" : "is readable by group or others";
    return NULL;
}

/* A secret file's whole text: a regular file (a symbolic link is followed,
 * certbot's live/ names are links: the file it reaches is checked) whose
 * owner and mode keep it private (secret_mode_refused), without NUL bytes. */
static char *secure_read(const char *path, const char *what, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s file %s: %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s file %s is not a regular file", what, path);
        return NULL;
    }
    const char *refused = secret_mode_refused(&st, systemd_credential(path));
    if (refused) {
        close(fd);
        snprintf(err, errlen, "%s file %s %s (mode %04o, owner uid %u): run chmod 600 %s as its owner (or, for a "
                 "service user, chown root:GROUP and chmod 640)", what, path, refused, (unsigned)(st.st_mode & 07777),
                 (unsigned)st.st_uid, path);
        return NULL;
    }
    size_t len = 0;
    char *t = read_fd(fd, TOKEN_MAX_BYTES, &len);
    close(fd);
    if (t == NULL) {
        snprintf(err, errlen, "%s file %s cannot be read or is over %d bytes", what, path, TOKEN_MAX_BYTES);
        return NULL;
    }
    if (strlen(t) != len) {
        wipe(t, 0, len);
        cm_free(t);
        snprintf(err, errlen, "%s file %s holds a NUL byte", what, path);
        return NULL;
    }
    return t;
}

char *conn_secret_file_text(const char *path, const char *what, char *err, size_t errlen)
{
    err[0] = '\0';
    return secure_read(path, what, err, errlen);
}

static char *token_from_file(const char *path, const char *what, char *err, size_t errlen)
{
    char *t = secure_read(path, what, err, errlen);
    if (t == NULL)
        return NULL;
    char where[300];
    snprintf(where, sizeof where, "%s file %.200s", what, path);
    return checked_token(t, where, err, errlen);
}

char *conn_private_key_load(const ConnConfig *c, char *err, size_t errlen)
{
    err[0] = '\0';
    if (c->private_key_file == NULL) {
        snprintf(err, errlen, "no private_key_file configured");
        return NULL;
    }
    return secure_read(c->private_key_file, "private key", err, errlen);
}

static char *secret_load(const char *env, const char *file, const char *what, char *err, size_t errlen)
{
    err[0] = '\0';
    if (file)
        return token_from_file(file, what, err, errlen);
    if (env == NULL)
        return NULL;
    const char *v = getenv(env);
    if (v == NULL || *v == '\0') {
        snprintf(err, errlen, "environment variable %.100s (the %s) is not set or empty", env, what);
        return NULL;
    }
    if (strlen(v) > TOKEN_MAX_BYTES) {
        snprintf(err, errlen, "environment variable %.100s is over %d bytes", env, TOKEN_MAX_BYTES);
        return NULL;
    }
    char where[160];
    snprintf(where, sizeof where, "environment variable %.100s", env);
    return checked_token(cm_strdup(v), where, err, errlen);
}

char *conn_token_load(const ConnConfig *c, char *err, size_t errlen)
{
    return secret_load(c->token_env, c->token_file, "token", err, errlen);
}

char *conn_secret_load(const ConnConfig *c, char *err, size_t errlen)
{
    return secret_load(c->client_secret_env, c->client_secret_file, "client secret", err, errlen);
}

void conn_token_free(char *token)
{
    if (token) {
        wipe(token, 0, strlen(token));
        cm_free(token);
    }
}

void conn_config_free(ConnConfig *c)
{
    free_params(c);
    fetch_policy_free(&c->fetch);
    cm_free(c->system);
    cm_free(c->url);
    cm_free(c->api_version);
    cm_free(c->auth);
    cm_free(c->token_env);
    cm_free(c->token_file);
    cm_free(c->token_url);
    cm_free(c->client_id);
    cm_free(c->client_secret_env);
    cm_free(c->client_secret_file);
    cm_free(c->scope);
    cm_free(c->username);
    cm_free(c->private_key_file);
    cm_free(c->audience);
    cm_free(c->marker_field);
    cm_free(c->url_at);
    cm_free(c->token_url_at);
    cm_free(c->audience_at);
    memset(c, 0, sizeof *c);
}
