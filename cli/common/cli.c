/* cli: helpers shared by the commands; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"

static void print_usage_line(const Command *cmd, FILE *out)
{
    const char *nl = strchr(cmd->usage, '\n');
    int n = nl ? (int)(nl - cmd->usage) : (int)strlen(cmd->usage);
    fprintf(out, "%.*s\n", n, cmd->usage);
}

int cli_usage_error(const Command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "crmmap %s: error: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_usage_line(cmd, stderr);
    fprintf(stderr, "Try 'crmmap %s --help' for more.\n", cmd->name);
    return EXIT_USAGE;
}

int cli_vfatal(const char *who, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: error: ", who);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return EXIT_FATAL;
}

int cli_fatal(const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vfatal(who, fmt, ap);
    va_end(ap);
    return EXIT_FATAL;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

int cli_print_help(const Command *cmd)
{
    fputs(cmd->usage, stdout);
    return EXIT_OK;
}

char *cli_read_stream_prefix(FILE *f, size_t max, size_t *len, int *err)
{
    CmBuf b = CM_BUF_INIT;
    char chunk[65536];
    size_t n;
    while (b.len < max && (n = fread(chunk, 1, sizeof chunk < max - b.len ? sizeof chunk : max - b.len, f)) > 0)
        cm_buf_put(&b, chunk, n);
    *err = ferror(f) ? errno : 0;
    if (*err) {
        cm_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return cm_buf_take(&b);
}

char *cli_read_prefix(const char *path, size_t max, size_t *len, int *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return NULL;
    }
    char *text = cli_read_stream_prefix(f, max, len, err);
    if (f != stdin)
        fclose(f);
    return text;
}

char *cli_read_file(const char *path, size_t max, size_t *len, const char **err)
{
    int e = 0;
    /* One byte past max tells a file of max bytes from a larger one. */
    char *text = cli_read_prefix(path, max + 1, len, &e);
    if (text == NULL) {
        *err = strerror(e);
        return NULL;
    }
    if (*len > max) {
        *err = "file too large";
        cm_free(text);
        return NULL;
    }
    return text;
}

bool cli_color_stderr(void)
{
    const char *no = getenv("NO_COLOR");
    if (no != NULL && *no != '\0')
        return false;
    return isatty(STDERR_FILENO) != 0;
}

void cli_render_diags(const DiagSink *sink, DiagFormat fmt)
{
    if (fmt == DIAG_TEXT)
        diag_render(sink, stderr, fmt, cli_color_stderr());
    else
        diag_render(sink, stdout, fmt, false);
}

bool cli_parse_format(const Command *cmd, const char *value, DiagFormat *fmt)
{
    if (diag_format_parse(value, fmt))
        return true;
    cli_usage_error(cmd, "unknown --format '%s' (expected text, json, sarif or github)", value);
    return false;
}

bool cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool cli_write_atomic(const char *path, const char *data, size_t len, unsigned mode, bool mode_from_umask,
                      const char **err)
{
    if (mode_from_umask) {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666u & ~(unsigned)mask;
    }
    CmBuf tmp = CM_BUF_INIT;
    cm_buf_printf(&tmp, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp.data);
    bool ok = fd >= 0;
    size_t done = 0;
    while (ok && done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        done += ok ? (size_t)n : 0;
    }
    ok = ok && fchmod(fd, (mode_t)(mode & 07777)) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp.data, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        *err = strerror(saved ? saved : EIO);
        if (fd >= 0)
            unlink(tmp.data);
    }
    cm_buf_free(&tmp);
    return ok;
}

int64_t cli_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
