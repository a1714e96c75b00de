/* auth_limit: the rate limit on failed authorizations of `crmmap serve`,
 * per client address (an IPv4 address, an IPv6 /64: one host's share).
 * After AUTH_FAILS_MAX wrong or missing secrets within AUTH_WINDOW_S
 * seconds an address is answered 429 until its window ends, the right
 * secret or not, so that a secret cannot be guessed at line speed. The
 * counts live in a fixed table hashed with a per-process random key: an
 * address that shares a slot with another shares its count (limited
 * sooner, never later), and a sender cannot aim at another's slot. */
#ifndef AUTH_LIMIT_H
#define AUTH_LIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define AUTH_FAILS_MAX 20u
#define AUTH_WINDOW_S 60

typedef struct AuthLimit AuthLimit;

AuthLimit *auth_limit_new(void);
void auth_limit_free(AuthLimit *l);

/* Seconds until addr may try again, 0 when it may now. */
int64_t auth_limit_wait(AuthLimit *l, const struct sockaddr *addr);
/* Counts a failed authorization of addr. */
void auth_limit_failed(AuthLimit *l, const struct sockaddr *addr);

#endif
