/* cli_opts: see cli_opts.h. */
#include "cli_opts.h"
#include "param_cli.h"

#include <assert.h>
#include <getopt.h>

/* getopt_long's val for table entry i: above every letter. */
#define VAL_BASE 256

int cli_option_error(const Command *cmd, int c, char **argv)
{
    if (c == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
    return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

static int take(const Command *cmd, const CliOpt *o)
{
    switch (o->kind) {
    case CLI_FLAG: *(bool *)o->into = true; break;
    case CLI_TEXT: *(const char **)o->into = optarg; break;
    case CLI_PARAM:
        if (!param_cli_flag(optarg))
            return cli_usage_error(cmd, "--%s '%s': NAME=VALUE, e.g. --param fair=\"Hannover Messe\"", o->name, optarg);
        break;
    case CLI_FORMAT:
        if (!cli_parse_format(cmd, optarg, o->into))
            return EXIT_USAGE;
        break;
    }
    return EXIT_OK;
}

int cli_options(const Command *cmd, int argc, char **argv, const CliOpt *opts, unsigned how)
{
    struct option longs[CLI_OPTS_MAX + 1];
    /* '+' first when in order; ':' so that a missing value is told from an unknown option */
    char shorts[3 + 2 * CLI_OPTS_MAX + 1];
    size_t n = 0, k = 0;
    if (how & CLI_IN_ORDER)
        shorts[k++] = '+';
    shorts[k++] = ':';
    for (; opts[n].name != NULL; n++) {
        assert(n < CLI_OPTS_MAX);
        int has_arg = opts[n].kind == CLI_FLAG ? no_argument : required_argument;
        longs[n] = (struct option){ opts[n].name, has_arg, NULL, VAL_BASE + (int)n };
        if (opts[n].letter != 0) {
            shorts[k++] = opts[n].letter;
            if (has_arg == required_argument)
                shorts[k++] = ':';
        }
    }
    longs[n] = (struct option){ NULL, 0, NULL, 0 };
    shorts[k] = '\0';
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const CliOpt *o = NULL;
        if (c >= VAL_BASE)
            o = &opts[c - VAL_BASE];
        for (size_t i = 0; o == NULL && i < n; i++)
            if (opts[i].letter != 0 && opts[i].letter == c)
                o = &opts[i];
        if (o == NULL)
            return cli_option_error(cmd, c, argv);
        int status = take(cmd, o);
        if (status != EXIT_OK)
            return status;
    }
    return EXIT_OK;
}
