/* serve_health: what `crmmap serve` knows about its own health, for
 * /healthz, /readyz, /status and /metrics (docs/serve.md, "Health") — the
 * state of each component with the reason, the HTTP answers by status, the
 * failed authorizations, the accept latency, and the CRM's answers by
 * status. A component that fails or becomes degraded logs why (repeats
 * collapse in slog.h); one that recovers from failing logs one line. Its
 * error is cleared on recovery.
 * Safe from any thread. */
#ifndef SERVE_HEALTH_H
#define SERVE_HEALTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum HealthState { HEALTH_OK, HEALTH_DEGRADED, HEALTH_FAILING } HealthState;
/* intake: the HTTP front takes requests (failing while stopping); inbox:
 * records can be stored (failing when a commit fails or the inbox is full);
 * crm: the sender reaches the CRM (degraded: it needed retries; failing: a
 * round failed, e.g. the token is refused or the CRM is down). */
typedef enum HealthPart { PART_INTAKE, PART_INBOX, PART_CRM, PART_COUNT } HealthPart;

typedef struct HealthComponent {
    HealthState state;
    char error[320];            /* why it is not ok; "" when it is */
    int64_t error_at;           /* unix seconds of that error */
    int64_t since;              /* unix seconds: when the state began */
    uint64_t errors;            /* errors counted since the start */
} HealthComponent;

/* The answers serve gives, by status; the last slot counts any other. */
#define HEALTH_CODES 14
extern const unsigned health_codes[HEALTH_CODES];
/* Upper bounds (seconds) of the accept-latency histogram's buckets. */
#define HEALTH_BUCKETS 12
extern const double health_buckets[HEALTH_BUCKETS];
/* Distinct CRM answers counted: an HTTP status, or -TxError (no answer). */
#define HEALTH_CRM_CODES 24

typedef struct HealthCrmCode {
    int code;
    uint64_t count;
} HealthCrmCode;

typedef struct ServeHealth {
    pthread_mutex_t lock;
    HealthComponent part[PART_COUNT];
    uint64_t answers[HEALTH_CODES];
    uint64_t auth_failed;       /* a missing or wrong Authorization (401) */
    uint64_t auth_limited;      /* refused for too many of them (429) */
    uint64_t latency[HEALTH_BUCKETS + 1];   /* POSTs answered, per bucket (+Inf last) */
    double latency_sum;
    HealthCrmCode crm[HEALTH_CRM_CODES];
    size_t ncrm;
    uint64_t crm_attempts;      /* CRM requests, each retry counted */
    uint64_t crm_retries;
    uint64_t crm_attempts_seen; /* crm_attempts at the last round's end */
    /* The CRM's last answer refused the credentials (401 or 403): only an
     * operator can mend that, so /healthz says so (docs/serve.md, "Health"). */
    bool crm_refused_credentials;
} ServeHealth;

void serve_health_init(ServeHealth *h, int64_t now);
void serve_health_destroy(ServeHealth *h);

/* Sets a component's state; reason is required unless state is HEALTH_OK. */
void serve_health_set(ServeHealth *h, HealthPart part, HealthState state, const char *reason);
/* serve is stopping: the intake is failing, as planned (not logged). */
void serve_health_stopping(ServeHealth *h);
/* An answer given; post: a request with a body (its latency counts). */
void serve_health_answer(ServeHealth *h, unsigned status, bool post, double seconds);
/* A CRM answer (status > 0) or failure (-TxError). */
void serve_health_crm_answer(ServeHealth *h, int code);
/* The CRM requests an engine round sent (retries excluded): what else the
 * transport carried were retries; returns how many. */
uint64_t serve_health_crm_round(ServeHealth *h, uint64_t requests);
/* A copy taken under the lock. */
void serve_health_snapshot(ServeHealth *h, ServeHealth *out);

/* The worst state of all components. */
HealthState serve_health_overall(const ServeHealth *snap);
const char *serve_health_name(HealthState s);
const char *serve_health_part_name(HealthPart p);
/* A CRM answer code as a label: "200", or "connect", "timeout", ... */
const char *serve_health_crm_label(int code, char *buf, size_t len);

#endif
