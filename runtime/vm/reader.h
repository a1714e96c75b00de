/* reader: streams source records from NDJSON, a top-level JSON array of
 * objects, or CSV with a header row (docs/input.md), one record at a time.
 *
 * Each record is parsed, strictly (RFC 8259 JSON, RFC 3629 UTF-8, RFC 4180
 * CSV), into a flat tree of values owned by the reader: a node array and an
 * arena, both reset for the next record, so memory is bounded by the record
 * caps below and never grows with the input. Strings without escapes point
 * into the input buffer; no value costs a malloc.
 *
 * Two ways to consume a record:
 *   - rd_read() and the tree functions (rd_root, rd_get, rd_get_path, ...):
 *     any value, by key or dotted path, for tools and tests;
 *   - rd_next() with an RdPaths: the VM registers the source paths its
 *     bytecode reads once, and each record fills one Value slot per path.
 * Everything a record hands out stays valid until the next rd_read/rd_next.
 *
 * Errors name the record (1-based, bad records counted too) and the input
 * line:col (1-based; col counts bytes) where the problem is. */
#ifndef READER_H
#define READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cm_buf.h"
#include "value.h"

/* Caps. A record (an NDJSON line, a JSON array element, a CSV row) longer
 * than RD_MAX_RECORD bytes, nested deeper than RD_MAX_DEPTH, or holding more
 * than RD_MAX_VALUES values is a bad record. */
#define RD_MAX_RECORD (1u * 1024u * 1024u)
#define RD_MAX_DEPTH 64u
#define RD_MAX_VALUES 262144u
#define RD_MAX_COLUMNS 4096u

typedef struct Reader Reader;

typedef enum RdFormat { RD_AUTO, RD_NDJSON, RD_JSON_ARRAY, RD_CSV } RdFormat;

/* Reads from in (not closed by rd_close). RD_AUTO looks at the first byte
 * after a UTF-8 byte-order mark and whitespace: '[' is a JSON array, '{'
 * NDJSON, anything else CSV. paths may be NULL when only rd_read is used. */
typedef struct RdPaths RdPaths;
Reader *rd_open(FILE *in, RdFormat fmt, const RdPaths *paths);
/* The input named on a command line: "-" is stdin, anything else a file
 * opened for reading. NULL with the reason in err when it cannot be opened.
 * Close it with rd_close_input. */
FILE *rd_open_input(const char *path, char *err, size_t errlen);
void rd_close_input(FILE *in);
void rd_close(Reader *r);
/* The format in use (RD_AUTO until the first byte has been seen). */
RdFormat rd_format(const Reader *r);
/* Parses a format name: "ndjson", "json" (an array), "csv" or "auto". */
bool rd_format_parse(const char *name, RdFormat *out);

typedef enum RdStatus {
    RD_RECORD,          /* a record was read */
    RD_END,             /* no more records */
    RD_BAD_RECORD,      /* this record is malformed (rd_error says why) and
                           skipped; the next call reads the one after it */
    RD_FATAL            /* the input cannot be read further */
} RdStatus;

/* Reads the next record into the reader's tree. */
RdStatus rd_read(Reader *r);

size_t rd_record_number(const Reader *r);
/* The last error's message (without position), "" when there is none. */
const char *rd_error(const Reader *r);
/* Where the last error is in the input: 1-based line and byte column
 * (0 and 0 when there is no error). */
void rd_error_pos(const Reader *r, size_t *line, size_t *col);
/* Input line where the current (or bad) record starts. */
size_t rd_record_line(const Reader *r);
/* The current record's text: for a good record its JSON text, or for CSV
 * the row as a JSON object of header -> cell (every cell, as a string);
 * for a bad record the text as the input held it (a CSV row without its
 * line break). For a record over RD_MAX_RECORD: "" (it is not kept). */
const char *rd_record_text(Reader *r, size_t *len);
/* Whether rd_record_text is well-formed JSON: after RD_RECORD. */
bool rd_record_is_json(const Reader *r);

/* ---- the record as a tree ---- */

/* A value of the current record; RD_NONE: there is no such value. */
typedef uint32_t RdNode;
#define RD_NONE UINT32_MAX

typedef enum RdKind { RDK_NULL, RDK_BOOL, RDK_NUM, RDK_STR, RDK_ARRAY, RDK_OBJECT } RdKind;

/* The record itself: always an object (RD_NONE unless the last rd_read
 * returned RD_RECORD). */
RdNode rd_root(const Reader *r);
/* Kind of n; RD_NONE (a missing value) is RDK_NULL. */
RdKind rd_kind(const Reader *r, RdNode n);
/* Member key of obj (an object); with duplicate keys the last one wins.
 * RD_NONE when obj is not an object or has no such member. */
RdNode rd_get(const Reader *r, RdNode obj, const char *key, size_t len);
/* A dotted path from the root: "answers.q_interest" is member q_interest of
 * member answers. (A key that itself holds a dot needs rd_get.) */
RdNode rd_get_path(const Reader *r, const char *path);
/* Items of an array or members of an object, in input order:
 * for (RdNode c = rd_first(r, n); c != RD_NONE; c = rd_next_sibling(r, c)) */
RdNode rd_first(const Reader *r, RdNode n);
RdNode rd_next_sibling(const Reader *r, RdNode n);
size_t rd_count(const Reader *r, RdNode n);         /* items or members */
/* The member name of n inside its object (NULL for array items and the root). */
const char *rd_key(const Reader *r, RdNode n, size_t *len);
/* RDK_STR: the decoded UTF-8 bytes (not NUL-terminated; may hold NUL from
 * \u0000). RDK_NUM: the number's text as written. NULL otherwise. */
const char *rd_text(const Reader *r, RdNode n, size_t *len);
double rd_num(const Reader *r, RdNode n);           /* RDK_NUM, else 0 */
bool rd_bool(const Reader *r, RdNode n);            /* RDK_BOOL, else false */
/* n as a VM value: null/missing V_NULL, V_BOOL, V_NUM, V_STR; an object
 * V_OBJECT (presence only); an array V_LIST of its items (nested objects
 * and arrays inside it become V_OBJECT items), allocated in arena. */
Value rd_value(const Reader *r, RdNode n, CmArena *arena);

/* ---- the VM's interface: registered paths into slots ---- */

RdPaths *rd_paths_new(void);
/* Adds a path (segments, e.g. {"answers","q_interest"}) and returns its slot;
 * adding a path twice returns the same slot. as_list: a CSV cell for this
 * path is a ';'-separated list (multi-select), items trimmed, empty ones
 * dropped; JSON values are taken as they are. */
size_t rd_paths_add(RdPaths *p, const char *const *segments, size_t nsegments, bool as_list);
size_t rd_paths_count(const RdPaths *p);
void rd_paths_free(RdPaths *p);

/* rd_read, then slots[i] = rd_value of path i (missing: V_NULL). Lists are
 * allocated in arena. On RD_BAD_RECORD the slots are all V_NULL. */
RdStatus rd_next(Reader *r, Value *slots, CmArena *arena);

#endif
