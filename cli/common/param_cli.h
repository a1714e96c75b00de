/* param_cli: the values a run gives a mapping's params — `--param NAME=VALUE`
 * flags (run, test, plan, serve) and a connection file's "params" — applied
 * once to a loaded mapping, the flag winning over the file. A name the
 * mapping has no param of, or a value not of the param's type, is reported
 * with a help and is a usage error: a run never falls back to the default. */
#ifndef PARAM_CLI_H
#define PARAM_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "mapc.h"

/* Keeps a --param flag's value (argv's string, not copied) for every later
 * load in this process; false when it is no NAME=VALUE. */
bool param_cli_flag(const char *arg);

/* Sets m's params: first the n NAME, VALUE pairs of a connection file (from,
 * for messages; may be 0), then the flags. Reports to stderr as "WHERE:
 * error: ..." and returns false on the first wrong one. */
bool param_cli_apply(Mapc *m, const char *where, const char *const *file_pairs, size_t n, const char *from);

#endif
