/* reader_int: what reader.c (buffer, framing, tree access, slots),
 * reader_json.c (the JSON parser) and reader_csv.c (CSV rows) share. Not
 * for use outside the reader. */
#ifndef READER_INT_H
#define READER_INT_H

#include <stdarg.h>

#include "reader.h"

/* One value of the current record. Containers' children follow them in
 * the node array (the first child is at index + 1), linked by next. */
typedef struct RdValue {
    const char *text;       /* RDK_STR: decoded bytes; RDK_NUM: its text */
    const char *key;        /* member name (decoded), NULL outside objects */
    uint32_t len, key_len;
    uint32_t next;          /* next sibling, RD_NONE after the last */
    uint8_t kind;           /* RdKind */
    union {
        double num;         /* RDK_NUM */
        uint32_t count;     /* RDK_ARRAY, RDK_OBJECT: children */
        bool b;             /* RDK_BOOL */
    } u;
} RdValue;

typedef struct RdCsv RdCsv;

struct Reader {
    FILE *in;
    RdFormat fmt;
    const RdPaths *paths;

    /* The input: buf[start, len) is unread; buf[0] is input byte buf_pos. */
    char *buf;
    size_t start, len, cap;
    uint64_t buf_pos;
    bool eof, read_error, bom_checked;
    /* Position of buf[start]: its line, and the input offset that line starts at. */
    uint64_t line, line_start;

    bool started, done;     /* JSON array: '[' seen / ']' seen or fatal */
    RdStatus status;        /* of the last rd_read */
    size_t record;

    /* The current record's text and where it starts in the input. */
    const char *rec;
    size_t rec_len;
    uint64_t rec_line, rec_col;

    /* The tree of the current record, and its decoded strings. */
    RdValue *nodes;
    uint32_t nnodes, cap_nodes;
    CmArena arena;

    char error[200];
    uint64_t err_line, err_col;
    const char *err_at;     /* the byte rd_fail_at was given, else NULL */

    Value *items;           /* scratch for lists built by rd_value */
    size_t nitems, cap_items;

    RdCsv *csv;
    CmBuf row_json;         /* rd_record_text for CSV */
};

/* Appends a node (zeroed, next = RD_NONE) and returns its index, or RD_NONE
 * when the record already holds RD_MAX_VALUES values. */
uint32_t rd_new_node(Reader *r, RdKind kind);

/* Records an error at the byte `at` of the current record's text (or of the
 * buffer past it); returns false. */
bool rd_fail_at(Reader *r, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records an error at an input line and column; returns false. */
bool rd_fail_pos(Reader *r, uint64_t line, uint64_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A record over RD_MAX_RECORD that starts at line:col (it is not kept). */
bool rd_fail_oversize(Reader *r, uint64_t line, uint64_t col);

/* Parses text[0, n) (one record) into the tree. On failure the error is
 * recorded and *syntax says whether it was a syntax error (after which a
 * JSON array cannot be framed reliably) or a bad value in good syntax. */
bool rd_json_parse(Reader *r, const char *text, size_t n, bool *syntax);
/* Parses the object at the start of text[0, n) and sets *used to its
 * length; what follows it is not looked at. On failure r->err_at is where
 * parsing stopped (maybe only because text ends too soon). */
bool rd_json_parse_object(Reader *r, const char *text, size_t n, size_t *used);

/* CSV: the next record (header row first read on the first call). */
RdStatus rd_csv_next(Reader *r);
void rd_csv_free(RdCsv *c);
/* The current (good) row as a JSON object of header -> cell. */
void rd_csv_record_text(Reader *r, CmBuf *out);

/* Buffer access shared by the framers. */
bool rd_fill(Reader *r);                    /* false at the end of the input */
void rd_advance(Reader *r, size_t n);       /* consumes n bytes, counting lines */
void rd_begin_record(Reader *r, const char *text, size_t len);

#endif
