/* serve_status: GET /status's JSON (serve.h, docs/serve.md "GET /status"):
 * the mapping in use and the last reload, the overall state and each
 * component's with its error, the queue and the
 * age of its oldest record, the answers by status, the failed
 * authorizations, and the counters of the intake, the retention and the
 * sender. */
#include <string.h>
#include <time.h>

#include "serve.h"

static void put_time(CmBuf *out, int64_t t)
{
    if (t == 0) {
        cm_buf_puts(out, "null");
        return;
    }
    char when[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof when, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
    cm_buf_puts(out, when);
}

/* A string, or null when it is empty. */
static void put_text(CmBuf *out, const char *s)
{
    if (s[0])
        cm_buf_put_json_string(out, s, strlen(s));
    else
        cm_buf_puts(out, "null");
}

static void put_components(CmBuf *out, const ServeHealth *h)
{
    cm_buf_puts(out, "\"components\": {");
    for (int i = 0; i < PART_COUNT; i++) {
        const HealthComponent *c = &h->part[i];
        cm_buf_printf(out, "%s\"%s\": {\"state\": \"%s\", \"since\": ", i ? ", " : "",
                      serve_health_part_name((HealthPart)i), serve_health_name(c->state));
        put_time(out, c->since);
        cm_buf_puts(out, ", \"last_error\": ");
        put_text(out, c->error);
        cm_buf_puts(out, ", \"last_error_at\": ");
        put_time(out, c->error_at);
        cm_buf_printf(out, ", \"errors\": %llu}", (unsigned long long)c->errors);
    }
    cm_buf_puts(out, "}, ");
}

static void put_answers(CmBuf *out, const ServeHealth *h)
{
    cm_buf_puts(out, "\"answers\": {");
    const char *sep = "";
    for (int i = 0; i < HEALTH_CODES; i++) {
        if (h->answers[i] == 0)
            continue;
        if (health_codes[i])
            cm_buf_printf(out, "%s\"%u\": %llu", sep, health_codes[i], (unsigned long long)h->answers[i]);
        else
            cm_buf_printf(out, "%s\"other\": %llu", sep, (unsigned long long)h->answers[i]);
        sep = ", ";
    }
    cm_buf_printf(out, "}, \"auth\": {\"failed\": %llu, \"limited\": %llu}, ", (unsigned long long)h->auth_failed,
                  (unsigned long long)h->auth_limited);
}

/* The last SIGHUP: when, and whether every part was taken. */
static void put_reload(CmBuf *out, const ServeReloaded *r)
{
    cm_buf_printf(out, "\"reload\": {\"count\": %llu, \"failed\": %llu, \"last_at\": ", (unsigned long long)r->count,
                  (unsigned long long)r->failed);
    put_time(out, r->at);
    cm_buf_printf(out, ", \"last_result\": %s, \"last_error\": ", r->at == 0 ? "null" : r->ok ? "\"ok\"" : "\"failed\"");
    put_text(out, r->error);
    cm_buf_puts(out, "}, ");
}

void serve_view(Serve *s, ServeView *v)
{
    memset(v, 0, sizeof *v);
    v->counted = inbox_counts(s->inbox, &v->inbox);
    pthread_mutex_lock(&s->stats.lock);
    memcpy(&v->stats, &s->stats, sizeof v->stats);
    pthread_mutex_unlock(&s->stats.lock);
    serve_health_snapshot(&s->health, &v->health);
    v->now = (int64_t)time(NULL);
    v->oldest_pending_s = -1;
    if (v->counted && v->inbox.pending > 0)
        v->oldest_pending_s = v->inbox.oldest && v->now > v->inbox.oldest ? v->now - v->inbox.oldest : 0;
}

void serve_status_json(Serve *s, CmBuf *out)
{
    ServeView v;
    serve_view(s, &v);
    const ServeStats *st = &v.stats;
    const ServeHealth *h = &v.health;
    cm_buf_printf(out, "{\"status\": \"%s\", \"version\": \"%s\", \"uptime_s\": %lld, ",
                  serve_health_name(serve_health_overall(h)), CRMMAP_VERSION, (long long)(v.now - st->started_at));
    ServeMapping *sm = serve_mapping_get(&s->mapping);
    cm_buf_printf(out, "\"mapping\": \"%s\", ", sm->id);
    serve_mapping_unref(sm);
    put_reload(out, &st->reloaded);
    put_components(out, h);
    if (v.counted) {
        cm_buf_printf(out, "\"queue\": {\"pending\": %llu, \"total\": %llu, \"storing\": %llu, \"oldest_pending_s\": ",
                      (unsigned long long)v.inbox.pending, (unsigned long long)v.inbox.total,
                      (unsigned long long)st->storing);
        if (v.oldest_pending_s >= 0)
            cm_buf_printf(out, "%lld}, ", (long long)v.oldest_pending_s);
        else
            cm_buf_puts(out, "null}, ");
    } else {
        cm_buf_puts(out, "\"queue\": null, ");
    }
    cm_buf_printf(out, "\"retention\": {\"retain_s\": %lld, \"kept\": ", (long long)s->retain_s);
    if (v.counted)
        cm_buf_printf(out, "%llu", (unsigned long long)v.inbox.kept);
    else
        cm_buf_puts(out, "null");
    cm_buf_printf(out, ", \"pruned\": %llu, \"steps\": %llu, \"step_last_ms\": %.2f, \"step_max_ms\": %.2f}, ",
                  (unsigned long long)st->pruned, (unsigned long long)st->prune_steps,
                  (double)st->prune_last_us / 1000.0, (double)st->prune_max_us / 1000.0);
    cm_buf_printf(out,
                  "\"requests\": %llu, \"records\": {\"accepted\": %llu, \"duplicates\": %llu, \"rejected\": %llu, "
                  "\"sent\": %llu}, \"units\": {\"ok\": %llu, \"partial\": %llu, \"failed\": %llu, \"skipped\": %llu}, ",
                  (unsigned long long)st->requests, (unsigned long long)st->accepted,
                  (unsigned long long)st->duplicates, (unsigned long long)st->rejected, (unsigned long long)st->batch_records,
                  (unsigned long long)st->sent_ok, (unsigned long long)st->sent_partial,
                  (unsigned long long)st->sent_failed,
                  (unsigned long long)st->sent_skipped);
    put_answers(out, h);
    const HealthComponent *crm = &h->part[PART_CRM];
    cm_buf_printf(out, "\"crm\": {\"requests\": %llu, \"retries\": %llu, \"batches\": %llu, \"average_batch\": %.1f, "
                  "\"answers\": {", (unsigned long long)st->crm_requests, (unsigned long long)h->crm_retries,
                  (unsigned long long)st->batches, st->batches ? (double)st->batch_records / (double)st->batches : 0.0);
    for (size_t i = 0; i < h->ncrm; i++) {
        char label[24];
        cm_buf_printf(out, "%s\"%s\": %llu", i ? ", " : "", serve_health_crm_label(h->crm[i].code, label, sizeof label),
                      (unsigned long long)h->crm[i].count);
    }
    cm_buf_puts(out, "}, \"last_error\": ");
    put_text(out, crm->error);
    cm_buf_puts(out, ", \"last_error_at\": ");
    put_time(out, crm->error_at);
    cm_buf_puts(out, "}, ");
    if (st->rate_max > 0)
        cm_buf_printf(out, "\"rate_limit\": {\"requests\": %d, \"window_ms\": %lld}}\n", st->rate_max,
                      (long long)st->rate_window_ms);
    else
        cm_buf_puts(out, "\"rate_limit\": null}\n");
}
