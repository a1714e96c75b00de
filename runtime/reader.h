/* reader: streams source records (NDJSON, a JSON array, or CSV with a header
 * row) and extracts only the paths a program reads into value slots. Memory
 * stays flat in the input size: one record's text at a time. */
#ifndef READER_H
#define READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cm_buf.h"
#include "value.h"

typedef struct RdPaths RdPaths;
typedef struct Reader Reader;

typedef enum RdFormat { RD_AUTO, RD_NDJSON, RD_JSON_ARRAY, RD_CSV } RdFormat;

RdPaths *rd_paths_new(void);
/* Adds a path (segments, e.g. {"answers","q_interest"}) and returns its slot.
 * as_list: a CSV cell for this path is a ';'-separated list (multi-select). */
size_t rd_paths_add(RdPaths *p, const char *const *segments, size_t nsegments, bool as_list);
size_t rd_paths_count(const RdPaths *p);
void rd_paths_free(RdPaths *p);

/* RD_AUTO: '[' starts a JSON array, '{' NDJSON, anything else CSV. */
Reader *rd_open(FILE *in, RdFormat fmt, const RdPaths *paths);

typedef enum RdStatus { RD_RECORD, RD_END, RD_BAD_RECORD, RD_FATAL } RdStatus;

/* Reads the next record into slots[rd_paths_count] (missing paths: V_NULL).
 * Strings point into the reader's buffer or arena; they stay valid until the
 * next call. RD_BAD_RECORD: this record is malformed (rd_error says why) and
 * skipped, reading may go on; RD_FATAL: the input cannot be read further. */
RdStatus rd_next(Reader *r, Value *slots, CmArena *arena);
size_t rd_record_number(const Reader *r);          /* 1-based, counts bad records too */
const char *rd_error(const Reader *r);
/* The current record's text as read (JSON; CSV rows as a JSON object). */
const char *rd_record_text(const Reader *r, size_t *len);
void rd_close(Reader *r);

/* Caps: a record larger than this is a bad record. */
#define RD_MAX_RECORD (1u * 1024u * 1024u)

#endif
