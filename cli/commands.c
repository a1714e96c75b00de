/* commands: the one list of crmmap's subcommands, in `crmmap --help` order
 * (the order of the man page, docs/crmmap.1). */
#include "cli.h"

extern const Command cmd_check;
extern const Command cmd_compile;
extern const Command cmd_disasm;
extern const Command cmd_verify;
extern const Command cmd_run;
extern const Command cmd_test;
extern const Command cmd_plan;
extern const Command cmd_serve;
extern const Command cmd_schema;
extern const Command cmd_doctor;
extern const Command cmd_fmt;
extern const Command cmd_doc;
extern const Command cmd_lsp;

const Command *const cli_commands[] = {
    &cmd_check,
    &cmd_compile,
    &cmd_disasm,
    &cmd_verify,
    &cmd_run,
    &cmd_test,
    &cmd_plan,
    &cmd_serve,
    &cmd_schema,
    &cmd_doctor,
    &cmd_fmt,
    &cmd_doc,
    &cmd_lsp,
};

const size_t cli_ncommands = sizeof cli_commands / sizeof cli_commands[0];
