/* mapc: the .mapc bytecode file (docs/bytecode.md) — its constants, the
 * loader that reads and verifies a file before anything runs, and the loaded
 * form the VM and the disassembler read. A Mapc is immutable after loading.
 *
 * The writer is compiler/mapc_write.c; both sides share the constants here. */
#ifndef MAPC_H
#define MAPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builtins.h"
#include "cm_buf.h"
#include "value.h"

#define MAPC_MAGIC "MAPC"
#define MAPC_MAJOR 1
#define MAPC_MINOR 7              /* the newest minor version this reader knows */
#define MAPC_MINOR_FILES 6        /* ... with a file check or number bounds, and no ref chains */
#define MAPC_MINOR_PARAMS 5       /* ... with params, no file check and no number bounds */
#define MAPC_MINOR_LETS 4         /* ... with 1.4 code, checks or lets, and no params */
#define MAPC_MINOR_FACTS 1        /* what a file without a lookups section is written as */
#define MAPC_MINOR_LOOKUPS 2      /* ... with one, and no 1.3 code or fallbacks */
#define MAPC_MINOR_STRICT 3       /* ... with 1.3 code or fallbacks, and no 1.4 code or checks */
#define MAPC_MODE_STRICT 0x80u    /* 1.3: on an entity's mode byte, `strict` */
#define MAPC_BOM 0x1234u
#define MAPC_HEADER_SIZE 48u
#define MAPC_TRAILER_SIZE 4u
#define MAPC_MAX_INDEX 65535u        /* u16 operands */
#define MAPC_MAX_BUILTINS 255u
#define MAPC_MAX_SEGMENTS 64u
#define MAPC_MAX_LIST_DEPTH 16u      /* list constants inside list constants */
#define MAPC_MAX_CHAIN 16u           /* entities in one ref chain (section 14) */
/* Largest .mapc accepted: far above any real mapping, small enough that a
 * hostile file cannot make the loader allocate much. */
#define MAPC_MAX_FILE (16u * 1024u * 1024u)

enum MapcSection {
    MS_STRINGS = 1, MS_META, MS_CONSTS, MS_PATHS, MS_BUILTINS, MS_TABLES, MS_ENTITIES,
    MS__LAST = MS_ENTITIES,     /* the last required section */
    MS_FACTS,                   /* 1.1, optional: what the fields were when checked */
    MS_LOOKUPS,                 /* 1.2, optional: Dynamics lookups written through @odata.bind */
    MS_FALLBACKS,               /* 1.3, optional: `when no E` entities; the header flag says it is there */
    MS_CHECKS,                  /* 1.4, optional: what a typed field's value must look like */
    MS_LETS,                    /* 1.4, optional: the names of the let slots */
    MS_PARAMS,                  /* 1.5, optional: the params, their types and defaults */
    MS_REFS,                    /* 1.7, optional: the ref chains (`ref A ?? ref B`) REFS names */
    MS__KNOWN = MS_REFS
};

/* Header flags. A reader that skips the fallbacks section would send both
 * an entity and its fallback: the flag makes older readers refuse the file. */
enum { MAPC_FLAG_FALLBACKS = 1, MAPC_FLAG__ALL = 1 };

/* Lookups flags (section 9). */
enum { ML_PER_TARGET = 1, ML__ALL = 1 };

/* Facts flags: the target field as the mapping was checked against it. */
enum { MF_REQUIRED = 1, MF_CREATEABLE = 2, MF_UPDATEABLE = 4, MF_RESTRICTED = 8, MF__ALL = 15 };

enum MapcConstTag { MC_NULL, MC_FALSE, MC_TRUE, MC_NUMBER, MC_STRING, MC_LIST };

typedef enum MapcMode { MODE_C_CREATE, MODE_C_UPDATE, MODE_C_UPSERT } MapcMode;
typedef enum MapcFieldSection { FS_PAYLOAD, FS_IF_EMPTY, FS_ON_CREATE, FS__COUNT } MapcFieldSection;
typedef enum MapcEncoding {
    ENC_TEXT, ENC_NUMBER, ENC_BOOL, ENC_MULTI, ENC_OPTION, ENC_OPTION_MULTI, ENC_REF,
    ENC__COUNT
} MapcEncoding;
#define ENC_STRINGIFY 0x80u     /* flag: HubSpot, every value as a string */

/* The value check of a typed field (section 11, docs/bytecode.md): decided
 * at compile time from the field's type, so a record pays one byte's
 * switch per field and no type name compare. */
typedef enum MapcCheck {
    MK_NONE, MK_DATE, MK_DATETIME, MK_INTEGER, MK_DECIMAL, MK_PICKLIST,
    MK_FILE,                    /* 1.6: a file (file_value.h) into a base64 field */
    MK__COUNT
} MapcCheck;
/* 1.6: flags on a number check's kind byte (MK_INTEGER, MK_DECIMAL; places
 * MK_DECIMAL only), each saying one more datum follows the kind's own: the
 * least and greatest value (f64 each), the digits kept after the point (u8).
 * A 1.5 reader refuses the kind byte rather than skip the bound. */
enum { MK_HAS_MIN = 0x10, MK_HAS_MAX = 0x20, MK_HAS_PLACES = 0x40, MK_KIND_MASK = 0x0f };
#define MAPC_MAX_PLACES 15u       /* a double holds no more decimal digits */

typedef struct MapcPath {
    const uint32_t *segments;   /* string indexes */
    uint32_t nsegments;
    bool as_list;
} MapcPath;

typedef struct MapcTable {
    uint32_t name;              /* string index */
    uint32_t n;
    const Value *keys;          /* sorted by mapc_key_cmp, unique */
    const Value *values;
    bool has_else;
    Value else_value;
} MapcTable;

typedef struct MapcField {
    uint32_t name;              /* string index */
    uint8_t section;            /* MapcFieldSection */
    uint8_t encoding;           /* MapcEncoding, maybe | ENC_STRINGIFY */
    int32_t option_table;       /* -1: none */
    const char *json_key;       /* "Name": — escaped once at load time; a Dynamics
                                 * lookup with a text binding: "NAV@odata.bind": */
    uint32_t json_key_len;
    /* A Dynamics lookup (section 9): written through @odata.bind, never as
     * the plain attribute. */
    bool lookup;
    bool per_target;            /* a ref to E binds through NAME_E (Customer lookups) */
    int32_t bind_nav, bind_set; /* strings: what a text id binds through; -1: it cannot be bound */
    /* Section 11: MapcCheck; MK_DECIMAL's digits in all and after the
     * point (0: not known); MK_PICKLIST's table of the values it takes. */
    uint8_t check;
    uint8_t precision, scale;
    int32_t check_table;
    /* 1.6: MK_HAS_* of what the number check also holds the value to. */
    uint8_t bounds;
    uint8_t places;
    double min, max;
} MapcField;

/* The facts section (docs/bytecode.md, "8 facts"): one per field. */
typedef struct MapcFacts {
    uint32_t type;              /* string: the schema type name ("string", "picklist", ...) */
    int32_t label;              /* string, -1: none */
    uint32_t length;            /* 0: unknown or unlimited */
    uint32_t max_len;           /* the longest value the mapping writes; 0: unknown */
    uint8_t flags;              /* MF_* */
    const uint32_t *values;     /* strings: picklist values the mapping can send, bytewise ascending */
    uint32_t nvalues;
} MapcFacts;

typedef struct MapcUser {
    uint32_t email, id;         /* strings: user("EMAIL") compiled to the CRM id */
} MapcUser;

typedef struct MapcLine {
    uint32_t offset, line, col;
} MapcLine;

typedef struct MapcEntity {
    uint32_t name;              /* string index */
    uint8_t mode;               /* MapcMode */
    bool strict;                /* `strict`: all or nothing, no partial unit */
    int32_t key;                /* field index, -1: none */
    uint32_t line, col;         /* the entity header in the .map */
    const MapcField *fields;
    uint32_t nfields;
    uint32_t max_stack;
    const uint8_t *code;
    uint32_t code_len;
    const MapcLine *lines;
    uint32_t nlines;
    bool has_section[FS__COUNT];    /* some field goes to this section */
    int32_t fallback_of;        /* `when no E`: E's index (an earlier update entity); -1: none */
    int32_t fallback;           /* the later entity that takes this update's misses; -1: none */
    const MapcFacts *facts;     /* per field; NULL in a file without the facts section */
} MapcEntity;

/* A ref chain (section 14, 1.7): `ref A ?? ref B ...` into one field, the
 * entities in the order written; the record's first written one is linked. */
typedef struct MapcChain {
    const uint32_t *entities;   /* entity indexes, distinct */
    uint32_t n;                 /* 2 .. MAPC_MAX_CHAIN */
} MapcChain;

/* A `param` (section 13): its value is the default until mapc_param_set. */
typedef enum MapcParamType { MP_STRING = 1, MP_NUMBER, MP_BOOL, MP__LAST = MP_BOOL } MapcParamType;
typedef struct MapcParam {
    uint32_t name;              /* string index */
    uint8_t type;               /* MapcParamType */
    uint32_t default_const;     /* constant index: the default, of the type */
    Value value;                /* what PARAM pushes */
} MapcParam;

typedef struct Mapc {
    uint8_t major, minor;
    uint8_t fingerprint[32];
    uint32_t mapping, system, source;   /* string indexes (meta section) */
    const Value *strings;       /* V_STR, into the loaded copy of the file */
    uint32_t nstrings;
    const Value *consts;
    uint32_t nconsts;
    const MapcPath *paths;
    uint32_t npaths;
    const BuiltinId *builtins;
    uint32_t nbuiltins;
    const MapcTable *tables;
    uint32_t ntables;
    const MapcEntity *entities;
    uint32_t nentities;
    uint32_t max_stack;         /* over all entities */
    uint32_t max_fields;        /* over all entities */
    bool has_facts;             /* the facts section was present (1.1 and later) */
    uint16_t flags;             /* MAPC_FLAG_* of the header */
    const MapcUser *users;
    uint32_t nusers;
    const uint32_t *lets;       /* strings: each let slot's name (1.4) */
    uint32_t nlets;
    MapcParam *params;          /* 1.5 */
    uint32_t nparams;
    const MapcChain *chains;    /* 1.7 */
    uint32_t nchains;
    CmArena arena;              /* owns everything above and the file copy */
} Mapc;

/* The chain a V_REF links through (`ref A ?? ref B`); NULL for one entity. */
static inline const MapcChain *mapc_ref_chain(const Mapc *m, const Value *v)
{
    return v->type == V_REF && v->len ? &m->chains[v->len - 1] : NULL;
}

/* The param named name[0..len): its index, or -1. */
int32_t mapc_param_find(const Mapc *m, const char *name, size_t len);
/* Sets param i to text read as its type (a string as is; a number in JSON
 * syntax; true or false), once at load, before any VM runs m. False, with
 * the reason in err ("a number, such as 3 or 2.5"), when text is not one. */
bool mapc_param_set(Mapc *m, uint32_t i, const char *text, size_t len, char *err, size_t errlen);
/* "string", "number" or "boolean". */
const char *mapc_param_type_name(uint8_t type);

/* Reads and verifies a .mapc image (the caller keeps data; the Mapc holds its
 * own copy). On any problem returns NULL and writes a one-line reason to
 * err ("truncated: ...", "checksum mismatch ...", "entity Contact: offset
 * 12: jump into the middle of an instruction"). Never reads outside data. */
Mapc *mapc_load(const uint8_t *data, size_t len, char *err, size_t errlen);
void mapc_free(Mapc *m);

/* The string at index i as a NUL-free pointer and length. */
static inline const char *mapc_str(const Mapc *m, uint32_t i, uint32_t *len)
{
    *len = m->strings[i].len;
    return m->strings[i].u.str;
}

/* The .map line and column of the instruction at code offset pc. */
void mapc_position(const MapcEntity *e, uint32_t pc, uint32_t *line, uint32_t *col);

/* Table key order (docs/bytecode.md, section 6): null < false < true <
 * numbers < strings; numbers by value, strings bytewise. Keys are scalars. */
int mapc_key_cmp(const Value *a, const Value *b);

/* Looks key up in t (binary search, with the string/number fallback of the
 * format); returns the value or NULL when absent and there is no else. */
const Value *mapc_table_get(const MapcTable *t, const Value *key);

/* Appends the disassembly of m to out; source (may be NULL) is the text of
 * the .map file, whose lines are then interleaved with the code. */
void mapc_disasm(const Mapc *m, const char *source, size_t source_len, CmBuf *out);

#endif
