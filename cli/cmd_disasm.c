/* cmd_disasm: `crmmap disasm FILE.mapc`, the bytecode as text, with the .map
 * source lines interleaved when the source file lies next to the .mapc. */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "cli.h"
#include "cm_alloc.h"
#include "mapc_cli.h"

extern const Command cmd_disasm;

/* The .map named in the file's meta section, looked for in the .mapc's folder. */
static char *read_source(const char *mapc_path, const Mapc *m, size_t *len)
{
    uint32_t n;
    const char *name = mapc_str(m, m->source, &n);
    if (n == 0 || memchr(name, '/', n) || memchr(name, '\0', n))
        return NULL;
    const char *slash = strrchr(mapc_path, '/');
    CmBuf path = CM_BUF_INIT;
    if (slash)
        cm_buf_put(&path, mapc_path, (size_t)(slash - mapc_path) + 1);
    cm_buf_put(&path, name, n);
    const char *err;
    char *text = cli_read_file(path.data, AST_MAX_SOURCE, len, &err);
    cm_buf_free(&path);
    return text;
}

static int run(int argc, char **argv)
{
    int status;
    Mapc *m = mapc_cli_load_operand(&cmd_disasm, argc, argv, &status);
    if (m == NULL)
        return status;
    size_t len = 0;
    const char *err;
    char *source = mapc_cli_is_source(argv[1]) ? cli_read_file(argv[1], AST_MAX_SOURCE, &len, &err)
                                               : read_source(argv[1], m, &len);
    CmBuf out = CM_BUF_INIT;
    mapc_disasm(m, source, len, &out);
    fwrite(out.data, 1, out.len, stdout);
    cm_buf_free(&out);
    cm_free(source);
    mapc_free(m);
    return EXIT_OK;
}

const Command cmd_disasm = {
    "disasm", "print a .mapc file's bytecode",
    "Usage: crmmap disasm FILE.mapc\n"
    "\n"
    "Verifies the file, then prints its header, source paths, tables and each\n"
    "entity's fields and code. When the .map it was compiled from is in the\n"
    "same folder, its lines are shown above the code they became.\n"
    "Exit status: 0 printed, 1 the file does not verify, 2 usage.\n",
    run,
};
