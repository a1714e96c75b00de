/* mapc_write: builds a .mapc image (docs/bytecode.md) from pieces — interned
 * strings and constants, source paths, builtins, tables, and per entity its
 * field table, code and line table. Codegen drives it; the verifier tests use
 * it to make files, including broken ones (mw_code_raw, mw_set_max_stack).
 * Everything is emitted in the order it was added, so the same calls give the
 * same bytes. */
#ifndef MAPC_WRITE_H
#define MAPC_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builtins.h"
#include "cm_buf.h"
#include "mapc.h"
#include "opcodes.h"

typedef struct MapcWriter MapcWriter;
typedef struct MwEntity MwEntity;

MapcWriter *mw_new(void);
void mw_free(MapcWriter *w);

/* Interned: the same argument gives the same index. */
uint32_t mw_string(MapcWriter *w, const char *s, size_t len);
uint32_t mw_const_null(MapcWriter *w);
uint32_t mw_const_bool(MapcWriter *w, bool b);
uint32_t mw_const_num(MapcWriter *w, double x);
uint32_t mw_const_str(MapcWriter *w, const char *s, size_t len);
/* A list of earlier constants (not interned). */
uint32_t mw_const_list(MapcWriter *w, const uint32_t *items, uint32_t n);
uint32_t mw_path(MapcWriter *w, const char *const *segments, uint32_t n, bool as_list);
uint32_t mw_builtin(MapcWriter *w, BuiltinId id);
/* keys[i] -> values[i] (constant indexes; keys scalar); else_const -1: none.
 * The writer sorts the keys; a repeated key keeps its first value. */
uint32_t mw_table(MapcWriter *w, const char *name, const uint32_t *keys, const uint32_t *values,
                  uint32_t n, int32_t else_const);

void mw_meta(MapcWriter *w, const char *mapping, const char *system, const char *source_file);
void mw_fingerprint(MapcWriter *w, const uint8_t fingerprint[32]);

MwEntity *mw_entity(MapcWriter *w, const char *name, MapcMode mode, uint32_t line, uint32_t col);
/* Adds a field; returns its index. option_table -1: none. */
uint32_t mw_field(MwEntity *e, const char *name, MapcFieldSection section, uint8_t encoding,
                  int32_t option_table);
void mw_key(MwEntity *e, uint32_t field);
/* The entity is `strict` (format 1.3). */
void mw_strict(MwEntity *e);
/* e is a fallback (`when no E`) of the earlier update entity of index of. */
void mw_fallback(MwEntity *e, uint32_t of);

/* What the mapping was checked against for one of its fields (the facts
 * section, docs/bytecode.md): the field's type name, label (NULL: none),
 * length and MF_* flags then, the longest value the mapping writes to it
 * (0: unknown) and the picklist values it can send (any order, repeats
 * allowed: the writer sorts them). */
typedef struct MwFacts {
    const char *type, *label;
    uint32_t length, max_len;
    uint8_t flags;
    const char *const *values;
    uint32_t nvalues;
} MwFacts;
void mw_field_facts(MwEntity *e, uint32_t field, const MwFacts *facts);
/* A user(...) the mapping names and the CRM id it was compiled to (a
 * repeated e-mail is kept once). */
void mw_user(MapcWriter *w, const char *email, const char *id);
/* A let slot named name (the lets section, format 1.4): its index. */
uint32_t mw_let(MapcWriter *w, const char *name);
/* A param (the params section, format 1.5): its index, which PARAM names. */
uint32_t mw_param(MapcWriter *w, const char *name, MapcParamType type, uint32_t default_const);
/* A ref chain (the refs section, format 1.7): the entities of `ref A ??
 * ref B ...` in order; its index, which REFS names. */
uint32_t mw_chain(MapcWriter *w, const uint32_t *entities, uint32_t n);

/* A Dynamics lookup (the lookups section, docs/bytecode.md): field goes out
 * through @odata.bind; per_target: a ref to E binds through NAME_E; nav and
 * set (both NULL: a text id cannot be bound) are what a text id (a user(),
 * a source id) binds through: "NAV@odata.bind": "/SET(id)". A file with
 * lookups is format 1.2, one without stays 1.1. */
void mw_field_lookup(MwEntity *e, uint32_t field, bool per_target, const char *nav, const char *set);

/* Field's value check (section 11, docs/bytecode.md): MK_DECIMAL's
 * precision and scale (0: not known), MK_PICKLIST's table of the values the
 * field takes. A file with checks is format 1.4. */
void mw_field_check(MwEntity *e, uint32_t field, MapcCheck check, uint8_t precision, uint8_t scale,
                    uint32_t table);

/* 1.6: what field's number check (mw_field_check, MK_INTEGER or
 * MK_DECIMAL) also holds a value to: bounds is MK_HAS_* of min, max and
 * places (digits kept after the point, MK_DECIMAL only). A file with any
 * is format 1.6. */
void mw_field_bounds(MwEntity *e, uint32_t field, uint8_t bounds, double min, double max, uint8_t places);

/* Records that the code from here on comes from .map line:col. */
void mw_line(MwEntity *e, uint32_t line, uint32_t col);
/* Emits an instruction; operand is its u16 (CALL: builtin | argc << 8; the
 * four-byte layouts: first | second << 16). Returns the instruction's offset. */
uint32_t mw_op(MwEntity *e, OpCode op, uint32_t operand);
/* Points the jump at offset at to the current end of the code. */
void mw_patch_here(MwEntity *e, uint32_t at);
uint32_t mw_offset(const MwEntity *e);
void mw_code_raw(MwEntity *e, const uint8_t *bytes, size_t n);
/* Overrides the computed max stack (tests). */
void mw_set_max_stack(MwEntity *e, uint32_t max);

/* The whole file. False (with err) when a limit of the format is exceeded
 * (too many strings, code longer than 65535 bytes, ...). */
bool mw_finish(MapcWriter *w, CmBuf *out, char *err, size_t errlen);

#endif
