/* errfile: the error file of a run (docs/run.md, like Salesforce Data
 * Loader's error CSV): one NDJSON line per failed record and entity, with
 * the record's number and input text, the payload that was (or would have
 * been) sent, and the error (the CRM's code and message, and the .map line
 * of the field it names). Lines are appended with O_APPEND, so a resumed
 * run adds to the same file, and a line the file held when it was opened
 * (a unit sent again after a crash, failing the same way) is not written
 * twice; errfile_close flushes them to disk (fsync).
 * The file holds contact data: it is created with mode 0600. errfile_write
 * may be called from several threads at once (`crmmap serve` writes from
 * its HTTP threads and its sender); the other calls may not. */
#ifndef ERRFILE_H
#define ERRFILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ErrFile ErrFile;

/* One failed record (or one failed entity of a record), or one value a
 * partial unit went out without. */
typedef struct ErrRecord {
    size_t record;              /* 1-based record number in the input */
    size_t line;                /* input line the record starts at; 0: unknown */
    const char *entity;         /* the entity that failed; NULL: the record itself (bad input) */
    const char *error;          /* why, NUL-terminated */
    /* The record as read (rd_record_text). input_is_json (rd_record_is_json):
     * the text is well-formed JSON and is written as it is ("input");
     * otherwise (a malformed record) it is written as a JSON string
     * ("input_text"), invalid UTF-8 replaced by U+FFFD. */
    const char *input;
    size_t input_len;
    bool input_is_json;
    /* The payload as a JSON object's text (NULL: none was built). */
    const char *payload;
    size_t payload_len;
    /* The CRM's answer, when it refused the record: its error code and the
     * field it named (NULL: none), and that field's line in the .map (0:
     * unknown). A mapping's reject or runtime error has its line here too. */
    const char *code;
    const char *field;
    size_t map_line;
    /* serve's intake, for a record refused before it was stored (record is
     * 0 then: it has no number): when it came, as UTC "YYYY-MM-DDTHH:MM:SSZ"
     * (NULL: not from the intake), and its 1-based index in the request. */
    const char *received;
    size_t index;
    /* A unit sent without some value: "partial" (NULL: the unit failed);
     * for UNKNOWN_OPTION the answer and its question (or table). */
    const char *state;
    const char *value;
    const char *question;
} ErrRecord;

/* Opens path for appending, creating it (mode 0600) if need be; fresh (a
 * new run) empties it first. The file holds contact data, so it is never a
 * symbolic link (O_NOFOLLOW) or a hard link, its mode is set to 0600
 * whatever it was, and a fresh run empties only a file whose content is an
 * error file's. NULL on failure, with the reason in err. */
ErrFile *errfile_open(const char *path, bool fresh, char *err, size_t errlen);
/* Appends one line. False (reason in errfile_error) when it cannot be written. */
bool errfile_write(ErrFile *f, const ErrRecord *rec);
size_t errfile_count(const ErrFile *f);             /* lines of this run, held ones too */
const char *errfile_error(const ErrFile *f);
/* fsync and close; false (reason in err) when the data may not be on disk. */
bool errfile_close(ErrFile *f, char *err, size_t errlen);
/* Opens the file's path again (after logrotate moved it away: a new file,
 * mode 0600) and writes there from now on; the old file is flushed and
 * closed. May be called while other threads write. False with a message
 * (the old file stays in use). */
bool errfile_reopen(ErrFile *f, char *err, size_t errlen);

#endif
