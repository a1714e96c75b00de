/* state_lock: see state_lock.h. */
/* flock, O_CLOEXEC, O_NOFOLLOW */
#define _DEFAULT_SOURCE

#include "state_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_alloc.h"
#include "cm_buf.h"

struct StateLock {
    int fd;
    char *path;
};

/* The holder's first line (its pid), for the message; "an unknown process"
 * when the holder has not written it yet. */
static void holder(int fd, char *out, size_t outlen)
{
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (buf[0] >= '1' && buf[0] <= '9' && buf[strspn(buf, "0123456789")] == '\0')
        snprintf(out, outlen, "process %s", buf);
    else
        snprintf(out, outlen, "an unknown process");
}

StateLock *state_lock_take(const char *journal, const char *who, bool *busy, char *err, size_t errlen)
{
    err[0] = '\0';
    *busy = false;
    CmBuf path = CM_BUF_INIT;
    cm_buf_printf(&path, "%s.lock", journal);
    /* A releasing owner unlinks the file before it unlocks: whoever locked
     * the old file in between sees that its name is gone and tries again. */
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(path.data, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create the lock file %s: %s", path.data, strerror(errno));
            break;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                *busy = true;
                char h[96];
                holder(fd, h, sizeof h);
                snprintf(err, errlen, "%s is in use by %s (lock file %s)", journal, h, path.data);
            } else {
                snprintf(err, errlen, "cannot lock %s: %s", path.data, strerror(errno));
            }
            close(fd);
            break;
        }
        struct stat held, named;
        if (fstat(fd, &held) != 0 || lstat(path.data, &named) != 0 || held.st_ino != named.st_ino
            || held.st_dev != named.st_dev) {
            close(fd);
            continue;
        }
        char text[200];
        int n = snprintf(text, sizeof text, "%ld\n%s\n", (long)getpid(), who);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n) {
            snprintf(err, errlen, "cannot write the lock file %s: %s", path.data, strerror(errno));
            unlink(path.data);
            close(fd);
            break;
        }
        StateLock *l = cm_calloc(1, sizeof *l);
        l->fd = fd;
        l->path = cm_buf_take(&path);
        return l;
    }
    if (err[0] == '\0')
        snprintf(err, errlen, "cannot lock %s: its lock file keeps being replaced", path.data);
    cm_buf_free(&path);
    return NULL;
}

void state_lock_release(StateLock *l)
{
    if (l) {
        /* The name goes first: a taker that opened it meanwhile sees it
         * gone once it holds the lock, and makes a new file. */
        unlink(l->path);
        close(l->fd);
        cm_free(l->path);
        cm_free(l);
    }
}
