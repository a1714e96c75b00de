/* cli: the crmmap command line. Each command lives in cli/cmd_NAME.c and is
 * listed once in cli/commands.c; this header holds what they share. */
#ifndef CLI_H
#define CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* Exit codes of docs/run.md. */
enum {
    EXIT_OK = 0,
    EXIT_CHECK = 1,     /* check errors, test failures, bad input files */
    EXIT_USAGE = 2,
    EXIT_PARTIAL = 3,   /* some records failed */
    EXIT_FATAL = 4,     /* connection, auth, schema drift, out of memory */
    EXIT_RETRY = 5      /* serve: busy or unreachable now (port, state directory, CRM): start again later */
};

typedef struct Command {
    const char *name;
    const char *summary;    /* one line for `crmmap --help` */
    const char *usage;      /* full text for `crmmap NAME --help` */
    int (*run)(int argc, char **argv);  /* argv[0] is the command name */
} Command;

extern const Command *const cli_commands[];
extern const size_t cli_ncommands;

/* Prints "crmmap NAME: MESSAGE" and the command's usage line to stderr; returns EXIT_USAGE. */
int cli_usage_error(const Command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "WHO: error: MESSAGE" to stderr; returns EXIT_FATAL. */
int cli_fatal(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_vfatal(const char *who, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* True when argv holds -h or --help (before any "--"). */
bool cli_wants_help(int argc, char **argv);
/* Prints the command's usage to stdout; returns EXIT_OK. */
int cli_print_help(const Command *cmd);

/* Reads at most max bytes of a file (or stdin for "-"); stops there rather
 * than failing, so an oversized file still gets a diagnostic with a
 * position. On failure returns NULL and sets *err to the errno. */
char *cli_read_prefix(const char *path, size_t max, size_t *len, int *err);
/* The same from a stream already open (the caller closes it). */
char *cli_read_stream_prefix(FILE *f, size_t max, size_t *len, int *err);

/* Reads a whole file (or stdin for "-") of at most max bytes. On failure
 * returns NULL and sets *err to a static description. */
char *cli_read_file(const char *path, size_t max, size_t *len, const char **err);

/* Colour for diagnostics on stderr: only on a TTY, never with NO_COLOR. */
bool cli_color_stderr(void);

/* Renders the sink to stderr (text) or stdout (json, sarif, github). */
void cli_render_diags(const DiagSink *sink, DiagFormat fmt);

/* Replaces path's content with data[0..len) through a temporary file in the
 * same folder, fsync and a rename, so a crash or a failed write leaves the
 * old file or the new one, never half of either. The file gets mode (e.g. an
 * existing file's) when mode_from_umask is false, else 0666 less the umask.
 * On failure returns false with *err a static description. */
bool cli_write_atomic(const char *path, const char *data, size_t len, unsigned mode, bool mode_from_umask,
                      const char **err);

/* A whole decimal number in [lo, hi]; false (and *out untouched) otherwise. */
bool cli_parse_long(const char *s, long lo, long hi, long *out);

/* Milliseconds of CLOCK_MONOTONIC: for timeouts and windows that must not
 * move with the wall clock. */
int64_t cli_monotonic_ms(void);

/* Parses --format VALUE for diagnostic output. */
bool cli_parse_format(const Command *cmd, const char *value, DiagFormat *fmt);

#endif
