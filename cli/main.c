/* main: dispatches `crmmap COMMAND ...` to the command table in commands.c. */
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"
#include "cjson_alloc.h"
#include "cm_alloc.h"

static void print_help(FILE *out)
{
    fputs("crmmap — compile and run CRM field mappings\n\n"
          "Usage: crmmap COMMAND [OPTIONS] [ARGS]\n\nCommands:\n", out);
    for (size_t i = 0; i < cli_ncommands; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fputs("\nOptions:\n  -h, --help     show this help (or a command's: crmmap COMMAND --help)\n"
          "  --version      print the version\n", out);
}

int main(int argc, char **argv)
{
    cm_alloc_init_from_env();
#ifdef __GLIBC__
    /* A fixed threshold turns off glibc's sliding one, which after the first
     * file payload is freed would take the next ones from the heap, whose
     * freed holes stay resident: a run sending 100 scans grew past 1 GB. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
    cjson_alloc_hook();
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("crmmap %s\n", CRMMAP_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < cli_ncommands; i++) {
        const Command *cmd = cli_commands[i];
        if (strcmp(cmd->name, name) == 0) {
            if (cli_wants_help(argc - 1, argv + 1))
                return cli_print_help(cmd);
            return cmd->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "crmmap: error: unknown command '%s'\n", name);
    print_help(stderr);
    return EXIT_USAGE;
}
