/* diag: owns the source texts diagnostics point into, collects diagnostics
 * (errors are collected, never fatal) and renders them as text (file:line:col,
 * the line, a caret span, help: lines), JSON, SARIF 2.1.0 or GitHub annotations.
 * A diagnostic in an included file also names the include lines that led
 * to it (a note in text, "included_from" in JSON, SARIF relatedLocations).
 *
 * Positions are byte offsets into a DiagSource; lines and columns (1-based,
 * columns counted in Unicode code points) are computed when rendering. */
#ifndef DIAG_H
#define DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct DiagSource DiagSource;
typedef struct DiagSink DiagSink;

/* A half-open byte range [start, end) in src; src NULL means "no location". */
typedef struct Span {
    const DiagSource *src;
    uint32_t start, end;
} Span;

typedef enum { DIAG_ERROR, DIAG_WARNING } DiagSeverity;
typedef enum { DIAG_TEXT, DIAG_JSON, DIAG_SARIF, DIAG_GITHUB } DiagFormat;

typedef struct Diag {
    DiagSeverity severity;
    char code[8];           /* "E0102" */
    char *message;
    Span span;
    char **help;
    size_t nhelp;
} Diag;

/* Called for every diagnostic as it is reported (tests capture them here). */
typedef void (*DiagCallback)(const Diag *d, void *ctx);

DiagSink *diag_sink_new(void);
void diag_sink_free(DiagSink *s);
void diag_sink_set_callback(DiagSink *s, DiagCallback cb, void *ctx);

/* Registers a file for diagnostics; the sink keeps its own copy of name and
 * text. text may be NULL for a file that could not be read. */
DiagSource *diag_source_add(DiagSink *s, const char *name, const char *text, size_t len);
const char *diag_source_name(const DiagSource *src);
/* An included file's include line: every diagnostic in src then names it
 * ("included from FILE:LINE:COL", and that file's own, outwards). */
void diag_source_set_parent(DiagSink *s, const DiagSource *src, Span at);
/* Where src was included from; src NULL in the result for a file that was not. */
Span diag_source_parent(const DiagSource *src);
const char *diag_source_text(const DiagSource *src, size_t *len);

/* Span helpers. */
Span diag_span(const DiagSource *src, uint32_t start, uint32_t end);
Span diag_span_join(Span a, Span b);   /* from a's start to b's end */
Span diag_nowhere(const DiagSource *src); /* file only, no line */

/* Reports a diagnostic; the returned pointer stays valid for diag_help. */
Diag *diag_report(DiagSink *s, DiagSeverity sev, const char *code, Span span,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag_help(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t diag_count(const DiagSink *s, DiagSeverity sev);
size_t diag_total(const DiagSink *s);
const Diag *diag_at(const DiagSink *s, size_t i);

/* The 0-based line holding byte offset off, given where each of n lines
 * starts (ascending, starts[0] == 0): also for positions the language
 * server counts in UTF-16. */
size_t diag_line_of(const uint32_t *starts, size_t n, uint32_t off);
/* 1-based line and column (code points) of byte offset off. */
void diag_position(const DiagSource *src, uint32_t off, uint32_t *line, uint32_t *col);

/* Renders every diagnostic, sorted by file and position. */
void diag_render(const DiagSink *s, FILE *out, DiagFormat fmt, bool color);
bool diag_format_parse(const char *name, DiagFormat *fmt);

/* a and b equal but for ASCII case (whatever the locale), for
 * did-you-mean matches. */
bool diag_equal_ignoring_case(const char *a, const char *b);

/* Edit distance (Damerau-Levenshtein, optimal string alignment), for
 * did-you-mean suggestions. */
size_t diag_edit_distance(const char *a, const char *b);
/* Best candidate for a misspelled name: a case-insensitive match first, then
 * the smallest edit distance within a third of the name's length; NULL if none. */
const char *diag_suggest(const char *name, const char *const *candidates, size_t n);

#endif
