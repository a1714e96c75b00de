/* errfile: see errfile.h. Each line is built in memory and written with one
 * write(2) on an O_APPEND descriptor: lines from a resumed run, or from two
 * processes, never interleave inside a line. */
#include "errfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "cm_utf8.h"

struct ErrFile {
    pthread_mutex_t lock;       /* held while a line is built and written */
    int fd;
    char *path;
    size_t count;
    bool failed;
    CmBuf line;
    char error[256];
};

/* What every line of an error file starts with: a file that holds anything
 * else was not written by crmmap, and a fresh run must not empty it. */
static const char line_start[] = "{\"record\": ";

static bool written_by_crmmap(int fd, off_t size)
{
    if (size == 0)
        return true;
    char head[sizeof line_start - 1];
    ssize_t n;
    do
        n = pread(fd, head, sizeof head, 0);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof head && memcmp(head, line_start, sizeof head) == 0;
}

/* Checks the file opened as fd and makes it fit to hold contact data:
 * a regular file with one name, mode 0600, emptied for a fresh run only
 * when crmmap wrote it. A device or a pipe (/dev/stderr's target, a FIFO)
 * is taken as it is. */
static bool make_private(int fd, const char *path, bool fresh, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot open the error file %s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode))
        return true;
    if (st.st_nlink > 1) {
        snprintf(err, errlen, "the error file %s is a hard link to another file: crmmap does not write contact "
                 "data into it (remove it, or name another file with --errors)", path);
        return false;
    }
    if (fresh && !written_by_crmmap(fd, st.st_size)) {
        snprintf(err, errlen, "the error file %s exists and is not an error file of crmmap: crmmap does not "
                 "empty it (remove it, or name another file with --errors)", path);
        return false;
    }
    if (fresh && st.st_size > 0 && ftruncate(fd, 0) != 0) {
        snprintf(err, errlen, "cannot empty the error file %s: %s", path, strerror(errno));
        return false;
    }
    if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
        snprintf(err, errlen, "cannot make the error file %s private (mode 0600): %s", path, strerror(errno));
        return false;
    }
    return true;
}

ErrFile *errfile_open(const char *path, bool fresh, char *err, size_t errlen)
{
    int fd;
    do
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno == ELOOP) {
        snprintf(err, errlen, "the error file %s is a symbolic link: crmmap does not follow one (name the file "
                 "itself with --errors)", path);
        return NULL;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the error file %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!make_private(fd, path, fresh, err, errlen)) {
        close(fd);
        return NULL;
    }
    ErrFile *f = cm_calloc(1, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    f->fd = fd;
    f->path = cm_strdup(path);
    return f;
}

bool errfile_reopen(ErrFile *f, char *err, size_t errlen)
{
    int fd;
    do
        fd = open(f->path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        snprintf(err, errlen, "cannot reopen the error file %s: %s", f->path, strerror(errno));
        return false;
    }
    if (!make_private(fd, f->path, false, err, errlen)) {
        close(fd);
        return false;
    }
    pthread_mutex_lock(&f->lock);
    int old = f->fd;
    f->fd = fd;
    pthread_mutex_unlock(&f->lock);
    /* The rotated file keeps what was written: flushed before it is let go. */
    bool ok = fsync(old) == 0 || errno == EINVAL;
    if (!ok)
        snprintf(err, errlen, "cannot flush the rotated error file of %s to disk: %s", f->path, strerror(errno));
    close(old);
    return ok;
}

/* A JSON string of s, with each invalid UTF-8 byte replaced by U+FFFD. */
static void put_text(CmBuf *b, const char *s, size_t n)
{
    size_t bad = cm_utf8_invalid_at(s, n);
    if (bad == n) {
        cm_buf_put_json_string(b, s, n);
        return;
    }
    CmBuf clean = CM_BUF_INIT;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = cm_utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            cm_buf_put(&clean, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            cm_buf_put(&clean, s + i, len);
            i += len;
        }
    }
    cm_buf_put_json_string(b, clean.data, clean.len);
    cm_buf_free(&clean);
}

/* `, "key": "s"` when s is set. */
static void put_member(CmBuf *b, const char *key, const char *s)
{
    if (s == NULL)
        return;
    cm_buf_printf(b, ", \"%s\": ", key);
    put_text(b, s, strlen(s));
}

/* JSON text as it is, on one line: line breaks can only be whitespace
 * between tokens (inside strings they are escaped), so they become spaces. */
static void put_json(CmBuf *b, const char *s, size_t n)
{
    size_t from = b->len;
    cm_buf_put(b, s, n);
    for (size_t i = from; i < b->len; i++)
        if (b->data[i] == '\n' || b->data[i] == '\r')
            b->data[i] = ' ';
}

static bool write_all(ErrFile *f, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(f->error, sizeof f->error, "cannot write the error file %s: %s", f->path,
                     w < 0 ? strerror(errno) : "nothing written");
            f->failed = true;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool write_line(ErrFile *f, const ErrRecord *rec)
{
    CmBuf *b = &f->line;
    cm_buf_clear(b);
    cm_buf_printf(b, "{\"record\": %zu", rec->record);
    if (rec->received) {
        cm_buf_puts(b, ", \"received\": ");
        put_text(b, rec->received, strlen(rec->received));
        cm_buf_printf(b, ", \"index\": %zu", rec->index);
    }
    if (rec->line)
        cm_buf_printf(b, ", \"line\": %zu", rec->line);
    put_member(b, "entity", rec->entity);
    put_member(b, "state", rec->state);
    put_member(b, "code", rec->code);
    put_member(b, "question", rec->question);
    put_member(b, "value", rec->value);
    put_member(b, "error", rec->error ? rec->error : "");
    put_member(b, "field", rec->field);
    if (rec->map_line)
        cm_buf_printf(b, ", \"map_line\": %zu", rec->map_line);
    if (rec->input && rec->input_is_json) {
        cm_buf_puts(b, ", \"input\": ");
        put_json(b, rec->input, rec->input_len);
    } else if (rec->input) {
        cm_buf_puts(b, ", \"input_text\": ");
        put_text(b, rec->input, rec->input_len);
    }
    if (rec->payload) {
        cm_buf_puts(b, ", \"payload\": ");
        put_json(b, rec->payload, rec->payload_len);
    }
    cm_buf_puts(b, "}\n");
    if (!write_all(f, b->data, b->len))
        return false;
    f->count++;
    return true;
}

bool errfile_write(ErrFile *f, const ErrRecord *rec)
{
    pthread_mutex_lock(&f->lock);
    bool ok = write_line(f, rec);
    pthread_mutex_unlock(&f->lock);
    return ok;
}

size_t errfile_count(const ErrFile *f)
{
    return f->count;
}

const char *errfile_error(const ErrFile *f)
{
    return f->error;
}

bool errfile_close(ErrFile *f, char *err, size_t errlen)
{
    if (f == NULL)
        return true;
    bool ok = !f->failed;
    if (!ok)
        snprintf(err, errlen, "%s", f->error);
    if (ok && fsync(f->fd) != 0 && errno != EINVAL) {
        snprintf(err, errlen, "cannot flush the error file %s to disk: %s", f->path, strerror(errno));
        ok = false;
    }
    if (close(f->fd) != 0 && ok) {
        snprintf(err, errlen, "cannot close the error file %s: %s", f->path, strerror(errno));
        ok = false;
    }
    cm_buf_free(&f->line);
    pthread_mutex_destroy(&f->lock);
    cm_free(f->path);
    cm_free(f);
    return ok;
}
