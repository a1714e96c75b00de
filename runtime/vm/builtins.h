/* builtins: the mapping language's functions (the list is builtins.def).
 * Each takes its arguments as Values and writes one Value; results that need
 * memory take it from the caller's per-record arena. What each one does,
 * exactly, is docs/builtins.md. */
#ifndef BUILTINS_H
#define BUILTINS_H

#include <time.h>

#include "cm_buf.h"
#include "value.h"

typedef enum BuiltinId {
#define BUILTIN(name, min, max, result) BI_##name,
#include "builtins.def"
#undef BUILTIN
    BI__COUNT
} BuiltinId;

typedef struct BuiltinInfo {
    const char *name;
    int min_args, max_args;     /* max -1: variadic */
    const char *result;         /* "STRING", "NUMBER", ... */
} BuiltinInfo;

extern const BuiltinInfo builtin_info[BI__COUNT];
/* BI__COUNT when name is not a builtin. */
BuiltinId builtin_lookup(const char *name);

/* State the builtins keep between calls of one run (compiled regular
 * expressions, the hash context); private to the builtins. */
typedef struct BiState BiState;

typedef struct BiCtx {
    CmArena *arena;             /* per-record scratch for results */
    size_t max_bytes;           /* the record's memory budget: a result that
                                 * would take the arena past it is an error
                                 * (0: none; the VM sets VM_MAX_RECORD_BYTES) */
    time_t now;                 /* fixed per run; see builtins_clock() */
    char error[256];            /* set when a builtin returns false */
    BiState *state;             /* NULL to start with; created on first need,
                                 * released by builtin_ctx_free() */
    bool over;                  /* the budget refused an allocation (the caller resets it) */
} BiCtx;

/* n zeroed bytes from cx->arena, or NULL with cx->error set when they would
 * take the record past cx->max_bytes: what a hostile mapping that multiplies
 * text (nested replace) meets instead of exhausting memory. The VM's own
 * results (concatenation, lists) take the same way. */
void *builtin_alloc(BiCtx *cx, size_t n);

/* Releases what the builtins cached in cx (cx->state); cx can be reused. */
void builtin_ctx_free(BiCtx *cx);

/* Calls builtin id. Returns false on a runtime error (bad date format, invalid
 * regular expression, ...) with cx->error set to "NAME: what went wrong"; the
 * record is then reported. Also false for an argument count outside the
 * builtin's arity (the checker and the verifier should have caught it). */
bool builtin_call(BiCtx *cx, BuiltinId id, const Value *args, size_t nargs, Value *out);

/* The clock for today() and now(): CRMMAP_NOW (an ISO 8601 date-time such as
 * 2026-11-22T10:00:00Z, for reproducible tests) when set, else time(). An
 * unreadable CRMMAP_NOW is reported on stderr and ignored. */
time_t builtins_clock(void);

/* Compares two NUL-terminated texts without case, as lower() maps it
 * (its table: Latin, Greek, Cyrillic), where strcasecmp knows only ASCII:
 * "JÜRGEN@X.DE" equals "jürgen@x.de". A total order (<0, 0, >0) for
 * sorting and searching keys the way the CRMs match them. */
int builtin_text_casecmp(const char *a, const char *b);

/* Compiles a matches() or extract() pattern (POSIX ERE) to check it, for
 * the checker to report a bad constant pattern at compile time, and sets
 * *groups (unless NULL) to its number of groups. On failure writes regcomp's
 * message to err and returns false. extract() takes groups 0 to
 * BI_REGEX_MAX_GROUP. */
enum { BI_REGEX_MAX_GROUP = 9 };
bool builtin_regex_check(const char *pattern, size_t len, size_t *groups, char *err, size_t errlen);

/* Checks a format_date() format (tokens YYYY YY MM M DD D, other letters
 * refused) and sets *max_len to the most characters it writes. On failure
 * writes why to err, the byte offset of the culprit to *bad_at, and returns
 * false. */
bool builtin_date_format_check(const char *f, size_t n, uint32_t *max_len, size_t *bad_at,
                               char *err, size_t errlen);

/* What is wrong with the format of date(x, FORMAT) / datetime(x, FORMAT)
 * (docs/builtins.md: YYYY MM M DD D HH H mm ss Z, other characters as
 * they are), NULL when nothing; *at is the byte offset the problem is at
 * (len: the format as a whole). The checker reports it as E0122. */
const char *builtin_date_format_problem(const char *format, size_t len, size_t *at);

#endif
