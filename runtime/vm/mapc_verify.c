/* mapc_verify: proves a program safe to run before the VM sees it — operands
 * in range, jumps forward onto instruction starts (decode), then by
 * stack_walk one stack depth per instruction whatever path reaches it, every
 * path ending in a STOP opcode with an empty stack. Driven entirely by
 * opcodes.def. */
#include "mapc_verify.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "cm_alloc.h"
#include "opcodes.h"
#include "stack_walk.h"

typedef struct Verifier {
    const Mapc *m;
    const MapcEntity *e;
    uint32_t index;
    char *err;
    size_t errlen;
    uint8_t *start;         /* per code offset: 1 where an instruction starts */
} Verifier;

static bool failf(Verifier *v, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool failf(Verifier *v, uint32_t pc, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(v->err, v->errlen, "code offset %u: %s", pc, msg);
    return false;
}

static bool check_index(Verifier *v, uint32_t pc, unsigned x, uint32_t limit, const char *what)
{
    if (x >= limit)
        return failf(v, pc, "%s index %u out of range (there are %u)", what, x, limit);
    return true;
}

/* Operand ranges, by the operand kind opcodes.def gives the opcode. */
static bool check_operand(Verifier *v, uint32_t pc, unsigned op, const uint8_t *a)
{
    const Mapc *m = v->m;
    unsigned x = op_u16(a);
    switch ((OpOperand)op_info[op].operand) {
    case OPND_NONE:
    case OPND_COUNT:
        return true;
    case OPND_CONST: return check_index(v, pc, x, m->nconsts, "constant");
    case OPND_PATH: return check_index(v, pc, x, m->npaths, "source path");
    case OPND_TABLE: return check_index(v, pc, x, m->ntables, "table");
    case OPND_FIELD: return check_index(v, pc, x, v->e->nfields, "field");
    case OPND_STRING: return check_index(v, pc, x, m->nstrings, "string");
    case OPND_ENTITY:
        if (x >= v->index)
            return failf(v, pc, "ref to entity %u, which is not an earlier entity", x);
        return true;
    case OPND_CALL: {
        if (!check_index(v, pc, a[0], m->nbuiltins, "builtin"))
            return false;
        const BuiltinInfo *bi = &builtin_info[m->builtins[a[0]]];
        if (a[1] < bi->min_args || (bi->max_args >= 0 && a[1] > bi->max_args))
            return failf(v, pc, "%s called with %u arguments", bi->name, a[1]);
        return true;
    }
    case OPND_LET: return check_index(v, pc, x, m->nlets, "let");
    case OPND_PARAM: return check_index(v, pc, x, m->nparams, "param");
    case OPND_CHAIN:
        if (!check_index(v, pc, x, m->nchains, "ref chain"))
            return false;
        for (uint32_t k = 0; k < m->chains[x].n; k++)
            if (m->chains[x].entities[k] >= v->index)
                return failf(v, pc, "ref chain %u links entity %u, which is not an earlier entity", x,
                             m->chains[x].entities[k]);
        return true;
    case OPND_GUARD:
    case OPND_JUMP:
    case OPND_LET_JUMP:
        if (x <= pc || x >= v->e->code_len)
            return failf(v, pc, "jump to offset %u: jumps go forward and stay inside the code", x);
        if (op_info[op].operand == OPND_LET_JUMP)
            return check_index(v, pc, op_u16(a + 2), m->nlets, "let");
        return op_info[op].operand != OPND_GUARD || check_index(v, pc, op_u16(a + 2), v->e->nfields, "field");
    case OPND_PATH_TABLE:
        return check_index(v, pc, x, m->npaths, "source path")
               && check_index(v, pc, op_u16(a + 2), m->ntables, "table");
    case OPND__COUNT:
        break;
    }
    return failf(v, pc, "opcode %s has an unknown operand layout", op_info[op].name);
}

/* Pass 1: decode linearly; opcodes known, operands inside the code and in range. */
static bool decode(Verifier *v)
{
    const uint8_t *code = v->e->code;
    uint32_t len = v->e->code_len;
    for (uint32_t pc = 0; pc < len;) {
        unsigned op = code[pc];
        if (op >= BC__COUNT)
            return failf(v, pc, "unknown opcode 0x%02x", op);
        unsigned size = op_size(op);
        if (size > len - pc)
            return failf(v, pc, "%s runs past the end of the code", op_info[op].name);
        if (!check_operand(v, pc, op, code + pc + 1))
            return false;
        v->start[pc] = 1;
        pc += size;
    }
    for (uint32_t pc = 0; pc < len; pc += op_size(code[pc]))    /* reachable or not */
        if (op_jumps(code[pc]) && !v->start[op_u16(code + pc + 1)])
            return failf(v, pc, "jump to offset %u, the middle of an instruction", op_u16(code + pc + 1));
    return true;
}

bool mapc_verify_code(const Mapc *m, const MapcEntity *e, uint32_t index, char *err, size_t errlen)
{
    Verifier v = { m, e, index, err, errlen, NULL };
    v.start = cm_calloc(e->code_len, 1);
    bool ok = decode(&v);
    cm_free(v.start);
    StackWalk w = { 0 };
    if (ok && !stack_walk(e->code, e->code_len, e->max_stack, &w))
        ok = failf(&v, w.at, "%s", w.why);
    /* What the VM's stack (max_stack + 1 values) relies on. */
    assert(!ok || w.max <= e->max_stack);
    return ok;
}
