/* slog: the log of a long-running command (`crmmap serve`, docs/serve.md,
 * "Logs"). Every line has an RFC 3339 UTC timestamp with milliseconds and a
 * level; the text format is
 *     2026-12-06T04:01:02.345Z ERROR message key=value key="a value"
 * (a message of several lines, a diagnostic with its help, goes on lines
 * indented by two spaces)
 * and the JSON format one object a line:
 *     {"ts": "...", "level": "error", "msg": "...", "request_id": "...", "key": "value"}
 * Identical lines (same level, message and fields, the request id aside)
 * within SLOG_WINDOW_S of the first are counted instead of printed; the
 * count comes as one line, "... (repeated N times in S s)", once the window
 * is over (at the next line or slog_tick) or at slog_flush. Safe from any
 * thread: lines never interleave. Contact data and secrets are never given
 * to it by its callers. */
#ifndef SLOG_H
#define SLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum SlogLevel { SLOG_INFO, SLOG_WARN, SLOG_ERROR } SlogLevel;
typedef enum SlogFormat { SLOG_TEXT, SLOG_JSON } SlogFormat;

/* How long identical lines are counted rather than printed. */
#define SLOG_WINDOW_S 30

/* One field: a string (str not NULL) or a number. */
typedef struct SlogField {
    const char *key;
    const char *str;
    int64_t num;
} SlogField;

#define SLOG_S(k, v) ((SlogField){ (k), (v), 0 })
#define SLOG_I(k, v) ((SlogField){ (k), NULL, (int64_t)(v) })

/* Where lines go (stderr until called) and in which format. */
void slog_init(FILE *out, SlogFormat format);
/* "text" or "json"; false for anything else. */
bool slog_parse_format(const char *name, SlogFormat *out);

/* One line; request_id may be NULL, fields may be NULL when n is 0. */
void slog_fields(SlogLevel level, const char *request_id, const char *msg, const SlogField *fields, size_t n);
/* One line with a printf-formatted message and no fields. */
void slog(SlogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the counts of windows that are over; slog_flush: of all of them. */
void slog_tick(void);
void slog_flush(void);

#endif
