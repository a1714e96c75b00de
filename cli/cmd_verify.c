/* cmd_verify: `crmmap verify FILE.mapc`, the loader's checks alone. */
#include <stdio.h>

#include "cli.h"
#include "mapc_cli.h"

extern const Command cmd_verify;

static int run(int argc, char **argv)
{
    int status;
    Mapc *m = mapc_cli_load_operand(&cmd_verify, argc, argv, &status);
    if (m == NULL)
        return status;
    printf("%s: ok: format %u.%u, %u %s\n", argv[1], m->major, m->minor, m->nentities,
           m->nentities == 1 ? "entity" : "entities");
    mapc_free(m);
    return EXIT_OK;
}

const Command cmd_verify = {
    "verify", "check a .mapc file without running it",
    "Usage: crmmap verify FILE.mapc\n"
    "\n"
    "Runs the loader's checks: header, version, checksum, every section, and\n"
    "the verifier over each program (operands, jumps, stack depths).\n"
    "Exit status: 0 the file is sound, 1 it is not (the reason on stderr), 2 usage.\n",
    run,
};
