/* cmd_lsp: `crmmap lsp`, the language server on standard input and output
 * (cli/lsp/lsp_server.h; docs/editors.md). This file is the I/O loop: read
 * what has come, answer it, and analyse changed documents only when no
 * message is waiting, so a burst of keystrokes costs one check. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lsp_server.h"

extern const Command cmd_lsp;

static bool write_all(int fd, CmBuf *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    cm_buf_clear(b);
    return true;
}

/* Whether input is waiting within ms milliseconds (0: now). */
static bool input_waiting(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n;
    while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    return n != 0;
}

/* How often a quiet server looks at the schema files: a pull shows within
 * a second in an editor that does not report changed files. */
enum { RESTAT_MS = 1000 };

static int serve(int in, int out)
{
    LspServer *s = lsp_server_new();
    LspReader r;
    lsp_reader_init(&r, LSP_MAX_BODY);
    static char chunk[65536];
    int status = 1;     /* the stream ended without `exit` */
    for (;;) {
        if (lsp_server_busy(s) && !input_waiting(in, 0)) {
            lsp_server_idle(s);
            if (!write_all(out, lsp_server_output(s)))
                break;
            continue;
        }
        if (!input_waiting(in, RESTAT_MS)) {
            lsp_server_restat(s);
            continue;
        }
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        lsp_reader_feed(&r, chunk, (size_t)n);
        lsp_server_drain(s, &r);
        if (!write_all(out, lsp_server_output(s)))
            break;
        if (lsp_server_exited(s, &status))
            break;
    }
    lsp_reader_free(&r);
    lsp_server_free(s);
    return status;
}

static int run(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        /* Editors' clients (VS Code's) name the transport; stdio is the only one. */
        if (strcmp(argv[i], "--stdio") != 0)
            return cli_usage_error(&cmd_lsp, "unknown option '%s'", argv[i]);
    /* An editor that goes away closes the pipe: the write fails and the
     * loop ends, instead of the signal ending the process mid-answer. */
    signal(SIGPIPE, SIG_IGN);
    return serve(STDIN_FILENO, STDOUT_FILENO);
}

const Command cmd_lsp = {
    "lsp", "the language server for editors (LSP over stdio)",
    "Usage: crmmap lsp [--stdio]\n"
    "\n"
    "Speaks the Language Server Protocol on standard input and output, for\n"
    "editors: diagnostics as you type (those of `crmmap check`), completion,\n"
    "hover, formatting, symbols, definition, references, rename, code\n"
    "actions and show payload (crmmap.showPayload) for .map files. Schemas\n"
    "and users files are found as `crmmap check` finds them. Writes no file.\n"
    "See docs/editors.md.\n"
    "Exit status: 0 after `shutdown` and `exit`, 1 when the input ends or\n"
    "`exit` comes without `shutdown`, 2 usage.\n"
    "\n"
    "Options:\n"
    "  --stdio      accepted for editors that pass it (the only transport)\n",
    run,
};
