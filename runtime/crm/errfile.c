/* errfile: see errfile.h. Each line is built in memory and written with one
 * write(2) on an O_APPEND descriptor: lines from a resumed run, or from two
 * processes, never interleave inside a line. A line is written before its
 * unit is journaled, so a unit killed in between is sent again after a
 * restart and can fail the same way: the lines already in the file are
 * remembered (by a 128-bit hash each) and such a line is not written twice. */
#include "errfile.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "cm_utf8.h"

typedef struct LineHash {
    uint64_t a, b;              /* a == 0 && b == 0: an empty slot */
} LineHash;

struct ErrFile {
    pthread_mutex_t lock;       /* held while a line is built and written */
    int fd;
    char *path;
    size_t count;
    bool failed;
    /* The lines in the file when it was opened (not emptied): an
     * open-addressed set of their hashes, cap a power of two or 0. */
    LineHash *held;
    size_t nheld, cap_held;
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

/* Two FNV-1a passes with different seeds: 128 bits, so that two different
 * lines taken for one is not a concern at any error file's size. */
static LineHash line_hash(const char *p, size_t n)
{
    uint64_t a = 0xcbf29ce484222325u, b = 0x84222325cbf29ce4u;
    for (size_t i = 0; i < n; i++) {
        a = (a ^ (uint8_t)p[i]) * 0x100000001b3u;
        b = (b ^ (uint8_t)p[i]) * 0x100000001b3u;
        b ^= b >> 29;
    }
    return (LineHash){ a | 1u, b };
}

static bool held_has(const ErrFile *f, LineHash h)
{
    for (size_t i = (size_t)h.a & (f->cap_held - 1); f->cap_held > 0; i = (i + 1) & (f->cap_held - 1)) {
        if (f->held[i].a == 0 && f->held[i].b == 0)
            return false;
        if (f->held[i].a == h.a && f->held[i].b == h.b)
            return true;
    }
    return false;
}

static void held_add(ErrFile *f, LineHash h)
{
    if (2 * (f->nheld + 1) > f->cap_held) {
        LineHash *old = f->held;
        size_t cap = f->cap_held;
        f->cap_held = cap ? 2 * cap : 64;
        f->held = cm_calloc(f->cap_held, sizeof *f->held);
        f->nheld = 0;
        for (size_t i = 0; i < cap; i++)
            if (old[i].a != 0 || old[i].b != 0)
                held_add(f, old[i]);
        cm_free(old);
    }
    if (held_has(f, h))
        return;
    size_t i = (size_t)h.a & (f->cap_held - 1);
    while (f->held[i].a != 0 || f->held[i].b != 0)
        i = (i + 1) & (f->cap_held - 1);
    f->held[i] = h;
    f->nheld++;
}

/* The complete lines of the file (a last line without its newline, cut by
 * a crash, is not one a new write could repeat). */
static bool read_held(ErrFile *f, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return true;
    CmBuf line = CM_BUF_INIT;
    char buf[65536];
    off_t at = 0;
    for (;;) {
        ssize_t n = pread(f->fd, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read the error file %s: %s", f->path, strerror(errno));
            cm_buf_free(&line);
            return false;
        }
        if (n == 0)
            break;
        at += n;
        size_t from = 0;
        for (size_t i = 0; i < (size_t)n; i++)
            if (buf[i] == '\n') {
                cm_buf_put(&line, buf + from, i + 1 - from);
                held_add(f, line_hash(line.data, line.len));
                cm_buf_clear(&line);
                from = i + 1;
            }
        cm_buf_put(&line, buf + from, (size_t)n - from);
    }
    cm_buf_free(&line);
    return true;
}

static void free_file(ErrFile *f)
{
    cm_buf_free(&f->line);
    cm_free(f->held);
    pthread_mutex_destroy(&f->lock);
    cm_free(f->path);
    cm_free(f);
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
    if (!fresh && !read_held(f, err, errlen)) {
        close(fd);
        free_file(f);
        return NULL;
    }
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
    f->count++;
    if (f->nheld > 0 && held_has(f, line_hash(b->data, b->len)))
        return true;        /* in the file already, from before a restart */
    return write_all(f, b->data, b->len);
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
    free_file(f);
    return ok;
}
