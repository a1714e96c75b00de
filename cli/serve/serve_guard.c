/* serve_guard: see serve_guard.h. */
#include "serve_guard.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cm_alloc.h"

struct GuardConn {
    GuardConn *prev, *next;
    int fd;
    GuardPhase phase;
    int64_t since_ms;
    bool cut;
    struct sockaddr_storage peer;   /* to know the fd is still this connection's */
    socklen_t peer_len;
};

struct ServeGuard {
    pthread_mutex_t lock;
    pthread_t watchdog;
    int stop[2];                /* a pipe: closing its write end stops the watchdog */
    GuardConn *conns;
    unsigned open, connections;
    int64_t header_ms, body_ms;
    size_t body_used, body_memory;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether fd is still the socket of c's peer: a closed connection's number
 * can be reused at once, and shutting down someone else's is the one harm a
 * watchdog must never do. */
static bool same_peer(const GuardConn *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    return getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0 && len == c->peer_len
           && memcmp(&ss, &c->peer, len) == 0;
}

static void cut_late(ServeGuard *g)
{
    int64_t now = now_ms();
    for (GuardConn *c = g->conns; c; c = c->next) {
        int64_t limit = c->phase == GUARD_HEADERS ? g->header_ms : c->phase == GUARD_BODY ? g->body_ms : 0;
        if (limit == 0 || c->cut || now - c->since_ms < limit)
            continue;
        /* libmicrohttpd sees the end of the stream and closes the
         * connection itself, in its own thread. */
        if (same_peer(c))
            shutdown(c->fd, SHUT_RDWR);
        c->cut = true;
    }
}

static void *watch(void *arg)
{
    ServeGuard *g = arg;
    /* A tenth of the shorter deadline: a cut comes at most 10 % late. */
    int64_t tick = (g->header_ms < g->body_ms ? g->header_ms : g->body_ms) / 10;
    tick = tick < 20 ? 20 : tick > 500 ? 500 : tick;
    struct pollfd stop = { g->stop[0], POLLIN, 0 };
    for (;;) {
        int n = poll(&stop, 1, (int)tick);
        if (n > 0)
            return NULL;
        if (n == 0) {
            pthread_mutex_lock(&g->lock);
            cut_late(g);
            pthread_mutex_unlock(&g->lock);
        }
    }
}

ServeGuard *guard_new(unsigned connections, unsigned header_ms, unsigned body_ms, size_t body_memory)
{
    ServeGuard *g = cm_calloc(1, sizeof *g);
    g->connections = connections;
    g->header_ms = header_ms;
    g->body_ms = body_ms;
    g->body_memory = body_memory;
    pthread_mutex_init(&g->lock, NULL);
    if (pipe(g->stop) != 0) {
        pthread_mutex_destroy(&g->lock);
        cm_free(g);
        return NULL;
    }
    if (pthread_create(&g->watchdog, NULL, watch, g) != 0) {
        close(g->stop[0]);
        close(g->stop[1]);
        pthread_mutex_destroy(&g->lock);
        cm_free(g);
        return NULL;
    }
    return g;
}

void guard_free(ServeGuard *g)
{
    if (g == NULL)
        return;
    close(g->stop[1]);
    pthread_join(g->watchdog, NULL);
    close(g->stop[0]);
    pthread_mutex_destroy(&g->lock);
    cm_free(g);
}

GuardConn *guard_open(ServeGuard *g, int fd)
{
    GuardConn *c = cm_calloc(1, sizeof *c);
    c->fd = fd;
    c->peer_len = sizeof c->peer;
    if (getpeername(fd, (struct sockaddr *)&c->peer, &c->peer_len) != 0)
        c->peer_len = 0;
    pthread_mutex_lock(&g->lock);
    c->phase = GUARD_HEADERS;
    c->since_ms = now_ms();
    c->next = g->conns;
    if (g->conns)
        g->conns->prev = c;
    g->conns = c;
    g->open++;
    pthread_mutex_unlock(&g->lock);
    return c;
}

void guard_close(ServeGuard *g, GuardConn *c)
{
    pthread_mutex_lock(&g->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g->open--;
    pthread_mutex_unlock(&g->lock);
    cm_free(c);
}

void guard_phase(ServeGuard *g, GuardConn *c, GuardPhase p)
{
    pthread_mutex_lock(&g->lock);
    c->phase = p;
    c->since_ms = now_ms();
    pthread_mutex_unlock(&g->lock);
}

bool guard_crowded(ServeGuard *g)
{
    pthread_mutex_lock(&g->lock);
    bool crowded = g->open > g->connections;
    pthread_mutex_unlock(&g->lock);
    return crowded;
}

bool guard_take(ServeGuard *g, size_t n)
{
    pthread_mutex_lock(&g->lock);
    bool ok = n <= g->body_memory - g->body_used;
    if (ok)
        g->body_used += n;
    pthread_mutex_unlock(&g->lock);
    return ok;
}

void guard_give(ServeGuard *g, size_t n)
{
    pthread_mutex_lock(&g->lock);
    g->body_used -= n;
    pthread_mutex_unlock(&g->lock);
}
