/* out_cmd: the commands that turn one .map into one file (compile, doc):
 * their options (-o/--output FILE, --format F, one .map), where the file
 * goes, and writing it whole or not at all. */
#ifndef OUT_CMD_H
#define OUT_CMD_H

#include <stdbool.h>

#include "cli.h"
#include "cm_buf.h"

typedef struct OutCmd {
    const char *ext;        /* the file's extension, with its dot */
    bool needs_output;      /* -o is required; else the file is the .map's path with ext for ".map" */
    /* Makes the file's content from the .map at input into out, with the
     * diagnostics rendered in fmt. Returns EXIT_OK, or the exit status after
     * reporting why (nothing is written then). */
    int (*make)(const char *input, DiagFormat fmt, CmBuf *out);
} OutCmd;

/* Runs cmd (argv[0] is its name) as out describes. A file that cannot be
 * written is "FILE: error: cannot write the file: WHY" and EXIT_FATAL. */
int out_cmd_run(const Command *cmd, const OutCmd *out, int argc, char **argv);

#endif
