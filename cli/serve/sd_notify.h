/* sd_notify: readiness and state notifications to the service manager
 * (systemd's Type=notify), by the documented socket protocol of
 * sd_notify(3): one datagram of "KEY=VALUE" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET (a path, or '@' for an abstract name). Written
 * here instead of linking libsystemd: the protocol is one sendto(), and a
 * serve started without systemd must not need the library. Without
 * NOTIFY_SOCKET every call is a no-op. */
#ifndef SD_NOTIFY_H
#define SD_NOTIFY_H

#include <stdbool.h>

/* Sends the printf-formatted state ("READY=1\nSTATUS=..."). When
 * NOTIFY_SOCKET is set and the datagram cannot be sent, prints a warning
 * and returns false: a Type=notify unit then fails its start by timeout,
 * and the log has to say why. */
bool sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
