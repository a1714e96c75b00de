/* auth_limit: see auth_limit.h. */
#include "auth_limit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cm_alloc.h"

#define SLOTS 1024u

typedef struct Slot {
    int64_t window_start;       /* monotonic seconds; 0: unused */
    uint32_t fails;
} Slot;

struct AuthLimit {
    pthread_mutex_t lock;
    uint64_t key[2];
    Slot slot[SLOTS];
};

AuthLimit *auth_limit_new(void)
{
    AuthLimit *l = cm_calloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    if (getrandom(l->key, sizeof l->key, 0) != (ssize_t)sizeof l->key) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        l->key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)ts.tv_sec;
        l->key[1] = (uint64_t)(uintptr_t)l;
    }
    return l;
}

void auth_limit_free(AuthLimit *l)
{
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->lock);
    cm_free(l);
}

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec + 1;  /* never 0: 0 marks an unused slot */
}

/* The slot of an address: a keyed hash of its IPv4 bytes or IPv6 /64. */
static Slot *slot_of(AuthLimit *l, const struct sockaddr *addr)
{
    const unsigned char *p = NULL;
    size_t n = 0;
    if (addr && addr->sa_family == AF_INET) {
        p = (const unsigned char *)&((const struct sockaddr_in *)(const void *)addr)->sin_addr;
        n = 4;
    } else if (addr && addr->sa_family == AF_INET6) {
        p = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
        n = 8;
    }
    uint64_t h = 0xcbf29ce484222325u ^ l->key[0];
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    /* FNV-1a leaves the last byte's change in few bits: mix them all
     * (MurmurHash3's finaliser) before taking the slot. */
    h ^= l->key[1];
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return &l->slot[h % SLOTS];
}

int64_t auth_limit_wait(AuthLimit *l, const struct sockaddr *addr)
{
    pthread_mutex_lock(&l->lock);
    Slot *s = slot_of(l, addr);
    int64_t now = now_s(), wait = 0;
    if (s->window_start && now - s->window_start < AUTH_WINDOW_S && s->fails >= AUTH_FAILS_MAX)
        wait = s->window_start + AUTH_WINDOW_S - now;
    pthread_mutex_unlock(&l->lock);
    return wait;
}

void auth_limit_failed(AuthLimit *l, const struct sockaddr *addr)
{
    pthread_mutex_lock(&l->lock);
    Slot *s = slot_of(l, addr);
    int64_t now = now_s();
    if (s->window_start == 0 || now - s->window_start >= AUTH_WINDOW_S) {
        s->window_start = now;
        s->fails = 0;
    }
    if (s->fails < UINT32_MAX)
        s->fails++;
    pthread_mutex_unlock(&l->lock);
}
