/* commands: the one list of crmmap's subcommands, in `crmmap --help` order. */
#include "cli.h"

extern const Command cmd_check;
extern const Command cmd_schema;

const Command *const cli_commands[] = {
    &cmd_check,
    &cmd_schema,
};

const size_t cli_ncommands = sizeof cli_commands / sizeof cli_commands[0];
