/* cmd_serve: `crmmap serve FILE.mapc|FILE.map --listen ADDR:PORT` — the
 * endpoint lead-capture apps push webhooks to (docs/serve.md). Checks the
 * flags, secrets and TLS files, locks the state directory and sets it up
 * (inbox, journal, error file), opens the CRM connection and checks the
 * mapping for drift (--check-config stops there), starts the sender thread
 * and the HTTP front, then reloads on SIGHUP until SIGTERM or SIGINT and
 * shuts down in order: stop accepting, answer the requests under way (their
 * records are stored), stop the inbox writer, let the sender drain. */
/* strdup, sigemptyset */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "cli.h"
#include "cm_alloc.h"
#include "conn_config.h"
#include "connector.h"
#include "crm_vendor.h"
#include "drift.h"
#include "mapc_cli.h"
#include "serve.h"
#include "serve_http.h"
#include "serve_intake.h"
#include "serve_reload.h"
#include "serve_sender.h"
#include "state_lock.h"
#include "transfer.h"

extern const Command cmd_serve;

/* A VisitReport export of many reports with signature images is large. */
#define DEFAULT_MAX_BODY (8u << 20)
/* What the inbox may take while the CRM is down: a million leads of 1 KiB. */
#define DEFAULT_MAX_INBOX (1ull << 30)

void serve_status_json(Serve *s, CmBuf *out)
{
    InboxCounts ic = { 0, 0, 0 };
    bool counted = inbox_counts(s->inbox, &ic);
    ServeStats st;
    pthread_mutex_lock(&s->stats.lock);
    memcpy(&st, &s->stats, sizeof st);
    pthread_mutex_unlock(&s->stats.lock);
    cm_buf_printf(out, "{\"status\": \"ok\", \"uptime_s\": %lld, ", (long long)(time(NULL) - st.started_at));
    if (counted)
        cm_buf_printf(out, "\"queue\": {\"pending\": %llu, \"total\": %llu, \"storing\": %llu}, ",
                      (unsigned long long)ic.pending, (unsigned long long)ic.total, (unsigned long long)st.storing);
    else
        cm_buf_puts(out, "\"queue\": null, ");
    cm_buf_printf(out, "\"retention\": {\"retain_s\": %lld, \"kept\": ", (long long)s->retain_s);
    if (counted)
        cm_buf_printf(out, "%llu", (unsigned long long)ic.kept);
    else
        cm_buf_puts(out, "null");
    cm_buf_printf(out, ", \"pruned\": %llu, \"steps\": %llu, \"step_last_ms\": %.2f, \"step_max_ms\": %.2f}, ",
                  (unsigned long long)st.pruned, (unsigned long long)st.prune_steps, (double)st.prune_last_us / 1000.0,
                  (double)st.prune_max_us / 1000.0);
    cm_buf_printf(out,
                  "\"requests\": %llu, \"records\": {\"accepted\": %llu, \"duplicates\": %llu, \"rejected\": %llu, "
                  "\"sent\": %llu}, \"units\": {\"ok\": %llu, \"failed\": %llu, \"skipped\": %llu}, ",
                  (unsigned long long)st.requests, (unsigned long long)st.accepted, (unsigned long long)st.duplicates,
                  (unsigned long long)st.rejected, (unsigned long long)st.batch_records,
                  (unsigned long long)st.sent_ok, (unsigned long long)st.sent_failed,
                  (unsigned long long)st.sent_skipped);
    cm_buf_printf(out, "\"crm\": {\"requests\": %llu, \"batches\": %llu, \"average_batch\": %.1f, \"last_error\": ",
                  (unsigned long long)st.crm_requests, (unsigned long long)st.batches,
                  st.batches ? (double)st.batch_records / (double)st.batches : 0.0);
    if (st.last_error[0]) {
        cm_buf_put_json_string(out, st.last_error, strlen(st.last_error));
        char when[32];
        time_t t = (time_t)st.last_error_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cm_buf_printf(out, ", \"last_error_at\": \"%s\"}, ", when);
    } else {
        cm_buf_puts(out, "null, \"last_error_at\": null}, ");
    }
    if (st.rate_max > 0)
        cm_buf_printf(out, "\"rate_limit\": {\"requests\": %d, \"window_ms\": %lld}}\n", st.rate_max,
                      (long long)st.rate_window_ms);
    else
        cm_buf_puts(out, "\"rate_limit\": null}\n");
}

typedef struct Opts {
    ServeHttpConfig http;
    const char *auth_env, *auth_file;
    const char *state_dir, *errors;
    size_t max_body, max_inbox;
    size_t batch_size, max_in_flight;
    int window_ms, drain_ms;
    int64_t retain_s;
    const char *config, *url, *api, *token_env, *token_file;
    bool check_config, force;
} Opts;

/* A positive number, with an optional k/K, m/M or g/G (KiB, MiB, GiB) for sizes. */
static bool parse_size(const char *s, size_t lo, size_t hi, bool units, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0 || s[0] == '-')
        return false;
    if (units && (*end == 'k' || *end == 'K'))
        v <<= 10, end++;
    else if (units && (*end == 'm' || *end == 'M'))
        v <<= 20, end++;
    else if (units && (*end == 'g' || *end == 'G') && v < (1ull << 33))
        v <<= 30, end++;
    if (*end != '\0' || v < lo || v > hi)
        return false;
    *out = (size_t)v;
    return true;
}

/* A duration: a whole number with s, m, h or d (0 needs none), up to 10 years. */
static bool parse_duration(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno != 0 || v < 0 || s[0] == '-' || s[0] == '+')
        return false;
    static const struct { char unit; int64_t secs; } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 },
                                                                 { 'd', 86400 } };
    int64_t mult = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (*end == units[i].unit && end[1] == '\0')
            mult = units[i].secs;
    if (*end == '\0' && v == 0)
        mult = 1;
    if (mult == 0 || v > 3650LL * 86400 / mult)
        return false;
    *out = (int64_t)v * mult;
    return true;
}

static char *path_in(const char *dir, const char *name)
{
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "%s/%s", dir, name);
    return cm_buf_take(&b);
}

/* The CRM connection: config file, environment, then flags (docs/connections.md). */
typedef struct Crm {
    ConnConfig cfg;
    Auth *auth;
    Transport *tx;
    Connector *c;
    atomic_bool cancel;         /* set: the transport cancels its requests (the bounded stop) */
} Crm;

static int crm_open(Crm *crm, const Opts *o, const char *mapping, const Mapc *m)
{
    char err[1024];
    memset(crm, 0, sizeof *crm);
    /* As for run: crmmap.json next to the mapping unless one is named. */
    char *dir = cm_strdup(mapping);
    CmBuf path = CM_BUF_INIT;
    cm_buf_printf(&path, "%s/crmmap.json", dirname(dir));
    bool loaded = conn_config_load(&crm->cfg, o->config ? o->config : path.data,
                                   o->config ? CONN_FILE_NAMED : CONN_FILE_DEFAULT, err, sizeof err);
    cm_buf_free(&path);
    cm_free(dir);
    if (!loaded) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        return EXIT_FATAL;
    }
    conn_config_apply_env(&crm->cfg);
    if (o->url)
        conn_config_set_url(&crm->cfg, o->url);
    if (o->api)
        conn_config_set(&crm->cfg.api_version, o->api);
    if (o->token_env)
        conn_config_set_token_env(&crm->cfg, o->token_env);
    if (o->token_file)
        conn_config_set_token_file(&crm->cfg, o->token_file);
    crm->cfg.plain_http = o->http.plain_http;
    if (crm->cfg.system == NULL) {
        uint32_t n;
        const char *sys = mapc_str(m, m->system, &n);
        crm->cfg.system = cm_strndup(sys, n);
    }
    if (!conn_config_validate(&crm->cfg, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        return EXIT_USAGE;
    }
    if (!conn_config_check_hosts(&crm->cfg, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        return EXIT_FATAL;
    }
    if (!tx_url_allowed(crm->cfg.url, crm->cfg.plain_http, err, sizeof err)
        || (conn_config_is_oauth(&crm->cfg) && !tx_url_allowed(crm->cfg.token_url, crm->cfg.plain_http, err, sizeof err))) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        return EXIT_FATAL;
    }
    crm->auth = auth_open(&crm->cfg, NULL, err, sizeof err);
    if (crm->auth == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        return EXIT_FATAL;
    }
    TxCurlOptions topt;
    memset(&topt, 0, sizeof topt);
    topt.allow_plain_http = crm->cfg.plain_http;
    topt.bearer_token = auth_token(crm->auth);
    atomic_init(&crm->cancel, false);
    topt.cancel = &crm->cancel;
    crm->tx = tx_curl_new(&topt, err, sizeof err);
    if (crm->tx == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        return EXIT_FATAL;
    }
    auth_attach(crm->auth, crm->tx);
    crm->c = crm_vendor_find(crm->cfg.system)->connect(&crm->cfg);
    conn_set_refresh(crm->c, auth_refresh, crm->auth);
    return EXIT_OK;
}

static void crm_close(Crm *crm)
{
    if (crm->c)
        conn_free(crm->c);
    if (crm->tx)
        tx_close(crm->tx);
    auth_close(crm->auth);
    conn_config_free(&crm->cfg);
}

/* The state directory, made if missing, and its lock (state_lock.h):
 * NULL with the exit status after a message. */
static StateLock *lock_state(const char *dir, const char *journal, int *status)
{
    char err[PATH_MAX + 300];
    *status = EXIT_FATAL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "crmmap serve: error: --state-dir %s: %s\n", dir, strerror(errno));
        return NULL;
    }
    bool busy;
    StateLock *l = state_lock_take(journal, "crmmap serve", &busy, err, sizeof err);
    if (l == NULL && busy) {
        *status = EXIT_RETRY;
        fprintf(stderr, "crmmap serve: error: --state-dir %s: %s\n  help: one serve per state directory (two "
                "would send every record twice): stop the other one, or give this one its own --state-dir\n",
                dir, err);
    } else if (l == NULL) {
        fprintf(stderr, "crmmap serve: error: --state-dir %s: %s\n", dir, err);
    }
    return l;
}

static int serve_main(const char *mapping, Opts *o)
{
    /* A SIGHUP during the start (a reload sent too early) waits for the
     * loop below instead of killing serve. */
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL);
    int status;
    Mapc *m = mapc_cli_load(mapping, &status);
    if (m == NULL)
        return status;
    Serve s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.stats.lock, NULL);
    serve_secrets_init(&s.secrets);
    s.stats.started_at = (int64_t)time(NULL);
    s.m = m;
    s.max_body = o->max_body;
    s.max_inbox = (int64_t)o->max_inbox;
    s.retain_s = o->retain_s;
    char *inbox_path = NULL, *journal_path = path_in(o->state_dir, "journal.db"), *errors_path = NULL;
    StateLock *lock = NULL;
    Journal *j = NULL;
    ErrFile *ef = NULL;
    ServeHttp *http = NULL;
    Crm crm;
    memset(&crm, 0, sizeof crm);
    status = EXIT_FATAL;
    char err[1024];
    size_t nsecrets;
    if (!serve_secrets_load(&s.secrets, o->auth_env, o->auth_file, &nsecrets, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        goto out;
    }
    if (!serve_http_check(&o->http, &status, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        goto out;
    }
    if ((lock = lock_state(o->state_dir, journal_path, &status)) == NULL)
        goto out;
    status = EXIT_FATAL;
    inbox_path = path_in(o->state_dir, "inbox.db");
    errors_path = o->errors ? cm_strdup(o->errors) : path_in(o->state_dir, "errors.ndjson");
    s.inbox = inbox_open(inbox_path, err, sizeof err);
    if (s.inbox == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        goto out;
    }
    char key[PATH_MAX + 80];
    transfer_inbox_run_key(m, inbox_path, key, sizeof key);
    j = journal_open(journal_path, key, err, sizeof err);
    if (j == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        goto out;
    }
    ef = errfile_open(errors_path, false, err, sizeof err);
    if (ef == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        goto out;
    }
    s.ef = ef;
    status = crm_open(&crm, o, mapping, m);
    if (status != EXIT_OK)
        goto out;
    if (!o->force && (status = drift_gate(m, mapping, "crmmap serve", &crm.cfg, crm.tx, "serves")) != EXIT_OK)
        goto out;
    if (o->check_config) {
        fprintf(stderr, "crmmap serve: configuration ok: %s, %zu webhook secret%s, state directory %s, %s\n",
                mapping, nsecrets, nsecrets == 1 ? "" : "s", o->state_dir,
                o->force ? "drift not checked (--force)" : "no schema drift");
        goto out;
    }
    status = EXIT_FATAL;
    if (crm.c->limit && crm.c->limit->max > 0) {
        s.stats.rate_max = crm.c->limit->max;
        s.stats.rate_window_ms = crm.c->limit->window_ms;
    }

    /* Signals are taken by sigwait below; every thread started from here on
     * inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    ServeSenderConfig sc = { crm.c, crm.tx, j, ef, o->batch_size, o->max_in_flight, o->window_ms, &crm.cancel };
    s.sender = serve_sender_start(&s, &sc, err, sizeof err);
    if (s.sender == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        goto out;
    }
    s.intake = serve_intake_new(&s);
    http = serve_http_start(&s, &o->http, &status, err, sizeof err);
    if (http == NULL) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
    } else {
        InboxCounts ic = { 0, 0, 0 };
        inbox_counts(s.inbox, &ic);
        fprintf(stderr, "crmmap serve: listening on %s (inbox %s: %llu pending)\n", serve_http_url(http), inbox_path,
                (unsigned long long)ic.pending);
        ServeReloadConfig rc = { o->auth_env, o->auth_file };
        int sig = 0;
        while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
            serve_reload(&s, &rc);
        fprintf(stderr, "crmmap serve: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        serve_http_quiesce(http);
        status = EXIT_OK;
    }
    serve_intake_stop(s.intake);
    serve_http_stop(http);
    http = NULL;
    serve_intake_free(s.intake);
    s.intake = NULL;
    serve_sender_stop(s.sender, o->drain_ms);
    s.sender = NULL;
    if (status == EXIT_OK) {
        InboxCounts ic = { 0, 0, 0 };
        inbox_counts(s.inbox, &ic);
        fprintf(stderr, "crmmap serve: stopped; %llu records pending for the next start\n",
                (unsigned long long)ic.pending);
    }
out:
    if (ef && !errfile_close(ef, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: error: %s\n", err);
        status = EXIT_FATAL;
    }
    crm_close(&crm);
    journal_close(j);
    inbox_close(s.inbox);
    state_lock_release(lock);
    serve_secrets_destroy(&s.secrets);
    cm_free(inbox_path);
    cm_free(journal_path);
    cm_free(errors_path);
    pthread_mutex_destroy(&s.stats.lock);
    mapc_free(m);
    return status;
}

static int run(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_AUTH_ENV, O_AUTH_FILE, O_CERT, O_KEY, O_PLAIN, O_MAX_BODY, O_MAX_INBOX, O_STATE, O_ERRORS,
           O_BATCH, O_WINDOW, O_INFLIGHT, O_DRAIN, O_RETAIN, O_CONFIG, O_URL, O_API, O_TOKEN_ENV, O_TOKEN_FILE, O_CHECK_CONFIG, O_FORCE };
    static const struct option opts[] = {
        { "listen", required_argument, NULL, O_LISTEN },
        { "auth-env", required_argument, NULL, O_AUTH_ENV },
        { "auth-file", required_argument, NULL, O_AUTH_FILE },
        { "tls-cert", required_argument, NULL, O_CERT },
        { "tls-key", required_argument, NULL, O_KEY },
        { "plain-http", no_argument, NULL, O_PLAIN },
        { "max-body", required_argument, NULL, O_MAX_BODY },
        { "max-inbox", required_argument, NULL, O_MAX_INBOX },
        { "state-dir", required_argument, NULL, O_STATE },
        { "errors", required_argument, NULL, O_ERRORS },
        { "batch-size", required_argument, NULL, O_BATCH },
        { "batch-window-ms", required_argument, NULL, O_WINDOW },
        { "max-in-flight", required_argument, NULL, O_INFLIGHT },
        { "drain-ms", required_argument, NULL, O_DRAIN },
        { "retain", required_argument, NULL, O_RETAIN },
        { "config", required_argument, NULL, O_CONFIG },
        { "url", required_argument, NULL, O_URL },
        { "api-version", required_argument, NULL, O_API },
        { "token-env", required_argument, NULL, O_TOKEN_ENV },
        { "token-file", required_argument, NULL, O_TOKEN_FILE },
        { "check-config", no_argument, NULL, O_CHECK_CONFIG },
        { "force", no_argument, NULL, O_FORCE },
        { NULL, 0, NULL, 0 },
    };
    Opts o;
    memset(&o, 0, sizeof o);
    o.max_body = DEFAULT_MAX_BODY;
    o.max_inbox = DEFAULT_MAX_INBOX;
    o.state_dir = ".crmmap-serve";
    o.window_ms = 200;
    o.drain_ms = 10000;
    o.retain_s = 7 * 86400;
    o.config = getenv("CRMMAP_CONFIG");
    size_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: o.http.listen = optarg; break;
        case O_AUTH_ENV: o.auth_env = optarg; o.auth_file = NULL; break;
        case O_AUTH_FILE: o.auth_file = optarg; o.auth_env = NULL; break;
        case O_CERT: o.http.tls_cert = optarg; break;
        case O_KEY: o.http.tls_key = optarg; break;
        case O_PLAIN: o.http.plain_http = true; break;
        case O_MAX_BODY:
            if (!parse_size(optarg, 1, 1u << 30, true, &o.max_body))
                return cli_usage_error(&cmd_serve, "--max-body '%s': bytes from 1 to 1G (k and M suffixes)", optarg);
            break;
        case O_MAX_INBOX:
            if (!parse_size(optarg, 64u << 10, (size_t)1 << 40, true, &o.max_inbox))
                return cli_usage_error(&cmd_serve, "--max-inbox '%s': bytes from 64k to 1024G (k, M, G suffixes)",
                                       optarg);
            break;
        case O_STATE: o.state_dir = optarg; break;
        case O_ERRORS: o.errors = optarg; break;
        case O_BATCH:
            if (!parse_size(optarg, 1, 1000, false, &o.batch_size))
                return cli_usage_error(&cmd_serve, "--batch-size '%s': a number from 1 to 1000", optarg);
            break;
        case O_WINDOW:
            if (!parse_size(optarg, 0, 60000, false, &v))
                return cli_usage_error(&cmd_serve, "--batch-window-ms '%s': milliseconds from 0 to 60000", optarg);
            o.window_ms = (int)v;
            break;
        case O_INFLIGHT:
            if (!parse_size(optarg, 1, 64, false, &o.max_in_flight))
                return cli_usage_error(&cmd_serve, "--max-in-flight '%s': a number from 1 to 64", optarg);
            break;
        case O_DRAIN:
            if (!parse_size(optarg, 0, 600000, false, &v))
                return cli_usage_error(&cmd_serve, "--drain-ms '%s': milliseconds from 0 to 600000", optarg);
            o.drain_ms = (int)v;
            break;
        case O_RETAIN:
            if (!parse_duration(optarg, &o.retain_s))
                return cli_usage_error(&cmd_serve, "--retain '%s': a duration such as 7d, 12h, 30m or 0 "
                                                   "(s, m, h, d; at most 3650d)", optarg);
            break;
        case O_CONFIG: o.config = optarg; break;
        case O_URL: o.url = optarg; break;
        case O_API: o.api = optarg; break;
        case O_TOKEN_ENV: o.token_env = optarg; o.token_file = NULL; break;
        case O_TOKEN_FILE: o.token_file = optarg; o.token_env = NULL; break;
        case O_CHECK_CONFIG: o.check_config = true; break;
        case O_FORCE: o.force = true; break;
        default:
            return cli_usage_error(&cmd_serve, "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(&cmd_serve, optind >= argc ? "no mapping given" : "one mapping at a time");
    if (o.http.listen == NULL)
        return cli_usage_error(&cmd_serve, "no --listen ADDR:PORT given");
    if (o.auth_env == NULL && o.auth_file == NULL)
        return cli_usage_error(&cmd_serve, "no --auth-env VAR or --auth-file FILE: the webhook's Authorization "
                                           "value is required");
    return serve_main(argv[optind], &o);
}

const Command cmd_serve = {
    "serve", "receive lead webhooks over HTTPS and transfer them to the CRM",
    "Usage: crmmap serve FILE.mapc|FILE.map --listen ADDR:PORT (--auth-env VAR | --auth-file FILE)\n"
    "                    (--tls-cert FILE --tls-key FILE | --plain-http) [OPTIONS]\n"
    "\n"
    "The endpoint lead-capture apps (snapADDY) push webhooks to (docs/serve.md).\n"
    "A record is answered 202 only once it is stored on disk in the inbox; a\n"
    "background sender maps and transfers inbox records to the CRM in batches,\n"
    "with the retries, journal and error file of `crmmap run`. Duplicate\n"
    "deliveries are answered 200 and not transferred again.\n"
    "\n"
    "Endpoints:\n"
    "  POST /records         one JSON object (snapADDY Contacts webhook)\n"
    "  POST /records/batch   NDJSON or a JSON array of objects\n"
    "  POST /visitreports    the snapADDY VisitReport webhook\n"
    "  GET  /healthz         liveness (no authorization)\n"
    "  GET  /status          queue depth and counters as JSON\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT     address to listen on (port 0: a free one, printed)\n"
    "  --auth-env VAR         the expected Authorization value is in VAR\n"
    "  --auth-file FILE       ... or in FILE (mode 0600), one secret a line, two during a\n"
    "                         rotation; \"Bearer VALUE\" is accepted too\n"
    "  --tls-cert FILE        TLS certificate chain (PEM)\n"
    "  --tls-key FILE         TLS private key (PEM, mode 0600)\n"
    "  --plain-http           allow plain HTTP on loopback: the listener without\n"
    "                         TLS files, and an http:// CRM URL (test servers)\n"
    "  --max-body BYTES       largest request body (default 8M; k, M suffixes)\n"
    "  --max-inbox BYTES      disk the inbox may take, then 507 (default 1G; k, M, G)\n"
    "  --state-dir DIR        inbox, journal and error file (default .crmmap-serve)\n"
    "  --errors FILE          the error file (default DIR/errors.ndjson)\n"
    "  --batch-size N         records per CRM request (default: the CRM's largest)\n"
    "  --batch-window-ms MS   how long a record waits for company (default 200)\n"
    "  --max-in-flight N      CRM requests at once (default 4)\n"
    "  --drain-ms MS          on SIGTERM, time left to send what is pending (default 10000)\n"
    "  --retain DURATION      keep a sent record's duplicate keys this long, then prune\n"
    "                         it (default 7d; s, m, h, d; 0: at once)\n"
    "  --config FILE, --url BASE, --api-version V, --token-env VAR, --token-file FILE\n"
    "                         the CRM connection (docs/connections.md)\n"
    "  --force                start even if the CRM's field definitions drifted from the\n"
    "                         mapping's (checked at start, as `crmmap run` does)\n"
    "  --check-config         check everything a start checks (mapping, secrets, TLS files,\n"
    "                         state directory and its lock, CRM settings, drift), then exit\n"
    "                         without listening or sending\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop (at most 10 s + --drain-ms + 16 s); SIGHUP reloads the\n"
    "webhook secrets and reopens the error file (logrotate).\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT (or --check-config passed), 1 the mapping cannot\n"
    "be loaded (check errors, a truncated or corrupt .mapc), 2 usage, 4 fix the\n"
    "configuration (secret, TLS files, state directory, CRM settings, schema drift),\n"
    "5 try again later (port in use, state directory locked by another serve, CRM\n"
    "unreachable at start).\n",
    run,
};
