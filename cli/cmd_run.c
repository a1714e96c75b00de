/* cmd_run: `crmmap run FILE.mapc|FILE.map --input FILE|- [--dry-run] ...`.
 * Reads records one at a time (reader.h) and runs every entity's program on
 * each (vm.h). With --dry-run it prints the payloads (dryrun.h); otherwise
 * it connects to the CRM (crm_link.h: settings, token, transport) and
 * hands each record to the transfer engine (transfer.h), printing one JSON
 * line per settled record and entity on stdout and the summary on stderr. */
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "budget_cli.h"
#include "cli_opts.h"
#include "cm_alloc.h"
#include "connector.h"
#include "crm_link.h"
#include "drift.h"
#include "state_lock.h"
#include "dryrun.h"
#include "errfile.h"
#include "fetch_cli.h"
#include "journal.h"
#include "mapc_cli.h"
#include "param_cli.h"
#include "reader.h"
#include "run_input.h"
#include "transfer.h"
#include "vm.h"

extern const Command cmd_run;

/* Output is flushed in blocks of about this size. */
#define FLUSH_AT (64u * 1024u)

typedef struct RunOpts {
    const char *input, *errors, *journal;
    CrmFlags crm;               /* --config, --url, --token-*, --plain-http, --verbose, --timeout-ms, --retries */
    FetchFlags fetch;           /* --fetch-allow, --fetch-max-bytes */
    bool dry, resume, quiet, force;
    long batch, in_flight;
    long rate_max, rate_window_s;   /* --rate N/SECONDS; 0: the connector's default */
    TransferBulk bulk;          /* --bulk; auto unless given */
    long bulk_threshold, bulk_poll_ms;
    bool budget;                /* --budget: the estimate of the calls instead of the payloads */
    long max_calls;             /* --max-calls; 0: none */
} RunOpts;

typedef struct Run {
    Mapc *m;                    /* its params set once at load (--param, the connection file) */
    const char *source;         /* the .map file name, for error lines */
    CmBuf out;
    bool failed;                /* dry run: a record was refused, failed or malformed */
    TransferStats dry;          /* dry run: the units, counted as a transfer would */
    Transfer *tr;               /* NULL: dry run */
    /* progress line */
    bool progress;
    FILE *in;
    long long in_size;
    double started;
} Run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The summary line (docs/run.md, "Counting and output"). */
static void summary(const TransferStats *s)
{
    fprintf(stderr, "in=%llu ok=%llu partial=%llu failed=%llu skipped=%llu\n", (unsigned long long)s->in,
            (unsigned long long)s->ok, (unsigned long long)s->partial, (unsigned long long)s->failed,
            (unsigned long long)s->skipped);
}

static void report_errors(Run *run, size_t record, const VmResult *results)
{
    const Mapc *m = run->m;
    for (uint32_t i = 0; i < m->nentities; i++) {
        const VmResult *r = &results[i];
        uint32_t n;
        const char *name = mapc_str(m, r->entity->name, &n);
        if (r->outcome == VM_REJECT || r->outcome == VM_ERROR || r->outcome == VM_SKIP)
            run->failed = true;
        if (r->outcome == VM_ERROR)
            fprintf(stderr, "%s:%u:%u: record %zu: %.*s: %.*s\n", run->source, r->line, r->col, record,
                    (int)n, name, (int)r->message_len, r->message);
        /* A transfer's partial notes go to the error file alone: they may quote the record. */
        for (const VmPartial *p = run->tr == NULL && r->outcome == VM_RECORD ? r->partial : NULL; p; p = p->next) {
            uint32_t fn = 0;
            const char *field = p->field >= 0 ? mapc_str(m, r->entity->fields[p->field].name, &fn) : "";
            fprintf(stderr, "%s:%u:%u: record %zu: %.*s%s%.*s: %s%.*s\n", run->source, p->line, p->col, record,
                    (int)n, name, fn ? "." : "", (int)fn, field, p->unknown_option ? "" : "left out: ",
                    (int)p->message_len, p->message);
        }
        if (run->tr == NULL && r->outcome != VM_NONE) {
            run->dry.in++;
            if (r->outcome == VM_SKIP)
                run->dry.skipped++;
            else if (r->outcome != VM_RECORD)
                run->dry.failed++;
            else if (r->partial)
                run->dry.partial++;
            else
                run->dry.ok++;
        }
    }
}

static void flush(Run *run)
{
    fwrite(run->out.data ? run->out.data : "", 1, run->out.len, stdout);
    fflush(stdout);
    cm_buf_clear(&run->out);
}

/* Reads every record; the dry run prints, a transfer feeds the engine.
 * Returns EXIT_CHECK when the input is unreadable, EXIT_OK otherwise. */
static int run_records(Run *run, const RunInput *input)
{
    const Mapc *m = run->m;
    MapcRecords in;
    mapc_records_open(&in, m, input);
    Reader *rd = in.rd;
    while (mapc_records_next(&in)) {
        size_t record = in.record;
        bool more = true;
        if (in.st == RD_BAD_RECORD) {
            const char *why, *text;
            size_t line, col, len;
            mapc_records_bad(&in, &why, &line, &col, &text, &len);
            if (run->tr) {
                more = transfer_bad_record(run->tr, record, why, text, len, line);
            } else {
                cm_buf_printf(&run->out, "{\"record\": %zu, \"error\": ", record);
                cm_buf_put_json_string(&run->out, why, strlen(why));
                cm_buf_printf(&run->out, ", \"input_line\": %zu, \"input_col\": %zu}\n", line, col);
                run->failed = true;
                run->dry.in++;
                run->dry.failed++;
            }
            fprintf(stderr, "%s:%zu:%zu: error: record %zu: %s\n", input->name, line, col, record, why);
        } else {
            const VmResult *res = record_vm_run(&in.vm);
            report_errors(run, record, res);
            if (run->tr) {
                size_t len;
                const char *text = rd_record_text(rd, &len);
                more = transfer_record(run->tr, record, res, text, len, rd_record_is_json(rd),
                                      mapc_records_line(&in));
            } else {
                for (uint32_t i = 0; i < m->nentities; i++)
                    dryrun_line(m, record, &res[i], &run->out);
            }
        }
        if (run->out.len >= FLUSH_AT)
            flush(run);
        if (!more)
            break;
    }
    if (run->tr)
        transfer_finish(run->tr);
    flush(run);
    int status = in.unreadable ? EXIT_CHECK : EXIT_OK;
    mapc_records_close(&in);
    return status;
}

/* ---- a real transfer ---- */

static const char *const state_names[] = { "none", "sending", "ok", "failed", "skipped", "rejected" };

/* `, "key": "value"` when there is a value. */
static void put_member(CmBuf *b, const char *key, const char *value)
{
    if (value == NULL)
        return;
    cm_buf_printf(b, ", \"%s\": ", key);
    cm_buf_put_json_string(b, value, strlen(value));
}

static void on_unit(void *ctx, const TransferUnit *u)
{
    Run *run = ctx;
    CmBuf *b = &run->out;
    cm_buf_printf(b, "{\"record\": %llu", (unsigned long long)u->record);
    put_member(b, "entity", u->entity);
    cm_buf_printf(b, ", \"state\": \"%s\"", u->partial ? "partial" : state_names[u->state]);
    put_member(b, "id", u->crm_id);
    put_member(b, "code", u->code);
    /* A rejection's message is the mapping's own text. Any other message may
     * quote the record (Salesforce: "data value too large: <the value>"):
     * it goes only to the error file (mode 0600), never to stdout. */
    if (u->state == J_REJECTED)
        put_member(b, "message", u->message);
    if (u->resumed)
        cm_buf_puts(b, ", \"resumed\": true");
    cm_buf_puts(b, "}\n");
    if (b->len >= FLUSH_AT)
        flush(run);
}

/* One line, rewritten in place; only on a terminal. */
static void on_progress(void *ctx, const TransferStats *s)
{
    Run *run = ctx;
    flush(run);
    if (!run->progress)
        return;
    double dt = now_s() - run->started;
    uint64_t done = s->ok + s->partial + s->failed + s->skipped;
    double rate = dt > 0 ? (double)done / dt : 0;
    char eta[48] = "";
    long pos = run->in_size > 0 ? ftell(run->in) : -1;
    if (pos > 0 && run->in_size > 0 && dt > 0.5) {
        double left = dt * ((double)run->in_size - (double)pos) / (double)pos;
        snprintf(eta, sizeof eta, "  %d%%  ETA %.0f s", (int)(100.0 * (double)pos / (double)run->in_size),
                 left > 0 ? left : 0);
    }
    fprintf(stderr, "\r\033[K%llu done  %.0f/s  ok=%llu partial=%llu failed=%llu skipped=%llu%s",
            (unsigned long long)done, rate, (unsigned long long)s->ok, (unsigned long long)s->partial,
            (unsigned long long)s->failed, (unsigned long long)s->skipped, eta);
    fflush(stderr);
}

/* SIGINT / SIGTERM: the engine finishes the requests in flight, journals
 * their answers and stops (transfer_cancel is an atomic store, safe here). */
static Transfer *volatile running;

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        transfer_cancel(running);
}

static void catch_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static BudgetOptions budget_options(const RunOpts *o)
{
    BudgetOptions b = {
        .batch_size = (size_t)(o->batch > 0 ? o->batch : 0), .max_in_flight = (size_t)(o->in_flight > 0 ? o->in_flight : 4),
        .bulk = o->bulk, .bulk_threshold = (size_t)o->bulk_threshold,
        .drift_check = !o->force,
    };
    return b;
}

/* --max-calls: the estimate of the whole input against the limit, before
 * anything is sent (the input is read again for the run). auth_calls: the
 * token requests the connection already made. */
static int budget_gate(const Run *run, const RunOpts *o, const RunInput *input, uint64_t auth_calls)
{
    BudgetOptions bo = budget_options(o);
    bo.auth_calls = auth_calls;
    int status;
    Budget *b = budget_cli_estimate(run->m, input, &bo, &status);
    if (b == NULL)
        return status;
    uint64_t calls = crm_calls_sum(budget_total(b));
    if (calls > (uint64_t)o->max_calls) {
        CmBuf t = CM_BUF_INIT;
        budget_print(b, &t);
        fputs(t.data, stderr);
        cm_buf_free(&t);
        fprintf(stderr, "%s: error: this run would make about %llu API calls, more than --max-calls %ld; nothing "
                "was sent\nhelp: `crmmap run --dry-run --budget` shows where they go; --bulk on sends large loads "
                "as few bulk jobs where the CRM has them; or send a smaller input, or raise --max-calls\n",
                run->source, (unsigned long long)calls, o->max_calls);
        status = EXIT_USAGE;
    }
    budget_free(b);
    if (status == EXIT_OK && fseek(input->in, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: error: cannot read the input again after the estimate\n", input->name);
        status = EXIT_CHECK;
    }
    return status;
}

/* The org's daily quota, as the CRM's answers state it, fell below a tenth
 * (docs/run.md, "Pacing by the CRM's headers"); said once a run. */
static void quota_low(void *ctx, int64_t remaining, int64_t max)
{
    const CrmVendor *v = ((const CrmLink *)ctx)->vendor;
    fprintf(stderr, "crmmap run: warning: %s says %lld of the org's %lld daily API requests are left (%.1f%%); "
            "every integration of the org stops when they run out\n"
            "  help: the run goes on; --max-calls N stops it before it spends more than N, "
            "and `crmmap plan --budget` says what a run will spend\n",
            v->name, (long long)remaining, (long long)max, max > 0 ? 100.0 * (double)remaining / (double)max : 0.0);
}

static int transfer(Run *run, const RunOpts *o, const char *mapping, const RunInput *input)
{
    const Mapc *m = run->m;
    char err[512];
    Connector *c = NULL;
    Journal *j = NULL;
    StateLock *lock = NULL;
    ErrFile *ef = NULL;
    Transfer *tr = NULL;
    CrmFlags flags = o->crm;
    flags.max_in_flight = (size_t)(o->in_flight > 0 ? o->in_flight : 4);
    flags.refresh = true;
    CrmLink link;
    int status = crm_link_open_mapping(&link, "crmmap run", &flags, mapping, run->m);
    /* Settings that cannot make a connection are fatal for run, as every
     * other configuration problem (docs/run.md). */
    if (status == EXIT_USAGE)
        status = EXIT_FATAL;
    if (status != EXIT_OK)
        goto done;
    const ConnConfig *cfg = &link.cfg;
    Transport *tx = link.tx;
    if (o->max_calls > 0 && (status = budget_gate(run, o, input, tx_submitted(tx))) != EXIT_OK)
        goto done;
    /* Schema drift (docs/doctor.md): refuse before anything is sent. */
    if (!o->force && drift_gate(m, run->source, "crmmap run", cfg, tx, "sends") != EXIT_OK) {
        status = EXIT_FATAL;
        goto done;
    }
    c = link.vendor->connect(cfg);
    conn_set_refresh(c, auth_refresh, link.auth);
    c->quota_low = quota_low;
    c->quota_low_ctx = &link;
    if (o->rate_max > 0)
        conn_set_rate_limit(c, (int)o->rate_max, (int64_t)o->rate_window_s * 1000, true);
    char key[1200];
    transfer_run_key(m, o->input, key, sizeof key);
    const char *jpath = o->journal ? o->journal : "crmmap.journal";
    bool busy;
    if ((lock = state_lock_take(jpath, "crmmap run", &busy, err, sizeof err)) == NULL) {
        status = cli_fatal("crmmap run", "%s%s", err, busy ? "\nhelp: another run (or a serve) is sending with this journal: wait "
                                           "for it, or give this run its own --journal" : "");
        goto done;
    }
    j = journal_open(jpath, key, err, sizeof err);
    if (j == NULL) {
        status = cli_fatal("crmmap run", "%s", err);
        goto done;
    }
    const char *epath = o->errors ? o->errors : "crmmap-errors.ndjson";
    ef = errfile_open(epath, !o->resume, err, sizeof err);
    if (ef == NULL) {
        status = cli_fatal("crmmap run", "%s", err);
        goto done;
    }
    TransferOptions topts;
    memset(&topts, 0, sizeof topts);
    topts.batch_size = (size_t)(o->batch > 0 ? o->batch : 0);
    topts.max_in_flight = (size_t)(o->in_flight > 0 ? o->in_flight : 4);
    topts.retry = retry_policy_default();
    if (o->crm.retries > 0)
        topts.retry.max_attempts = o->crm.retries;
    topts.resume = o->resume;
    topts.bulk = o->bulk;
    topts.bulk_threshold = (size_t)o->bulk_threshold;
    topts.bulk_poll_ms = o->bulk_poll_ms;
    if (o->bulk != TRANSFER_BULK_OFF && c->ops->bulk != NULL)
        topts.window = TRANSFER_BULK_WINDOW;
    topts.marker_field = cfg->marker_field;
    fetch_flags_apply(&o->fetch, &link.cfg);
    topts.fetch_file = fetch_file;
    topts.fetch_ctx = &link.cfg.fetch;
    topts.max_calls = (uint64_t)o->max_calls;
    topts.progress = on_progress;
    topts.progress_ctx = run;
    topts.unit = on_unit;
    topts.unit_ctx = run;
    tr = transfer_new(m, c, tx, j, ef, &topts, err, sizeof err);
    if (tr == NULL) {
        status = cli_fatal("crmmap run", "%s", err);
        goto done;
    }
    run->tr = tr;
    run->in = input->in;
    struct stat sb;
    run->in_size = fstat(fileno(input->in), &sb) == 0 && S_ISREG(sb.st_mode) ? (long long)sb.st_size : 0;
    run->progress = !o->quiet && isatty(STDERR_FILENO);
    run->started = now_s();
    running = tr;
    catch_signals(on_signal);
    status = run_records(run, input);
    catch_signals(SIG_DFL);
    running = NULL;
    if (run->progress)
        fputs("\r\033[K", stderr);
    const TransferStats *s = transfer_stats(tr);
    const char *why = transfer_error(tr);
    if (!o->quiet)
        summary(s);
    if (why) {
        unsigned long long left = s->in - s->ok - s->partial - s->failed - s->skipped;
        status = cli_fatal("crmmap run", "%s\nhelp: %llu record(s) not settled; run again with --resume to send them",
                           why, left);
    } else if (status == EXIT_OK && s->failed > 0) {
        status = EXIT_PARTIAL;
        if (!o->quiet)
            fprintf(stderr, "crmmap run: %llu failed: see %s\n", (unsigned long long)s->failed, epath);
    }
done:
    transfer_free(tr);
    if (ef && !errfile_close(ef, err, sizeof err) && status != EXIT_FATAL)
        status = cli_fatal("crmmap run", "%s", err);
    journal_close(j);
    state_lock_release(lock);
    conn_free(c);
    crm_link_close(&link);
    return status;
}

/* N/SECONDS: at most N requests in any window of SECONDS. */
static bool parse_rate(const char *s, long *max, long *window_s)
{
    const char *slash = strchr(s, '/');
    if (slash == NULL || (size_t)(slash - s) >= 16)
        return false;
    char count[16];
    memcpy(count, s, (size_t)(slash - s));
    count[slash - s] = '\0';
    return cli_parse_long(count, 1, 100000, max) && cli_parse_long(slash + 1, 1, 86400, window_s);
}

enum { O_PARAM = 'P', O_DRY = 256, O_ERRORS, O_RESUME, O_JOURNAL, O_QUIET, O_BATCH, O_IN_FLIGHT, O_RATE, O_FORCE,
       O_BULK, O_BULK_THRESHOLD, O_BULK_POLL, O_BUDGET, O_MAX_CALLS };

/* The numeric flags: their range and where they go. */
static const struct {
    int opt;
    const char *name;
    long lo, hi;
    size_t at;
} number_flags[] = {
    { O_BATCH, "--batch-size", 1, 1000, offsetof(RunOpts, batch) },
    { O_IN_FLIGHT, "--in-flight", 1, 64, offsetof(RunOpts, in_flight) },
    { O_BULK_THRESHOLD, "--bulk-threshold", 1, 100000000, offsetof(RunOpts, bulk_threshold) },
    { O_BULK_POLL, "--bulk-poll-ms", 1, 600000, offsetof(RunOpts, bulk_poll_ms) },
    { O_MAX_CALLS, "--max-calls", 1, 1000000000, offsetof(RunOpts, max_calls) },
};

/* Numeric flag opt's value (optarg) into o: -1, or the usage error's exit status. */
static int number_flag(int opt, RunOpts *o)
{
    size_t i = 0;
    while (number_flags[i].opt != opt)
        i++;
    if (cli_parse_long(optarg, number_flags[i].lo, number_flags[i].hi, (long *)((char *)o + number_flags[i].at)))
        return -1;
    return cli_usage_error(&cmd_run, "%s '%s': a number from %ld to %ld", number_flags[i].name, optarg,
                           number_flags[i].lo, number_flags[i].hi);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "dry-run", no_argument, NULL, O_DRY },
        { "errors", required_argument, NULL, O_ERRORS },
        { "resume", no_argument, NULL, O_RESUME },
        { "journal", required_argument, NULL, O_JOURNAL },
        /* crm_link's connection flags, less --system and --api-version (the .mapc fixes both) */
        { "config", required_argument, NULL, CRM_O_CONFIG },
        { "url", required_argument, NULL, CRM_O_URL },
        { "token-env", required_argument, NULL, CRM_O_TOKEN_ENV },
        { "token-file", required_argument, NULL, CRM_O_TOKEN_FILE },
        { "plain-http", no_argument, NULL, CRM_O_PLAIN },
        { "verbose", no_argument, NULL, CRM_O_VERBOSE },
        { "timeout-ms", required_argument, NULL, CRM_O_TIMEOUT },
        { "retries", required_argument, NULL, CRM_O_RETRIES },
        { "quiet", no_argument, NULL, O_QUIET },
        { "batch-size", required_argument, NULL, O_BATCH },
        { "in-flight", required_argument, NULL, O_IN_FLIGHT },
        { "rate", required_argument, NULL, O_RATE },
        { "force", no_argument, NULL, O_FORCE },
        { "bulk", required_argument, NULL, O_BULK },
        { "bulk-threshold", required_argument, NULL, O_BULK_THRESHOLD },
        { "bulk-poll-ms", required_argument, NULL, O_BULK_POLL },
        { "budget", no_argument, NULL, O_BUDGET },
        { "max-calls", required_argument, NULL, O_MAX_CALLS },
        { "param", required_argument, NULL, O_PARAM },
        FETCH_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    RunOpts o;
    memset(&o, 0, sizeof o);
    o.bulk = TRANSFER_BULK_AUTO;
    crm_flags_begin(&o.crm);
    char err[300];
    int c, status;
    while ((c = crm_flags_next(&o.crm, argc, argv, "i:q", opts, err, sizeof err)) != -1) {
        switch (c) {
        case CRM_O_BAD: return cli_usage_error(&cmd_run, "%s", err);
        case 'i': o.input = optarg; break;
        case O_DRY: o.dry = true; break;
        case O_ERRORS: o.errors = optarg; break;
        case O_RESUME: o.resume = true; break;
        case O_JOURNAL: o.journal = optarg; break;
        case 'q':
        case O_QUIET: o.quiet = true; break;
        case O_FORCE: o.force = true; break;
        case O_BUDGET: o.budget = true; break;
        case O_PARAM:
            if (!param_cli_flag(optarg))
                return cli_usage_error(&cmd_run, "--param '%s': NAME=VALUE", optarg);
            break;
        case O_BATCH:
        case O_IN_FLIGHT:
        case O_BULK_THRESHOLD:
        case O_BULK_POLL:
        case O_MAX_CALLS:
            if ((status = number_flag(c, &o)) >= 0)
                return status;
            break;
        case O_BULK:
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0 && strcmp(optarg, "auto") != 0)
                return cli_usage_error(&cmd_run, "--bulk '%s': on, off or auto", optarg);
            o.bulk = optarg[1] == 'n' ? TRANSFER_BULK_ON : optarg[1] == 'f' ? TRANSFER_BULK_OFF : TRANSFER_BULK_AUTO;
            break;
        case O_RATE:
            if (!parse_rate(optarg, &o.rate_max, &o.rate_window_s))
                return cli_usage_error(&cmd_run, "--rate '%s': N/SECONDS, e.g. 100/10 (N from 1 to 100000, "
                                       "SECONDS from 1 to 86400)", optarg);
            break;
        case FETCH_O_ALLOW:
        case FETCH_O_MAX_BYTES:
            if (fetch_flags_take(&o.fetch, c, optarg, err, sizeof err) < 0)
                return cli_usage_error(&cmd_run, "%s", err);
            break;
        default: return cli_option_error(&cmd_run, c, argv);
        }
    }
    const char *path = mapc_cli_operand(&cmd_run, argc, argv, &status);
    if (path == NULL)
        return status;
    if (o.input == NULL)
        return cli_usage_error(&cmd_run, "no --input given");
    if (o.budget && !o.dry)
        return cli_usage_error(&cmd_run, "--budget goes with --dry-run (--max-calls N checks the estimate before "
                               "a run)");
    if (o.max_calls > 0 && (o.dry || strcmp(o.input, "-") == 0))
        return cli_usage_error(&cmd_run, "--max-calls needs a run that sends, from an input file (stdin cannot be "
                               "read twice: once for the estimate)");
    if (o.resume && strcmp(o.input, "-") == 0)
        return cli_usage_error(&cmd_run, "--resume needs an input file: stdin cannot be read again");
    Mapc *m = mapc_cli_load(path, &status);
    if (m == NULL)
        return status;
    RunInput in;
    if ((status = run_input_open(&in, o.input)) != EXIT_OK) {
        run_input_close(&in);
        mapc_free(m);
        return status;
    }
    Run r;
    memset(&r, 0, sizeof r);
    r.m = m;
    char *source = mapc_cli_source(path, m);
    r.source = source;
    if (o.dry && o.budget) {
        BudgetOptions bo = budget_options(&o);
        Budget *b = budget_cli_estimate(m, &in, &bo, &status);
        if (b) {
            budget_print(b, &r.out);
            flush(&r);
            budget_free(b);
        }
    } else if (o.dry) {
        status = run_records(&r, &in);
        if (!o.quiet)
            summary(&r.dry);
        if (status == EXIT_OK && r.failed)
            status = EXIT_PARTIAL;
    } else {
        status = transfer(&r, &o, path, &in);
    }
    run_input_close(&in);
    cm_buf_free(&r.out);
    cm_free(source);
    mapc_free(m);
    return status;
}

const Command cmd_run = {
    "run", "run a mapping on input records and send them to the CRM (--dry-run: print the payloads)",
    "Usage: crmmap run FILE.mapc|FILE.map --input FILE|- [--dry-run] [--errors FILE]\n"
    "         [--resume] [--journal FILE] [--config FILE] [--url BASE] [--token-env VAR]\n"
    "         [--token-file FILE] [--plain-http] [--quiet] [--verbose]\n"
    "         [--batch-size N] [--in-flight N] [--timeout-ms N] [--retries N]\n"
    "         [--rate N/SECONDS] [--force] [--bulk on|off|auto] [--bulk-threshold N]\n"
    "         [--bulk-poll-ms N] [--budget] [--max-calls N]\n"
    "         [--param NAME=VALUE]... [--fetch-allow HOST]... [--fetch-max-bytes N]\n"
    "\n"
    "Reads records (NDJSON, a JSON array, or CSV with a header row; - is stdin)\n"
    "or snapADDY's VisitReport export (a file: one record per report, as serve\n"
    "builds them), runs each entity of the mapping on each record and sends the results to the\n"
    "CRM in batches (docs/run.md). A .map is compiled in memory first.\n"
    "\n"
    "stdout: one JSON line per record and entity as it is settled:\n"
    "  {\"record\": 1, \"entity\": \"Contact\", \"state\": \"ok\", \"id\": \"003...\"}\n"
    "  state ok, failed, rejected (the mapping's reject) or skipped (its parent failed);\n"
    "  the CRM's message is only in the error file (it may quote the record).\n"
    "stderr: the summary `in=N ok=A partial=P failed=B skipped=C` (A+P+B+C=N; N\n"
    "counts each record once per entity that produced something; partial: sent\n"
    "without a field whose value could not be made or with an unknown option,\n"
    "each with a line in the error file; rejects count as failed), and on a\n"
    "terminal a progress line. --dry-run prints the summary too.\n"
    "\n"
    "Failed records go to the error file (NDJSON: record, entity, the CRM's code\n"
    "and message, the field and its .map line, the input and the payload). Every\n"
    "record and entity is journaled before it counts as done, so after a crash\n"
    "`--resume` sends nothing twice and loses nothing.\n"
    "Connection settings: crmmap.json next to the mapping, CRMMAP_* variables,\n"
    "then flags (docs/connections.md). Before sending, the CRM's current field\n"
    "definitions of the target entities are compared with what the mapping was\n"
    "checked against: drift stops the run (exit 4) unless --force (docs/doctor.md).\n"
    "Exit status: 0 every record transferred, 1 mapping or input unreadable,\n"
    "2 usage (and --max-calls refusing the run), 3 some records failed, 4 fatal\n"
    "(connection, authentication, schema drift, journal, --max-calls passed).\n"
    "With --dry-run: 3 when some records were rejected, skipped or malformed.\n"
    "\n"
    "Options:\n"
    "  -i, --input FILE    the records, or a VisitReport export; - for stdin\n"
    "  --dry-run           print what would be sent (docs/bytecode.md), send nothing\n"
    "  --errors FILE       the error file (default crmmap-errors.ndjson; a fresh run\n"
    "                      empties it, --resume appends)\n"
    "  --journal FILE      the journal (default crmmap.journal, SQLite)\n"
    "  --resume            continue the run of this mapping on this input: settled\n"
    "                      records are not sent again, interrupted ones are resent\n"
    "  --config FILE       connection settings (default: crmmap.json next to the mapping,\n"
    "                      which may name only the vendor's hosts)\n"
    "  --url BASE          the CRM's base URL\n"
    "  --token-env VAR     the bearer token is in this environment variable\n"
    "  --token-file FILE   the bearer token is in this file (mode 0600)\n"
    "  --plain-http        allow http:// to a loopback address (test servers)\n"
    "  -q, --quiet         no progress line, no summary\n"
    "  --verbose           print each request (the token, queries and keys redacted)\n"
    "  --batch-size N      records per request (default: the CRM's limit per object)\n"
    "  --in-flight N       requests at once (default 4)\n"
    "  --timeout-ms N      give up on a request after N ms (default 120000)\n"
    "  --retries N         attempts per request (default 6)\n"
    "  --rate N/SECONDS    at most N requests in any SECONDS (default: HubSpot 90/10,\n"
    "                      Dynamics 5000/300, Salesforce none)\n"

    "  --force             skip the drift check: send even if the CRM's field\n"
    "                      definitions changed since the mapping was checked\n"
    "  --bulk on|off|auto  creates and upserts as the CRM's bulk jobs (Salesforce\n"
    "                      Bulk API 2.0): always, never, or (default) for an entity\n"
    "                      with at least --bulk-threshold records in a window\n"
    "  --bulk-threshold N  records of an entity that make auto use bulk (default 2000)\n"
    "  --bulk-poll-ms N    first wait before asking whether a job ended (default\n"
    "                      1000, doubling)\n"
    "  --budget            with --dry-run: instead of the payloads, the API calls a\n"
    "                      run would make, per entity and kind (an estimate)\n"
    "  --max-calls N       refuse to start (exit 2) when that estimate is above N;\n"
    "                      stop (exit 4, --resume continues) once the calls made,\n"
    "                      retries included, pass N\n"
    "  --param NAME=VALUE  the mapping's param NAME for this run, read as its type\n"
    "                      (repeatable; wins over the connection file's \"params\")\n"
    FETCH_HELP(""),
    run,
};
