/* serve_secret: the webhook secrets `crmmap serve` accepts in the
 * Authorization header (docs/serve.md, "Rotating the secret"). The
 * --auth-file (or --auth-env value) holds one secret a line, at most two:
 * during a rotation both the old and the new one are accepted, until the
 * old line is removed and serve reloaded (SIGHUP). Only SHA-256 digests of
 * the accepted values ("SECRET" and "Bearer SECRET") are kept, compared in
 * constant time; a reload swaps them under a lock while requests are
 * checked. */
#ifndef SERVE_SECRET_H
#define SERVE_SECRET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Secrets in one file at most. */
#define SERVE_SECRETS_MAX 2
/* The shortest secret taken: 128 bits as hex. */
#define SERVE_SECRET_MIN 32

typedef struct ServeSecrets {
    pthread_mutex_t lock;
    unsigned char want[2 * SERVE_SECRETS_MAX][32];  /* digests of "SECRET" and "Bearer SECRET" */
    size_t n;                                       /* digests in use */
} ServeSecrets;

void serve_secrets_init(ServeSecrets *ss);
void serve_secrets_destroy(ServeSecrets *ss);
/* Reads the secrets from file (when not NULL) or from the environment
 * variable env and makes them the accepted ones. False with the reason
 * (the secrets accepted before stay). *count gets how many were read. */
bool serve_secrets_load(ServeSecrets *ss, const char *env, const char *file, size_t *count, char *err,
                        size_t errlen);
/* Whether an Authorization header value is one of the accepted ones. */
bool serve_secrets_match(ServeSecrets *ss, const char *value);

#endif
