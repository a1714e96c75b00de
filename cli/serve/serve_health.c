/* serve_health: see serve_health.h. */
#include "serve_health.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "slog.h"
#include "transport.h"

const unsigned health_codes[HEALTH_CODES] = { 200, 202, 400, 401, 403, 404, 405, 413, 422, 429, 500, 503, 507, 0 };
/* From a group commit on a quiet machine (about 1 ms) to a busy wait on a
 * locked inbox (10 s). */
const double health_buckets[HEALTH_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1,   0.25,   0.5,   1.0,  2.5,   10.0 };

static const char *const part_names[PART_COUNT] = { "intake", "inbox", "crm" };
static const char *const state_names[] = { "ok", "degraded", "failing" };

void serve_health_init(ServeHealth *h, int64_t now)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    for (int i = 0; i < PART_COUNT; i++)
        h->part[i].since = now;
}

void serve_health_destroy(ServeHealth *h)
{
    pthread_mutex_destroy(&h->lock);
}

void serve_health_set(ServeHealth *h, HealthPart part, HealthState state, const char *reason)
{
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&h->lock);
    HealthComponent *c = &h->part[part];
    HealthState was = c->state;
    int64_t since = c->since;
    char last[sizeof c->error];
    memcpy(last, c->error, sizeof last);
    if (state != was)
        c->since = now;
    c->state = state;
    if (state == HEALTH_OK) {
        c->error[0] = '\0';
        c->error_at = 0;
    } else {
        snprintf(c->error, sizeof c->error, "%s", reason);
        c->error_at = now;
        c->errors++;
    }
    pthread_mutex_unlock(&h->lock);
    const char *name = part_names[part];
    /* Entering a bad state logs every time (repeats collapse); leaving
     * one logs once, and only after a failure: a degraded CRM flips back
     * and forth with its transient answers. */
    if (state == HEALTH_FAILING || (state == HEALTH_DEGRADED && was == HEALTH_OK)) {
        SlogField f[] = { SLOG_S("component", name), SLOG_S("state", state_names[state]) };
        slog_fields(state == HEALTH_FAILING ? SLOG_ERROR : SLOG_WARN, NULL, reason, f, 2);
    } else if (was == HEALTH_FAILING) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s recovered", name);
        SlogField f[] = { SLOG_S("component", name), SLOG_S("was", state_names[was]),
                          SLOG_I("after_s", now - since), SLOG_S("last_error", last) };
        slog_fields(SLOG_INFO, NULL, msg, f, 4);
    }
}

void serve_health_stopping(ServeHealth *h)
{
    pthread_mutex_lock(&h->lock);
    HealthComponent *c = &h->part[PART_INTAKE];
    c->state = HEALTH_FAILING;
    c->since = (int64_t)time(NULL);
    snprintf(c->error, sizeof c->error, "stopping");
    c->error_at = c->since;
    pthread_mutex_unlock(&h->lock);
}

void serve_health_answer(ServeHealth *h, unsigned status, bool post, double seconds)
{
    size_t i = 0;
    while (i < HEALTH_CODES - 1 && health_codes[i] != status)
        i++;
    pthread_mutex_lock(&h->lock);
    h->answers[i]++;
    if (status == 401)
        h->auth_failed++;
    else if (status == 429)
        h->auth_limited++;
    if (post) {
        size_t b = 0;
        while (b < HEALTH_BUCKETS && seconds > health_buckets[b])
            b++;
        h->latency[b]++;
        h->latency_sum += seconds;
    }
    pthread_mutex_unlock(&h->lock);
}

void serve_health_crm_answer(ServeHealth *h, int code)
{
    pthread_mutex_lock(&h->lock);
    h->crm_attempts++;
    if (code == 401 || code == 403)
        h->crm_refused_credentials = true;
    else if (code >= 200 && code < 300)
        h->crm_refused_credentials = false;
    size_t i = 0;
    while (i < h->ncrm && h->crm[i].code != code)
        i++;
    /* A CRM has few answers; should it give more, the last slot counts
     * the rest (code 0). */
    if (i == h->ncrm && h->ncrm < HEALTH_CRM_CODES - 1) {
        h->crm[h->ncrm++].code = code;
    } else if (i == h->ncrm) {
        i = HEALTH_CRM_CODES - 1;
        h->crm[i].code = 0;
        h->ncrm = HEALTH_CRM_CODES;
    }
    h->crm[i].count++;
    pthread_mutex_unlock(&h->lock);
}

uint64_t serve_health_crm_round(ServeHealth *h, uint64_t requests)
{
    pthread_mutex_lock(&h->lock);
    uint64_t carried = h->crm_attempts - h->crm_attempts_seen;
    uint64_t retries = carried > requests ? carried - requests : 0;
    h->crm_retries += retries;
    h->crm_attempts_seen = h->crm_attempts;
    pthread_mutex_unlock(&h->lock);
    return retries;
}

void serve_health_snapshot(ServeHealth *h, ServeHealth *out)
{
    pthread_mutex_lock(&h->lock);
    memcpy(out, h, sizeof *out);
    pthread_mutex_unlock(&h->lock);
}

HealthState serve_health_overall(const ServeHealth *snap)
{
    HealthState worst = HEALTH_OK;
    for (int i = 0; i < PART_COUNT; i++)
        if (snap->part[i].state > worst)
            worst = snap->part[i].state;
    return worst;
}

const char *serve_health_name(HealthState s)
{
    return state_names[s];
}

const char *serve_health_part_name(HealthPart p)
{
    return part_names[p];
}

const char *serve_health_crm_label(int code, char *buf, size_t len)
{
    static const char *const kinds[] = { "ok", "connect", "timeout", "reset", "tls", "too_large", "other" };
    if (code > 0)
        snprintf(buf, len, "%d", code);
    else if (code == 0)
        snprintf(buf, len, "others");
    else
        snprintf(buf, len, "%s", -code < TX_OTHER + 1 ? kinds[-code] : "other");
    return buf;
}
