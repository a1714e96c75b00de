/* value: what the VM computes with. Values are small and copied by value;
 * strings and lists point into the input record's buffer or the per-record
 * arena, never into separately malloc'd memory, so a record costs no
 * allocation per field. */
#ifndef VALUE_H
#define VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum VType {
    V_NULL,         /* null or missing */
    V_BOOL,
    V_NUM,
    V_STR,          /* UTF-8 bytes, not NUL-terminated */
    V_LIST,         /* multi-select answers, split(), list literals */
    V_OBJECT,       /* a nested source object (only tested for presence) */
    V_REF,          /* ref ENTITY: u.ref is the entity's index in the program;
                     * len 0, or for `ref A ?? ref B` 1 + the chain's index
                     * (mapc.h, MapcChain) and u.ref its first entity with a record */
    V_CLEAR         /* `clear`: explicitly blank the CRM field */
} VType;

typedef struct Value {
    uint8_t type;           /* VType */
    uint32_t len;           /* V_STR: bytes; V_LIST: items; V_REF: see above */
    union {
        bool b;
        double num;
        const char *str;
        const struct Value *items;
        uint32_t ref;
    } u;
} Value;

static inline Value v_null(void) { Value v = { V_NULL, 0, { .b = false } }; return v; }
static inline Value v_bool(bool b) { Value v = { V_BOOL, 0, { .b = b } }; return v; }
static inline Value v_num(double n) { Value v = { V_NUM, 0, { .num = n } }; return v; }
static inline Value v_str(const char *s, uint32_t len) { Value v = { V_STR, len, { .str = s } }; return v; }

/* Empty per docs/language.md: null, missing, a string that is blank after trimming
 * (Unicode white space, see text_space.h), or a list with no non-empty item.
 * Empty values are never sent. */
bool value_is_empty(const Value *v);

#endif
