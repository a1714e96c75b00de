/* serve_metrics: GET /metrics in the Prometheus text exposition format
 * 0.0.4 (serve.h, docs/serve.md "GET /metrics"): one HELP and TYPE line
 * per family before its samples, counters named _total, the accept latency
 * as a histogram (cumulative _bucket{le}, _sum, _count). The values are
 * those of /status, read at the same moment. Label values are codes and
 * names crmmap chooses, but are escaped all the same. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve.h"

static void family(CmBuf *out, const char *name, const char *type, const char *help)
{
    cm_buf_printf(out, "# HELP crmmap_serve_%s %s\n# TYPE crmmap_serve_%s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and line feed escaped. */
static void put_label(CmBuf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            cm_buf_printf(out, "\\%c", *v);
        else if (*v == '\n')
            cm_buf_puts(out, "\\n");
        else
            cm_buf_putc(out, *v);
    }
}

static void sample(CmBuf *out, const char *name, const char *label, const char *value, unsigned long long n)
{
    cm_buf_printf(out, "crmmap_serve_%s", name);
    if (label) {
        cm_buf_printf(out, "{%s=\"", label);
        put_label(out, value);
        cm_buf_puts(out, "\"}");
    }
    cm_buf_printf(out, " %llu\n", n);
}

static void counter(CmBuf *out, const char *name, const char *help, unsigned long long n)
{
    family(out, name, "counter", help);
    sample(out, name, NULL, NULL, n);
}

static void gauge(CmBuf *out, const char *name, const char *help, unsigned long long n)
{
    family(out, name, "gauge", help);
    sample(out, name, NULL, NULL, n);
}

static void put_health(CmBuf *out, const ServeHealth *h)
{
    family(out, "component_state", "gauge",
           "1 for the state each component is in (ok, degraded, failing), 0 for the others.");
    for (int p = 0; p < PART_COUNT; p++)
        for (int s = HEALTH_OK; s <= HEALTH_FAILING; s++)
            cm_buf_printf(out, "crmmap_serve_component_state{component=\"%s\",state=\"%s\"} %d\n",
                          serve_health_part_name((HealthPart)p), serve_health_name((HealthState)s),
                          h->part[p].state == (HealthState)s);
    family(out, "component_errors_total", "counter", "Errors each component reported.");
    for (int p = 0; p < PART_COUNT; p++)
        sample(out, "component_errors_total", "component", serve_health_part_name((HealthPart)p), h->part[p].errors);
    family(out, "http_responses_total", "counter", "HTTP answers serve gave, by status code.");
    for (int i = 0; i < HEALTH_CODES; i++) {
        char code[16];
        snprintf(code, sizeof code, "%u", health_codes[i]);
        sample(out, "http_responses_total", "code", health_codes[i] ? code : "other", h->answers[i]);
    }
    counter(out, "auth_failures_total", "Requests with a missing or wrong Authorization header (401).",
            h->auth_failed);
    counter(out, "auth_limited_total", "Requests refused for too many failed authorizations from their address (429).",
            h->auth_limited);
    family(out, "accept_latency_seconds", "histogram",
           "Time from a POST's headers to its answer (stored, duplicate or refused).");
    unsigned long long cum = 0;
    for (int b = 0; b <= HEALTH_BUCKETS; b++) {
        cum += h->latency[b];
        if (b < HEALTH_BUCKETS)
            cm_buf_printf(out, "crmmap_serve_accept_latency_seconds_bucket{le=\"%g\"} %llu\n", health_buckets[b], cum);
        else
            cm_buf_printf(out, "crmmap_serve_accept_latency_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    }
    cm_buf_printf(out, "crmmap_serve_accept_latency_seconds_sum %.6f\n", h->latency_sum);
    cm_buf_printf(out, "crmmap_serve_accept_latency_seconds_count %llu\n", cum);
    family(out, "crm_responses_total", "counter",
           "Answers of the CRM by HTTP status code, or the failure when none came (connect, timeout, reset, ...).");
    for (size_t i = 0; i < h->ncrm; i++) {
        char label[24];
        sample(out, "crm_responses_total", "code", serve_health_crm_label(h->crm[i].code, label, sizeof label),
               h->crm[i].count);
    }
    counter(out, "crm_retries_total", "CRM requests sent again after a transient failure.", h->crm_retries);
}

void serve_metrics_text(Serve *s, CmBuf *out)
{
    ServeView v;
    serve_view(s, &v);
    const ServeStats *st = &v.stats;
    family(out, "build_info", "gauge", "The version of crmmap serving; always 1.");
    sample(out, "build_info", "version", CRMMAP_VERSION, 1);
    gauge(out, "start_time_seconds", "When serve started, in Unix seconds.", (unsigned long long)st->started_at);
    /* As Prometheus reports its own configuration reloads. */
    counter(out, "reloads_total", "SIGHUP reloads.", st->reloaded.count);
    counter(out, "reload_failures_total", "SIGHUP reloads of which a part was refused.", st->reloaded.failed);
    gauge(out, "reload_last_time_seconds", "When the last reload was, in Unix seconds (0: none).",
          (unsigned long long)st->reloaded.at);
    gauge(out, "reload_last_successful", "1 when every part of the last reload was taken (or none yet), else 0.",
          st->reloaded.at == 0 || st->reloaded.ok ? 1u : 0u);
    put_health(out, &v.health);
    counter(out, "requests_total", "POST requests answered after the intake.", st->requests);
    family(out, "records_total", "counter", "Records by what became of them: accepted (stored), duplicate, "
                                            "rejected (by the mapping), sent (settled by the sender).");
    sample(out, "records_total", "outcome", "accepted", st->accepted);
    sample(out, "records_total", "outcome", "duplicate", st->duplicates);
    sample(out, "records_total", "outcome", "rejected", st->rejected);
    sample(out, "records_total", "outcome", "sent", st->batch_records);
    family(out, "units_total", "counter", "Records x entities the sender settled, by outcome (partial: sent without "
                                          "some value, docs/run.md).");
    sample(out, "units_total", "outcome", "ok", st->sent_ok);
    sample(out, "units_total", "outcome", "partial", st->sent_partial);
    sample(out, "units_total", "outcome", "failed", st->sent_failed);
    sample(out, "units_total", "outcome", "skipped", st->sent_skipped);
    counter(out, "crm_requests_total", "CRM requests the sender made, retries excluded.", st->crm_requests);
    counter(out, "crm_rounds_total", "Rounds of the sender that settled records.", st->batches);
    counter(out, "retention_pruned_total", "Inbox rows the retention deleted.", st->pruned);
    if (v.counted) {
        gauge(out, "inbox_pending", "Records accepted and not yet settled: the queue depth.", v.inbox.pending);
        gauge(out, "inbox_kept", "Records settled and kept for duplicate detection.", v.inbox.kept);
        gauge(out, "inbox_oldest_pending_age_seconds", "Age of the oldest pending record (0: none pending).",
              v.oldest_pending_s > 0 ? (unsigned long long)v.oldest_pending_s : 0);
    }
    gauge(out, "requests_storing", "POSTs waiting for their records to be stored.", st->storing);
}
