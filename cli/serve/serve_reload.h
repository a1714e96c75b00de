/* serve_reload: what `crmmap serve` does on SIGHUP (docs/serve.md,
 * "Reloading"), in this order:
 *   - the webhook secrets, read again (one or two, for a rotation);
 *   - the TLS certificate and key (certbot renews them in place): new
 *     handshakes get the new pair, open connections keep theirs;
 *   - the CRM token file: the sender's next requests carry the new token,
 *     requests in flight finish with the old one, and a sender waiting out
 *     a CRM error (a refused token) tries again at once;
 *   - the mapping: loaded, verified and drift-checked as at start (unless
 *     --force), then made current — the intake checks the next request
 *     with it, the sender moves to it between rounds (serve_sender.h);
 *   - the error file, reopened (logrotate's convention: the rotated file is
 *     flushed and closed, new lines go to a new file at the same path).
 * Each part logs one line: what it took, or why it refused and what to do.
 * A part that cannot be reloaded keeps what it had; requests under way
 * and accepted records are not touched. The outcome is kept for /status
 * and /metrics. */
#ifndef SERVE_RELOAD_H
#define SERVE_RELOAD_H

#include "auth.h"
#include "serve.h"
#include "serve_http.h"

typedef struct ServeReloadConfig {
    const char *auth_env, *auth_file;   /* where the webhook secrets are */
    ServeHttp *http;                    /* its TLS files */
    Auth *auth;                         /* the CRM token, from crm's source */
    const ConnConfig *crm;
    const char *crm_file;               /* where crm was read: its params apply to a new mapping too */
    const char *mapping;                /* the .map or .mapc serve was given */
    const char *inbox_path;             /* for the new mapping's journal run key */
    /* The drift check of a new mapping, as at start (NULL: --force). */
    int (*drift)(void *ctx, const Mapc *m, const char *path);
    void *drift_ctx;
} ServeReloadConfig;

/* True when every part was reloaded. */
bool serve_reload(Serve *s, const ServeReloadConfig *rc);

#endif
