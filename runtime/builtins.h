/* builtins: the mapping language's functions (the list is builtins.def).
 * Each takes its arguments as Values and writes one Value; results that need
 * memory take it from the caller's per-record arena. */
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

typedef struct BiCtx {
    CmArena *arena;             /* per-record scratch for results */
    time_t now;                 /* fixed per run; CRMMAP_NOW overrides it in tests */
    char error[256];            /* set when a builtin returns false */
} BiCtx;

/* Calls builtin id. Returns false on a runtime error (bad date format, invalid
 * regular expression, ...) with cx->error set; the record is then reported. */
bool builtin_call(BiCtx *cx, BuiltinId id, const Value *args, size_t nargs, Value *out);

#endif
