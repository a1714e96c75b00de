/* serve_reload: see serve_reload.h. */
#include "serve_reload.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mapc_cli.h"
#include "param_cli.h"
#include "serve_sender.h"
#include "slog.h"

/* One reload under way: its number and its first refusal, for /status. */
typedef struct Reload {
    uint64_t n;
    char first[sizeof ((ServeReloaded *)0)->error];
} Reload;

/* One line of the reload, numbered: the same line in two reloads is not a
 * repeat to collapse (slog.h), and the lines of one reload belong together. */
static void say(const Reload *r, SlogLevel level, const SlogField *more, size_t nmore, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void say(const Reload *r, SlogLevel level, const SlogField *more, size_t nmore, const char *fmt, ...)
{
    char msg[PATH_MAX + 1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    SlogField f[3] = { SLOG_I("reload", r->n) };
    for (size_t i = 0; i < nmore && i < 2; i++)
        f[i + 1] = more[i];
    slog_fields(level, NULL, msg, f, 1 + (nmore < 2 ? nmore : 2));
}

/* One refused part: its line, and the first refusal kept for /status. */
static void refused(Reload *r, const char *what, const char *help)
{
    say(r, SLOG_ERROR, NULL, 0, "SIGHUP: %s\nhelp: %s", what, help);
    if (r->first[0] != '\0')
        return;
    size_t n = strcspn(what, "\n");   /* its first line */
    n = n < sizeof r->first ? n : sizeof r->first - 1;
    memcpy(r->first, what, n);
    r->first[n] = '\0';
}

static bool reload_token(Serve *s, const ServeReloadConfig *rc, Reload *r)
{
    if (conn_config_is_oauth(rc->crm) || conn_config_is_jwt(rc->crm)) {
        say(r, SLOG_INFO, NULL, 0, "SIGHUP: CRM token: fetched by OAuth and again when refused, nothing to read");
        return true;
    }
    char err[400];
    bool kept;
    if (!auth_reload(rc->auth, rc->crm, &kept, err, sizeof err)) {
        char what[500];
        snprintf(what, sizeof what, "CRM token: %s", err);
        refused(r, what, "the token in use stays; fix the token file and send SIGHUP again");
        return false;
    }
    if (kept) {
        say(r, SLOG_INFO, NULL, 0, "SIGHUP: CRM token unchanged");
    } else {
        say(r, SLOG_INFO, NULL, 0, "SIGHUP: CRM token replaced: the next CRM requests carry it (those in flight "
            "finish with the old one)");
        if (s->sender)
            serve_sender_retry(s->sender);
    }
    return true;
}

/* Why m cannot replace cur, or NULL. */
static const char *unfit(const Mapc *m, const Mapc *cur)
{
    uint32_t n, cn;
    const char *sys = mapc_str(m, m->system, &n), *csys = mapc_str(cur, cur->system, &cn);
    if (n != cn || memcmp(sys, csys, n) != 0)
        return "it targets another CRM than the connection serve has open (a restart can change that)";
    return NULL;
}

static bool reload_mapping(Serve *s, const ServeReloadConfig *rc, Reload *r)
{
    char what[600];
    const char *help = "the mapping in use stays; fix it and send SIGHUP again";
    int status;
    uint8_t sha[32];
    Mapc *m = mapc_cli_load_image(rc->mapping, &status, sha);
    if (m != NULL && !param_cli_apply(m, rc->mapping, (const char *const *)rc->crm->params, rc->crm->nparams,
                                      rc->crm_file)) {
        mapc_free(m);
        m = NULL;
    }
    if (m == NULL) {
        snprintf(what, sizeof what, "mapping %s refused: it does not load (above)", rc->mapping);
        refused(r, what, help);
        return false;
    }
    ServeMapping *cur = serve_mapping_get(&s->mapping);
    const char *why = unfit(m, cur->m);
    char id[17];
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", sha[i]);
    bool same = strcmp(id, cur->id) == 0;
    bool ok = false;
    if (same) {
        say(r, SLOG_INFO, NULL, 0, "SIGHUP: mapping %s unchanged (%s)", rc->mapping, cur->id);
        ok = true;
    } else if (why) {
        snprintf(what, sizeof what, "mapping %s refused: %s", rc->mapping, why);
        refused(r, what, help);
    } else if (rc->drift && rc->drift(rc->drift_ctx, m, rc->mapping) != EXIT_OK) {
        snprintf(what, sizeof what, "mapping %s refused: the drift check failed (above)", rc->mapping);
        refused(r, what, "the mapping in use stays; fix the mapping or the CRM and send SIGHUP again "
                "(with --force serve reloads without this check)");
    } else {
        ServeMapping *sm = serve_mapping_new(m, sha, rc->inbox_path);
        m = NULL;
        SlogField f[] = { SLOG_S("mapping", sm->id), SLOG_S("was", cur->id) };
        say(r, SLOG_INFO, f, 2, "SIGHUP: mapping %s reloaded: new requests are checked with it, the sender "
            "sends with it from its next round", rc->mapping);
        serve_mapping_set(&s->mapping, sm);
        ok = true;
    }
    serve_mapping_unref(cur);
    mapc_free(m);
    return ok;
}

bool serve_reload(Serve *s, const ServeReloadConfig *rc)
{
    char err[600];
    bool ok = true;
    size_t n = 0;
    Reload r = { 0, "" };
    pthread_mutex_lock(&s->stats.lock);
    r.n = s->stats.reloaded.count + 1;
    pthread_mutex_unlock(&s->stats.lock);
    if (serve_secrets_load(&s->secrets, rc->auth_env, rc->auth_file, &n, err, sizeof err)) {
        say(&r, SLOG_INFO, NULL, 0, "SIGHUP: %zu webhook secret%s accepted", n, n == 1 ? "" : "s");
    } else {
        refused(&r, err, "the secrets accepted before stay; fix the file and send SIGHUP again");
        ok = false;
    }
    if (serve_http_reload_tls(rc->http, err, sizeof err)) {
        if (err[0])
            say(&r, SLOG_INFO, NULL, 0, "SIGHUP: %s", err);
    } else {
        refused(&r, err, "connections go on with the certificate in use; fix the files and send "
                "SIGHUP again");
        ok = false;
    }
    if (!reload_token(s, rc, &r))
        ok = false;
    if (!reload_mapping(s, rc, &r))
        ok = false;
    if (errfile_reopen(s->ef, err, sizeof err)) {
        say(&r, SLOG_INFO, NULL, 0, "SIGHUP: error file reopened");
    } else {
        refused(&r, err, "failed records go on to the file open before");
        ok = false;
    }
    ServeReloaded *st = &s->stats.reloaded;
    pthread_mutex_lock(&s->stats.lock);
    st->count = r.n;
    st->failed += !ok;
    st->at = (int64_t)time(NULL);
    st->ok = ok;
    memcpy(st->error, r.first, sizeof st->error);
    pthread_mutex_unlock(&s->stats.lock);
    /* Last, once /status tells it: whoever waits on the log for the end
     * of a reload then reads the same outcome there. */
    say(&r, ok ? SLOG_INFO : SLOG_WARN, NULL, 0, "SIGHUP: reload finished: %s",
        ok ? "all parts in use" : "refused in part (see above)");
    return ok;
}
