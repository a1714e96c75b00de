/* sd_notify: see sd_notify.h. */
#define _GNU_SOURCE     /* MSG_NOSIGNAL, SOCK_CLOEXEC */
#include "sd_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool warn(const char *name)
{
    fprintf(stderr, "crmmap serve: warning: cannot notify the service manager at NOTIFY_SOCKET=%s: %s\n"
            "  help: NOTIFY_SOCKET is set by systemd for a Type=notify unit; unset it to run serve without one\n",
            name, strerror(errno));
    return false;
}

bool sd_notifyf(const char *fmt, ...)
{
    const char *name = getenv("NOTIFY_SOCKET");
    if (name == NULL || name[0] == '\0')
        return true;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(name);
    /* Only the two forms systemd 252 (Debian 12) hands out: a path or an
     * abstract name; the NUL of a path is not counted, as in sd_notify.c. */
    if ((name[0] != '/' && name[0] != '@') || len < 2 || len > sizeof sa.sun_path) {
        errno = EINVAL;
        return warn(name);
    }
    memcpy(sa.sun_path, name, len);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof msg) {
        errno = EMSGSIZE;
        return warn(name);
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return warn(name);
    ssize_t sent = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (const struct sockaddr *)&sa,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    int saved = errno;
    close(fd);
    errno = saved;
    return sent == (ssize_t)n || warn(name);
}
