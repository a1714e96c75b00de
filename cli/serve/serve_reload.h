/* serve_reload: what `crmmap serve` does on SIGHUP (docs/serve.md,
 * "Reloading"): reads the webhook secrets again (one or two, for a
 * rotation) and reopens the error file (logrotate's convention: the
 * rotated file is flushed and closed, new lines go to a new file at the
 * same path). A part that cannot be reloaded keeps what it had and says
 * why on stderr; requests under way and accepted records are not
 * touched. */
#ifndef SERVE_RELOAD_H
#define SERVE_RELOAD_H

#include "serve.h"

typedef struct ServeReloadConfig {
    const char *auth_env, *auth_file;   /* where the webhook secrets are */
} ServeReloadConfig;

/* True when every part was reloaded. */
bool serve_reload(Serve *s, const ServeReloadConfig *rc);

#endif
