/* vm: runs a loaded, verified Mapc on source records, one record at a time —
 * every entity's program in file order — and produces per entity a VmResult:
 * the values ready to send (already encoded for their CRM field), or why
 * there are none. The dry-run printer (dryrun.h) and the transfer code both
 * consume VmResults; neither needs to know about bytecode.
 *
 * Memory: the stack and result arrays are allocated once in vm_new; values a
 * record needs (concatenations, builtin results) come from an arena reset at
 * the start of each record. Nothing is allocated per field. */
#ifndef VM_H
#define VM_H

#include <stdbool.h>
#include <stdint.h>

#include "builtins.h"
#include "mapc.h"
#include "value.h"

typedef enum VmOutcome {
    VM_RECORD,      /* values below are the record to write */
    VM_NONE,        /* the entity's `when` is false: nothing for this record */
    VM_REJECT,      /* message: a `reject` rule, or the key has no value */
    VM_SKIP,        /* parent: the entity refs a parent that produced no record */
    VM_ERROR        /* message: a runtime error at line:col */
} VmOutcome;

/* What a unit goes out without (docs/run.md, "Partial units"): a field
 * whose statement failed at run time and was left out, or a source answer
 * that is not one of its question's options or that a table has no entry
 * for (UNKNOWN_OPTION; the value is then sent as it is, or left out). */
typedef struct VmPartial {
    const struct VmPartial *next;
    int32_t field;              /* entity->fields index; -1: not in a field's statement */
    bool unknown_option;        /* UNKNOWN_OPTION: value and question are set */
    bool bad_value;             /* BAD_VALUE: the field does not take value (vm_check.h) */
    const char *message;
    uint32_t message_len;
    const char *value;          /* the answer as text */
    uint32_t value_len;
    const char *question;       /* the source question's path, or the table's name */
    uint32_t question_len;
    uint32_t line, col;         /* where in the .map */
} VmPartial;

typedef struct VmResult {
    const MapcEntity *entity;
    uint8_t outcome;            /* VmOutcome */
    /* VM_RECORD: per field of entity (entity->fields[i]), set[i] says whether
     * a value goes out, values[i] is it, encoded for its field: V_STR, V_NUM,
     * V_BOOL, V_REF (a link to entity u.ref's record) or V_CLEAR. */
    const uint8_t *set;
    const Value *values;
    /* VM_REJECT and VM_ERROR: what to tell the user, and where in the .map. */
    const char *message;
    uint32_t message_len;
    uint32_t line, col;
    /* VM_SKIP: the parent entity's index and its outcome. */
    uint32_t parent;
    uint8_t parent_outcome;
    /* VM_RECORD: what the record goes out without, in code order (a list
     * in the record's arena); NULL: nothing. A `strict` entity has none:
     * what would be partial ends it in VM_ERROR instead. */
    const VmPartial *partial;
    uint32_t npartial;
} VmResult;

/* Per-record budgets no honest mapping comes near (docs/run.md, "Limits"):
 * the bytes the record's values may take (the source record's own values
 * count too), and the bytes of text its fields may send. Past either, the
 * entity ends in VM_ERROR at the expression that went over, instead of a
 * mapping that multiplies text (nested replace) taking all memory. */
#define VM_MAX_RECORD_BYTES (64u << 20)
#define VM_MAX_OUTPUT_BYTES (16u << 20)

typedef struct Vm Vm;

/* A VM for m (which must outlive it). slot_of_path[p] is the record slot the
 * reader fills for m's source path p (see reader.h). */
Vm *vm_new(const Mapc *m, const uint32_t *slot_of_path);
void vm_free(Vm *vm);

/* Runs every entity on one record (its slots as the reader filled them) and
 * returns m->nentities results, valid until the next call. */
const VmResult *vm_run(Vm *vm, const Value *slots);

/* The arena for this record's values: the reader can fill slots from it.
 * vm_run does not reset it; vm_begin_record does. */
CmArena *vm_record_arena(Vm *vm);
void vm_begin_record(Vm *vm);

#endif
