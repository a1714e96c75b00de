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
#include <unistd.h>

#include "auth.h"
#include "cli.h"
#include "cm_alloc.h"
#include "conn_config.h"
#include "connector.h"
#include "crm_link.h"
#include "crm_vendor.h"
#include "drift.h"
#include "fetch_cli.h"
#include "mapc_cli.h"
#include "param_cli.h"
#include "sd_notify.h"
#include "serve.h"
#include "serve_crmwatch.h"
#include "serve_http.h"
#include "serve_intake.h"
#include "serve_reload.h"
#include "serve_sender.h"
#include "slog.h"
#include "state_lock.h"
#include "transfer.h"

extern const Command cmd_serve;

/* A VisitReport export of many reports with signature images is large. */
#define DEFAULT_MAX_BODY (8u << 20)
/* What the inbox may take while the CRM is down: a million leads of 1 KiB. */
#define DEFAULT_MAX_INBOX (1ull << 30)
/* The limits against idle, slow and greedy clients (docs/serve.md, "Limits"):
 * a webhook sender needs a few connections, a proxy in front more. */
#define DEFAULT_MAX_CONNECTIONS 512u
#define DEFAULT_PER_ADDRESS 64u
#define DEFAULT_HEADER_TIMEOUT_S 10u
#define DEFAULT_BODY_TIMEOUT_S 60u
/* Sixteen bodies of the largest size being received at once. */
#define DEFAULT_MAX_BODY_MEMORY (128u << 20)

typedef struct Opts {
    ServeHttpConfig http;
    const char *auth_env, *auth_file;
    const char *state_dir, *errors;
    size_t max_body, max_inbox;
    size_t batch_size, max_in_flight;
    int window_ms, drain_ms;
    int64_t retain_s;
    const char *config, *url, *api, *token_env, *token_file;
    const char *status_token_file;
    SlogFormat log_format;
    bool check_config, force;
    FetchFlags fetch;           /* --fetch-allow, --fetch-max-bytes */
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
    char *cfg_path;             /* the connection file read (its params are the mapping's too) */
    Auth *auth;
    Transport *tx;
    Connector *c;
    atomic_bool cancel;         /* set: the transport cancels its requests (the bounded stop) */
} Crm;

/* A libcurl transport carrying auth's token as cfg says. */
static Transport *crm_transport(const ConnConfig *cfg, const Auth *auth, const atomic_bool *cancel, char *err,
                                size_t errlen)
{
    TxCurlOptions topt;
    memset(&topt, 0, sizeof topt);
    topt.allow_plain_http = cfg->plain_http;
    topt.bearer_token = auth_token(auth);
    topt.token_header = conn_config_token_header(cfg);
    topt.cancel = cancel;
    return tx_curl_new(&topt, err, errlen);
}

static int crm_open(Crm *crm, const Opts *o, const char *mapping, Mapc *m)
{
    char err[1024];
    memset(crm, 0, sizeof *crm);
    /* As for run: crmmap.json next to the mapping unless one is named. */
    char *dir = cm_strdup(mapping);
    CmBuf path = CM_BUF_INIT;
    cm_buf_printf(&path, "%s/crmmap.json", dirname(dir));
    crm->cfg_path = o->config ? cm_strdup(o->config) : cm_buf_take(&path);
    cm_buf_free(&path);
    cm_free(dir);
    if (!conn_config_load(&crm->cfg, crm->cfg_path, o->config ? CONN_FILE_NAMED : CONN_FILE_DEFAULT, err,
                          sizeof err)) {
        slog(SLOG_ERROR, "%s", err);
        return EXIT_FATAL;
    }
    /* the file's params, then --param again: the flag wins (as for run) */
    if (!param_cli_apply(m, mapping, (const char *const *)crm->cfg.params, crm->cfg.nparams, crm->cfg_path))
        return EXIT_USAGE;
    crm_flags_apply(&(CrmFlags){ .url = o->url, .api_version = o->api, .token_env = o->token_env,
                                 .token_file = o->token_file, .plain_http = o->http.plain_http }, &crm->cfg);
    fetch_flags_apply(&o->fetch, &crm->cfg);
    if (crm->cfg.system == NULL) {
        uint32_t n;
        const char *sys = mapc_str(m, m->system, &n);
        crm->cfg.system = cm_strndup(sys, n);
    }
    if (!conn_config_validate(&crm->cfg, err, sizeof err)) {
        slog(SLOG_ERROR, "%s", err);
        return EXIT_USAGE;
    }
    if (!conn_config_check_hosts(&crm->cfg, err, sizeof err)) {
        slog(SLOG_ERROR, "%s", err);
        return EXIT_FATAL;
    }
    if (!tx_url_allowed(crm->cfg.url, crm->cfg.plain_http, err, sizeof err)
        || (conn_config_is_oauth(&crm->cfg) && !tx_url_allowed(crm->cfg.token_url, crm->cfg.plain_http, err, sizeof err))) {
        slog(SLOG_ERROR, "%s", err);
        return EXIT_FATAL;
    }
    crm->auth = auth_open(&crm->cfg, NULL, err, sizeof err);
    if (crm->auth == NULL) {
        slog(SLOG_ERROR, "%s", err);
        return EXIT_FATAL;
    }
    atomic_init(&crm->cancel, false);
    crm->tx = crm_transport(&crm->cfg, crm->auth, &crm->cancel, err, sizeof err);
    if (crm->tx == NULL) {
        slog(SLOG_ERROR, "%s", err);
        return EXIT_FATAL;
    }
    auth_attach(crm->auth, crm->tx);
    crm->c = crm_vendor_find(crm->cfg.system)->connect(&crm->cfg);
    conn_set_refresh(crm->c, auth_refresh, crm->auth);
    return EXIT_OK;
}

/* The drift check of a reloaded mapping, as at start; on a connection of
 * its own, as the sender's is busy on another thread. */
static int reload_drift(void *ctx, const Mapc *m, const char *path)
{
    const Crm *crm = ctx;
    char err[1024];
    Auth *a = auth_open(&crm->cfg, NULL, err, sizeof err);
    Transport *tx = a ? crm_transport(&crm->cfg, a, NULL, err, sizeof err) : NULL;
    int status = EXIT_FATAL;
    if (tx == NULL)
        slog(SLOG_ERROR, "%s", err);
    else
        status = drift_gate(m, path, "crmmap serve", &crm->cfg, tx, "serves");
    if (tx)
        tx_close(tx);
    auth_close(a);
    return status;
}

static void crm_close(Crm *crm)
{
    conn_free(crm->c);
    if (crm->tx)
        tx_close(crm->tx);
    auth_close(crm->auth);
    conn_config_free(&crm->cfg);
    cm_free(crm->cfg_path);
}

/* The state directory, made if missing, and its lock (state_lock.h):
 * NULL with the exit status after a message. */
static StateLock *lock_state(const char *dir, const char *journal, int *status)
{
    char err[PATH_MAX + 300];
    *status = EXIT_FATAL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        slog(SLOG_ERROR, "--state-dir %s: %s", dir, strerror(errno));
        return NULL;
    }
    bool busy;
    StateLock *l = state_lock_take(journal, "crmmap serve", &busy, err, sizeof err);
    if (l == NULL && busy) {
        *status = EXIT_RETRY;
        slog(SLOG_ERROR, "--state-dir %s: %s\nhelp: one serve per state directory (two would send every record "
             "twice): stop the other one, or give this one its own --state-dir", dir, err);
    } else if (l == NULL) {
        slog(SLOG_ERROR, "--state-dir %s: %s", dir, err);
    }
    return l;
}

/* The token that opens /status and /metrics, by the token file rules; it
 * must differ from the webhook secret (else it could post leads). */
static char *load_status_token(const char *file, ServeSecrets *secrets)
{
    ConnConfig c;
    memset(&c, 0, sizeof c);
    c.token_file = (char *)file;
    char err[400];
    char *t = conn_token_load(&c, err, sizeof err);
    if (t == NULL) {
        slog(SLOG_ERROR, "--status-token-file: %s", err);
    } else if (strlen(t) < SERVE_SECRET_MIN || serve_secrets_match(secrets, t)) {
        SlogField help = SLOG_S("help", "make one with `openssl rand -hex 32`");
        slog_fields(SLOG_ERROR, NULL, strlen(t) < SERVE_SECRET_MIN ? "the status token is too short: at least 32 characters"
                                      : "the status token is the webhook secret: give monitoring a token of its own",
                    &help, 1);
        conn_token_free(t);
        t = NULL;
    }
    return t;
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
    slog_init(stderr, o->log_format);
    {
        SlogField f[] = { SLOG_S("version", CRMMAP_VERSION), SLOG_I("pid", getpid()) };
        slog_fields(SLOG_INFO, NULL, "crmmap serve " CRMMAP_VERSION " starting", f, 2);
    }
    uint8_t image_sha[32];
    Mapc *m = mapc_cli_load_image(mapping, &status, image_sha);
    if (m == NULL)
        return status;
    char *inbox_path = path_in(o->state_dir, "inbox.db");
    Serve s;
    memset(&s, 0, sizeof s);
    serve_mapping_slot_init(&s.mapping, NULL);
    pthread_mutex_init(&s.stats.lock, NULL);
    serve_secrets_init(&s.secrets);
    s.stats.started_at = (int64_t)time(NULL);
    serve_health_init(&s.health, s.stats.started_at);
    s.max_body = o->max_body;
    s.max_inbox = (int64_t)o->max_inbox;
    s.retain_s = o->retain_s;
    char *journal_path = path_in(o->state_dir, "journal.db"), *errors_path = NULL;
    StateLock *lock = NULL;
    char *status_token = NULL;
    Journal *j = NULL;
    ErrFile *ef = NULL;
    ServeHttp *http = NULL;
    Crm crm;
    memset(&crm, 0, sizeof crm);
    status = EXIT_FATAL;
    char err[1024];
    size_t nsecrets;
    if (!serve_secrets_load(&s.secrets, o->auth_env, o->auth_file, &nsecrets, err, sizeof err)) {
        slog(SLOG_ERROR, "%s", err);
        goto out;
    }
    if (o->status_token_file) {
        status_token = load_status_token(o->status_token_file, &s.secrets);
        if (status_token == NULL)
            goto out;
        s.status_auth = status_token;
    }
    if (!serve_http_check(&o->http, &status, err, sizeof err)) {
        slog(SLOG_ERROR, "%s", err);
        goto out;
    }
    if ((lock = lock_state(o->state_dir, journal_path, &status)) == NULL)
        goto out;
    status = EXIT_FATAL;
    errors_path = o->errors ? cm_strdup(o->errors) : path_in(o->state_dir, "errors.ndjson");
    s.inbox = inbox_open(inbox_path, err, sizeof err);
    if (s.inbox == NULL) {
        slog(SLOG_ERROR, "%s", err);
        goto out;
    }
    /* The run key names the inbox by its real path: made once it exists. */
    serve_mapping_set(&s.mapping, serve_mapping_new(m, image_sha, inbox_path));
    j = journal_open(journal_path, s.mapping.cur->run_key, err, sizeof err);
    if (j == NULL) {
        slog(SLOG_ERROR, "%s", err);
        goto out;
    }
    ef = errfile_open(errors_path, false, err, sizeof err);
    if (ef == NULL) {
        slog(SLOG_ERROR, "%s", err);
        goto out;
    }
    s.ef = ef;
    status = crm_open(&crm, o, mapping, m);
    if (status != EXIT_OK)
        goto out;
    if (!o->force && (status = drift_gate(m, mapping, "crmmap serve", &crm.cfg, crm.tx, "serves")) != EXIT_OK)
        goto out;
    if (o->check_config) {
        slog(SLOG_INFO, "configuration ok: %s, %zu webhook secret%s, state directory %s, %s",
                mapping, nsecrets, nsecrets == 1 ? "" : "s", o->state_dir,
                o->force ? "drift not checked (--force)" : "no schema drift");
        goto out;
    }
    /* Every CRM answer is counted for /status and /metrics. */
    crm.tx = serve_crmwatch_new(crm.tx, &s.health);
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

    ServeSenderConfig sc = { crm.c, crm.tx, j, ef, o->batch_size, o->max_in_flight, o->window_ms,
                             crm.cfg.marker_field, &crm.cancel, &crm.cfg.fetch };
    s.sender = serve_sender_start(&s, &sc, err, sizeof err);
    if (s.sender == NULL) {
        slog(SLOG_ERROR, "%s", err);
        goto out;
    }
    s.intake = serve_intake_new(&s);
    http = serve_http_start(&s, &o->http, &status, err, sizeof err);
    if (http == NULL) {
        slog(SLOG_ERROR, "%s", err);
    } else {
        InboxCounts ic = { 0 };
        inbox_counts(s.inbox, &ic);
        char msg[200];
        snprintf(msg, sizeof msg, "listening on %s", serve_http_url(http));
        SlogField f[] = { SLOG_S("inbox", inbox_path), SLOG_I("pending", ic.pending),
                          SLOG_S("status_access", s.status_auth ? "token" : "loopback") };
        slog_fields(SLOG_INFO, NULL, msg, f, 3);
        /* Only now: /healthz answers, and a Type=notify unit counts as started. */
        sd_notifyf("READY=1\nSTATUS=listening on %s", serve_http_url(http));
        ServeReloadConfig rc = { o->auth_env, o->auth_file, http, crm.auth, &crm.cfg, crm.cfg_path, mapping,
                                 inbox_path, o->force ? NULL : reload_drift, &crm };
        int sig = 0;
        while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
            /* systemd wants the reload's start on CLOCK_MONOTONIC with RELOADING=1. */
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%lld\nSTATUS=reloading",
                       (long long)t.tv_sec * 1000000LL + t.tv_nsec / 1000);
            bool reloaded = serve_reload(&s, &rc);
            sd_notifyf("READY=1\nSTATUS=listening on %s%s", serve_http_url(http),
                       reloaded ? "" : "; the last reload was refused in part (see the log)");
        }
        slog(SLOG_INFO, "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        sd_notifyf("STOPPING=1\nSTATUS=stopping: answering the requests under way, then draining");
        serve_health_stopping(&s.health);
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
        InboxCounts ic = { 0 };
        inbox_counts(s.inbox, &ic);
        slog(SLOG_INFO, "stopped; %llu records pending for the next start", (unsigned long long)ic.pending);
    }
out:
    if (ef && !errfile_close(ef, err, sizeof err)) {
        slog(SLOG_ERROR, "%s", err);
        status = EXIT_FATAL;
    }
    crm_close(&crm);
    journal_close(j);
    inbox_close(s.inbox);
    state_lock_release(lock);
    serve_secrets_destroy(&s.secrets);
    conn_token_free(status_token);
    slog_flush();
    cm_free(inbox_path);
    cm_free(journal_path);
    cm_free(errors_path);
    pthread_mutex_destroy(&s.stats.lock);
    serve_health_destroy(&s.health);
    if (s.mapping.cur == NULL)
        mapc_free(m);
    serve_mapping_slot_destroy(&s.mapping);
    return status;
}

enum { O_LISTEN = 256, O_AUTH_ENV, O_AUTH_FILE, O_CERT, O_KEY, O_PLAIN, O_MAX_BODY, O_MAX_INBOX, O_STATE, O_ERRORS,
       O_BATCH, O_WINDOW, O_INFLIGHT, O_DRAIN, O_RETAIN, O_CONFIG, O_URL, O_API, O_TOKEN_ENV, O_TOKEN_FILE,
       O_STATUS_TOKEN, O_LOG_FORMAT, O_MAX_CONN, O_PER_ADDR, O_HEADER_TO, O_BODY_TO, O_BODY_MEM, O_CHECK_CONFIG,
       O_FORCE, O_PARAM };

/* The numeric flags: range, whether k/M/G suffixes count, and the words of
 * the usage error after "--NAME 'VALUE': ". */
typedef struct NumFlag {
    int id;
    size_t lo, hi;
    bool units;
    const char *range;
} NumFlag;

static const NumFlag num_flags[] = {
    { O_MAX_BODY, 1, 1u << 30, true, "bytes from 1 to 1G (k and M suffixes)" },
    { O_MAX_INBOX, 64u << 10, (size_t)1 << 40, true, "bytes from 64k to 1024G (k, M, G suffixes)" },
    { O_MAX_CONN, 1, 16384, false, "a number from 1 to 16384" },
    { O_PER_ADDR, 1, 16384, false, "a number from 1 to 16384" },
    { O_HEADER_TO, 1, 3600, false, "seconds from 1 to 3600" },
    { O_BODY_TO, 1, 3600, false, "seconds from 1 to 3600" },
    { O_BODY_MEM, 1, (size_t)1 << 40, true, "bytes up to 1024G (k, M, G suffixes)" },
    { O_BATCH, 1, 1000, false, "a number from 1 to 1000" },
    { O_WINDOW, 0, 60000, false, "milliseconds from 0 to 60000" },
    { O_INFLIGHT, 1, 64, false, "a number from 1 to 64" },
    { O_DRAIN, 0, 600000, false, "milliseconds from 0 to 600000" },
};

static const NumFlag *num_flag(int id)
{
    for (size_t i = 0; i < sizeof num_flags / sizeof num_flags[0]; i++)
        if (num_flags[i].id == id)
            return &num_flags[i];
    return NULL;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, O_LISTEN },
        { "param", required_argument, NULL, O_PARAM },
        { "auth-env", required_argument, NULL, O_AUTH_ENV },
        { "auth-file", required_argument, NULL, O_AUTH_FILE },
        { "tls-cert", required_argument, NULL, O_CERT },
        { "tls-key", required_argument, NULL, O_KEY },
        { "plain-http", no_argument, NULL, O_PLAIN },
        { "max-body", required_argument, NULL, O_MAX_BODY },
        { "max-inbox", required_argument, NULL, O_MAX_INBOX },
        { "max-connections", required_argument, NULL, O_MAX_CONN },
        { "max-per-address", required_argument, NULL, O_PER_ADDR },
        { "header-timeout", required_argument, NULL, O_HEADER_TO },
        { "body-timeout", required_argument, NULL, O_BODY_TO },
        { "max-body-memory", required_argument, NULL, O_BODY_MEM },
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
        { "status-token-file", required_argument, NULL, O_STATUS_TOKEN },
        { "log-format", required_argument, NULL, O_LOG_FORMAT },
        { "check-config", no_argument, NULL, O_CHECK_CONFIG },
        { "force", no_argument, NULL, O_FORCE },
        FETCH_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    Opts o;
    memset(&o, 0, sizeof o);
    o.max_body = DEFAULT_MAX_BODY;
    o.max_inbox = DEFAULT_MAX_INBOX;
    o.http.max_connections = DEFAULT_MAX_CONNECTIONS;
    o.http.per_address = DEFAULT_PER_ADDRESS;
    o.http.header_timeout_s = DEFAULT_HEADER_TIMEOUT_S;
    o.http.body_timeout_s = DEFAULT_BODY_TIMEOUT_S;
    o.http.max_body_memory = DEFAULT_MAX_BODY_MEMORY;
    o.state_dir = ".crmmap-serve";
    o.window_ms = 200;
    o.drain_ms = 10000;
    o.retain_s = 7 * 86400;
    o.config = getenv("CRMMAP_CONFIG");
    size_t v = 0;
    int c, li = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        const NumFlag *nf = num_flag(c);
        if (nf && !parse_size(optarg, nf->lo, nf->hi, nf->units, &v))
            return cli_usage_error(&cmd_serve, "--%s '%s': %s", opts[li].name, optarg, nf->range);
        switch (c) {
        case O_LISTEN: o.http.listen = optarg; break;
        case O_PARAM:
            if (!param_cli_flag(optarg))
                return cli_usage_error(&cmd_serve, "--param '%s': NAME=VALUE", optarg);
            break;
        case O_AUTH_ENV: o.auth_env = optarg; o.auth_file = NULL; break;
        case O_AUTH_FILE: o.auth_file = optarg; o.auth_env = NULL; break;
        case O_CERT: o.http.tls_cert = optarg; break;
        case O_KEY: o.http.tls_key = optarg; break;
        case O_PLAIN: o.http.plain_http = true; break;
        case O_MAX_BODY: o.max_body = v; break;
        case O_MAX_INBOX: o.max_inbox = v; break;
        case O_MAX_CONN: o.http.max_connections = (unsigned)v; break;
        case O_PER_ADDR: o.http.per_address = (unsigned)v; break;
        case O_HEADER_TO: o.http.header_timeout_s = (unsigned)v; break;
        case O_BODY_TO: o.http.body_timeout_s = (unsigned)v; break;
        case O_BODY_MEM: o.http.max_body_memory = v; break;
        case O_STATE: o.state_dir = optarg; break;
        case O_ERRORS: o.errors = optarg; break;
        case O_BATCH: o.batch_size = v; break;
        case O_WINDOW: o.window_ms = (int)v; break;
        case O_INFLIGHT: o.max_in_flight = v; break;
        case O_DRAIN: o.drain_ms = (int)v; break;
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
        case O_STATUS_TOKEN: o.status_token_file = optarg; break;
        case O_LOG_FORMAT:
            if (!slog_parse_format(optarg, &o.log_format))
                return cli_usage_error(&cmd_serve, "--log-format '%s': text or json", optarg);
            break;
        case O_CHECK_CONFIG: o.check_config = true; break;
        case O_FORCE: o.force = true; break;
        case FETCH_O_ALLOW:
        case FETCH_O_MAX_BYTES: {
            char err[300];
            if (fetch_flags_take(&o.fetch, c, optarg, err, sizeof err) < 0)
                return cli_usage_error(&cmd_serve, "%s", err);
            break;
        }
        default:
            return cli_usage_error(&cmd_serve, "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(&cmd_serve, optind >= argc ? "no mapping given" : "one mapping at a time");
    if (o.http.max_body_memory < o.max_body)
        return cli_usage_error(&cmd_serve, "--max-body-memory %zu is less than --max-body %zu: no body of the "
                               "largest size could be received", o.http.max_body_memory, o.max_body);
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
    "  GET  /readyz          readiness: records can be stored (no authorization)\n"
    "  GET  /status          health per component, queue depth and counters as JSON\n"
    "  GET  /metrics         the same for Prometheus (text format 0.0.4)\n"
    "  (/status and /metrics: loopback clients, or --status-token-file's token)\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT     address to listen on (port 0: a free one, printed)\n"
    "  --param NAME=VALUE     the mapping's param NAME, read as its type, on every\n"
    "                         load and reload (repeatable)\n"
    "  --auth-env VAR         the expected Authorization value is in VAR\n"
    "  --auth-file FILE       ... or in FILE (mode 0600), one secret a line, two during a\n"
    "                         rotation; \"Bearer VALUE\" is accepted too\n"
    "  --tls-cert FILE        TLS certificate chain (PEM)\n"
    "  --tls-key FILE         TLS private key (PEM, mode 0600)\n"
    "  --plain-http           allow plain HTTP on loopback: the listener without\n"
    "                         TLS files, and an http:// CRM URL (test servers)\n"
    "  --max-body BYTES       largest request body (default 8M; k, M suffixes)\n"
    "  --max-inbox BYTES      disk the inbox may take, then 507 (default 1G; k, M, G)\n"
    "  --max-connections N    connections at once; past it only /healthz and /status\n"
    "                         are served, the rest answered 503 (default 512)\n"
    "  --max-per-address N    connections from one address, more are closed (default 64)\n"
    "  --header-timeout S     a request's headers must arrive within S seconds of\n"
    "                         its start (default 10)\n"
    "  --body-timeout S       its body within S seconds after them (default 60)\n"
    "  --max-body-memory BYTES  request bodies being received, all together; past\n"
    "                         it 503 (default 128M; k, M, G)\n"
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
    "  --status-token-file FILE  a token of its own (mode 0600) that opens /status and\n"
    "                         /metrics from any address (default: loopback clients only)\n"
    "  --log-format FMT       text (default) or json: one object a line\n"
    "  --force                start even if the CRM's field definitions drifted from the\n"
    "                         mapping's (checked at start, as `crmmap run` does)\n"
    FETCH_HELP("   ")
    "  --check-config         check everything a start checks (mapping, secrets, TLS files,\n"
    "                         state directory and its lock, CRM settings, drift), then exit\n"
    "                         without listening or sending\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop (at most 10 s + --drain-ms + 16 s); SIGHUP reloads the\n"
    "webhook secrets, the TLS certificate and key, the CRM token file and the mapping\n"
    "(drift-checked unless --force), and reopens the error file (logrotate); a part\n"
    "that cannot be reloaded keeps what it had.\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT (or --check-config passed), 1 the mapping cannot\n"
    "be loaded (check errors, a truncated or corrupt .mapc), 2 usage, 4 fix the\n"
    "configuration (secret, TLS files, state directory, CRM settings, schema drift),\n"
    "5 try again later (port in use, state directory locked by another serve, CRM\n"
    "unreachable at start).\n",
    run,
};
