/* slog: see slog.h. */
#include "slog.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cm_alloc.h"
#include "cm_buf.h"

/* Distinct lines counted at once; a new one takes the oldest slot (which
 * then prints its count). A burst of one failure needs one slot. */
#define SLOTS 16

typedef struct Slot {
    uint64_t key;               /* 0: free */
    int64_t first_ms, last_ms;  /* the line printed, the last one counted (monotonic) */
    uint64_t count;             /* lines counted since the one printed */
    SlogLevel level;
    char *msg;                  /* the message, and the fields as printed */
    char *fields;
} Slot;

static struct {
    pthread_mutex_t lock;
    FILE *out;
    SlogFormat format;
    Slot slots[SLOTS];
} L = { PTHREAD_MUTEX_INITIALIZER, NULL, SLOG_TEXT, { { 0, 0, 0, 0, SLOG_INFO, NULL, NULL } } };

static const char *const level_text[] = { "INFO", "WARN", "ERROR" };
static const char *const level_json[] = { "info", "warn", "error" };

void slog_init(FILE *out, SlogFormat format)
{
    pthread_mutex_lock(&L.lock);
    L.out = out;
    L.format = format;
    pthread_mutex_unlock(&L.lock);
}

bool slog_parse_format(const char *name, SlogFormat *out)
{
    if (strcmp(name, "text") == 0)
        *out = SLOG_TEXT;
    else if (strcmp(name, "json") == 0)
        *out = SLOG_JSON;
    else
        return false;
    return true;
}

/* A text value bare when it is one plain word, else quoted with escapes
 * (logfmt), so a message can never forge a field or a line. */
static void put_text_value(CmBuf *b, const char *s)
{
    bool plain = s[0] != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = (unsigned char)*p > ' ' && *p != '"' && *p != '=' && *p != '\\' && (unsigned char)*p < 0x7f;
    if (plain) {
        cm_buf_puts(b, s);
        return;
    }
    cm_buf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            cm_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            cm_buf_puts(b, "\\n");
        else if (c < ' ' || c == 0x7f)
            cm_buf_printf(b, "\\x%02x", c);
        else
            cm_buf_putc(b, (char)c);
    }
    cm_buf_putc(b, '"');
}

/* The fields as the format prints them, after the message. */
static void put_fields(CmBuf *b, const SlogField *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (L.format == SLOG_JSON) {
            cm_buf_puts(b, ", ");
            cm_buf_put_json_string(b, f[i].key, strlen(f[i].key));
            cm_buf_puts(b, ": ");
        } else {
            cm_buf_printf(b, " %s=", f[i].key);
        }
        if (f[i].str == NULL)
            cm_buf_printf(b, "%lld", (long long)f[i].num);
        else if (L.format == SLOG_JSON)
            cm_buf_put_json_string(b, f[i].str, strlen(f[i].str));
        else
            put_text_value(b, f[i].str);
    }
}

/* Prints one line; lock held. */
static void emit(SlogLevel level, const char *request_id, const char *msg, const char *fields)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03ldZ", ts.tv_nsec / 1000000);
    CmBuf b = CM_BUF_INIT;
    if (L.format == SLOG_JSON) {
        cm_buf_printf(&b, "{\"ts\": \"%s\", \"level\": \"%s\", \"msg\": ", when, level_json[level]);
        cm_buf_put_json_string(&b, msg, strlen(msg));
        if (request_id) {
            cm_buf_puts(&b, ", \"request_id\": ");
            cm_buf_put_json_string(&b, request_id, strlen(request_id));
        }
        cm_buf_puts(&b, fields);
        cm_buf_puts(&b, "}\n");
    } else {
        cm_buf_printf(&b, "%s %s ", when, level_text[level]);
        /* The message is free text: a diagnostic's help goes on a line of
         * its own, but every line after the first is indented, so none can
         * pass for a log line of its own. */
        for (const char *p = msg; *p; p++) {
            cm_buf_putc(&b, *p == '\r' ? ' ' : *p);
            if (*p == '\n' && strncmp(p + 1, "  ", 2) != 0)
                cm_buf_puts(&b, "  ");
        }
        cm_buf_puts(&b, fields);
        if (request_id) {
            cm_buf_puts(&b, " request_id=");
            put_text_value(&b, request_id);
        }
        cm_buf_putc(&b, '\n');
    }
    FILE *out = L.out ? L.out : stderr;
    fwrite(b.data, 1, b.len, out);
    fflush(out);
    cm_buf_free(&b);
}

/* Prints the count of a slot's window (if any) and frees it; lock held. */
static void close_slot(Slot *s)
{
    if (s->key == 0)
        return;
    if (s->count > 0) {
        CmBuf m = CM_BUF_INIT;
        int64_t secs = (s->last_ms - s->first_ms + 999) / 1000;
        cm_buf_printf(&m, "%s (repeated %llu times in %lld s)", s->msg, (unsigned long long)s->count,
                      (long long)(secs < 1 ? 1 : secs));
        emit(s->level, NULL, m.data, s->fields);
        cm_buf_free(&m);
    }
    cm_free(s->msg);
    cm_free(s->fields);
    memset(s, 0, sizeof *s);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}

/* Closes the windows that are over; lock held. */
static void expire(int64_t now)
{
    for (size_t i = 0; i < SLOTS; i++)
        if (L.slots[i].key && now - L.slots[i].first_ms >= SLOG_WINDOW_S * 1000)
            close_slot(&L.slots[i]);
}

void slog_fields(SlogLevel level, const char *request_id, const char *msg, const SlogField *fields, size_t n)
{
    CmBuf f = CM_BUF_INIT;
    cm_buf_puts(&f, "");
    pthread_mutex_lock(&L.lock);
    put_fields(&f, fields, n);
    uint64_t key = fnv1a(fnv1a(0xcbf29ce484222325ull ^ (uint64_t)level, msg), f.data);
    key += key == 0;
    int64_t now = cli_monotonic_ms();
    expire(now);
    Slot *oldest = &L.slots[0];
    for (size_t i = 0; i < SLOTS; i++) {
        Slot *s = &L.slots[i];
        if (s->key == key) {
            s->count++;
            s->last_ms = now;
            pthread_mutex_unlock(&L.lock);
            cm_buf_free(&f);
            return;
        }
        if (s->key == 0 || (oldest->key != 0 && s->first_ms < oldest->first_ms))
            oldest = s;
    }
    close_slot(oldest);
    emit(level, request_id, msg, f.data);
    *oldest = (Slot){ key, now, now, 0, level, cm_strdup(msg), cm_buf_take(&f) };
    pthread_mutex_unlock(&L.lock);
}

void slog(SlogLevel level, const char *fmt, ...)
{
    CmBuf m = CM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cm_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    slog_fields(level, NULL, m.data, NULL, 0);
    cm_buf_free(&m);
}

void slog_tick(void)
{
    pthread_mutex_lock(&L.lock);
    expire(cli_monotonic_ms());
    pthread_mutex_unlock(&L.lock);
}

void slog_flush(void)
{
    pthread_mutex_lock(&L.lock);
    for (size_t i = 0; i < SLOTS; i++)
        close_slot(&L.slots[i]);
    pthread_mutex_unlock(&L.lock);
}
