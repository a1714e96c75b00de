/* cli_opts: a command's options as a table of what each one sets, read by
 * one getopt_long scan, so that every command reports an unknown option, a
 * missing value and a bad --format in the same words. */
#ifndef CLI_OPTS_H
#define CLI_OPTS_H

#include <unistd.h>     /* optind */

#include "cli.h"

typedef enum CliOptKind {
    CLI_FLAG,       /* into is a bool *: set to true */
    CLI_TEXT,       /* into is a const char **: the value (the last one given wins) */
    CLI_FORMAT,     /* into is a DiagFormat *: text, json, sarif or github */
    CLI_PARAM,      /* into is NULL: a --param NAME=VALUE, kept by param_cli.h (repeatable) */
} CliOptKind;

typedef struct CliOpt {
    const char *name;   /* the long name, without "--"; NULL ends a table */
    char letter;        /* the one-letter form, or 0 */
    CliOptKind kind;
    void *into;
} CliOpt;

#define CLI_OPTS_END { NULL, 0, CLI_FLAG, NULL }

/* The most entries a table may have. */
#define CLI_OPTS_MAX 16

/* How cli_options reads argv. */
enum {
    CLI_IN_ORDER = 1,   /* the first operand ends the options: `check a.map --x` has two files */
};

/* Reads argv's options (argv[0] is the command) into the table's targets,
 * leaving optind at the first operand. Returns EXIT_OK, or the status of the
 * usage error it reported. */
int cli_options(const Command *cmd, int argc, char **argv, const CliOpt *opts, unsigned how);

/* The usage error for what getopt_long returned for a word it did not take,
 * when its option string began with ':' (c is ':' for a missing value). */
int cli_option_error(const Command *cmd, int c, char **argv);

#endif
