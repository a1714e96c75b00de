/* serve_reload: see serve_reload.h. */
#include "serve_reload.h"

#include <stdio.h>

bool serve_reload(Serve *s, const ServeReloadConfig *rc)
{
    char err[600];
    bool ok = true;
    size_t n = 0;
    if (serve_secrets_load(&s->secrets, rc->auth_env, rc->auth_file, &n, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: SIGHUP: %zu webhook secret%s accepted\n", n, n == 1 ? "" : "s");
    } else {
        fprintf(stderr, "crmmap serve: error: SIGHUP: %s\n  help: the secrets accepted before stay; fix the file "
                "and send SIGHUP again\n", err);
        ok = false;
    }
    if (errfile_reopen(s->ef, err, sizeof err)) {
        fprintf(stderr, "crmmap serve: SIGHUP: error file reopened\n");
    } else {
        fprintf(stderr, "crmmap serve: error: SIGHUP: %s\n  help: failed records go on to the file open before\n",
                err);
        ok = false;
    }
    return ok;
}
