/* serve_reload: see serve_reload.h. */
#include "serve_reload.h"

#include "slog.h"

bool serve_reload(Serve *s, const ServeReloadConfig *rc)
{
    char err[600];
    bool ok = true;
    size_t n = 0;
    if (serve_secrets_load(&s->secrets, rc->auth_env, rc->auth_file, &n, err, sizeof err)) {
        slog(SLOG_INFO, "SIGHUP: %zu webhook secret%s accepted", n, n == 1 ? "" : "s");
    } else {
        slog(SLOG_ERROR, "SIGHUP: %s\nhelp: the secrets accepted before stay; fix the file and send SIGHUP again", err);
        ok = false;
    }
    if (errfile_reopen(s->ef, err, sizeof err)) {
        slog(SLOG_INFO, "SIGHUP: error file reopened");
    } else {
        slog(SLOG_ERROR, "SIGHUP: %s\nhelp: failed records go on to the file open before", err);
        ok = false;
    }
    return ok;
}
