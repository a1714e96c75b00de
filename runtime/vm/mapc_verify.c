/* mapc_verify: proves a program safe to run before the VM sees it — operands
 * in range, jumps forward onto instruction starts, one stack depth per
 * instruction whatever path reaches it, every path ending in a STOP opcode
 * with an empty stack. Driven entirely by opcodes.def. */
#include "mapc_verify.h"

#include <stdarg.h>
#include <stdio.h>

#include "cm_alloc.h"
#include "opcodes.h"

typedef struct Verifier {
    const Mapc *m;
    const MapcEntity *e;
    uint32_t index;
    char *err;
    size_t errlen;
    int32_t *depth;         /* per code offset: stack depth on entry, -1 unknown */
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
    case OPND_JUMP:
        if (x <= pc || x >= v->e->code_len)
            return failf(v, pc, "jump to offset %u: jumps go forward and stay inside the code", x);
        return true;
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
        if (op_info[code[pc]].operand == OPND_JUMP && !v->start[op_u16(code + pc + 1)])
            return failf(v, pc, "jump to offset %u, the middle of an instruction", op_u16(code + pc + 1));
    return true;
}

static bool flow_to(Verifier *v, uint32_t from, uint32_t to, int32_t depth)
{
    if (to >= v->e->code_len)
        return failf(v, from, "the program falls off the end of the code");
    if (v->depth[to] < 0)
        v->depth[to] = depth;
    else if (v->depth[to] != depth)
        return failf(v, to, "stack depth %d here on one path and %d on another", v->depth[to], depth);
    return true;
}

/* Pass 2: stack depths. Jumps only go forward, so one pass in code order sees
 * every predecessor of an instruction before the instruction itself.
 * Instructions no path reaches are never run and keep depth -1. */
static bool check_stack(Verifier *v)
{
    const uint8_t *code = v->e->code;
    uint32_t len = v->e->code_len;
    v->depth[0] = 0;
    for (uint32_t pc = 0; pc < len; pc += op_size(code[pc])) {
        int32_t d = v->depth[pc];
        if (d < 0)
            continue;
        unsigned op = code[pc];
        const uint8_t *a = code + pc + 1;
        int32_t pops = (int32_t)op_pops(op, a);
        if (d < pops)
            return failf(v, pc, "%s pops %d values, the stack holds %d", op_info[op].name, pops, d);
        d = d - pops + op_info[op].pushes;
        if ((uint32_t)d > v->e->max_stack)
            return failf(v, pc, "the stack grows to %d, above the declared maximum %u", d, v->e->max_stack);
        uint32_t next = pc + op_size(op);
        switch ((OpFlow)op_info[op].flow) {
        case FLOW_NEXT:
            if (!flow_to(v, pc, next, d))
                return false;
            break;
        case FLOW_BRANCH:
            if (!flow_to(v, pc, next, d) || !flow_to(v, pc, op_u16(a), d))
                return false;
            break;
        case FLOW_GOTO:
            if (!flow_to(v, pc, op_u16(a), d))
                return false;
            break;
        case FLOW_STOP:
            if (d != 0)
                return failf(v, pc, "%s with %d values left on the stack", op_info[op].name, d);
            break;
        }
    }
    return true;
}

bool mapc_verify_code(const Mapc *m, const MapcEntity *e, uint32_t index, char *err, size_t errlen)
{
    Verifier v = { m, e, index, err, errlen, NULL, NULL };
    v.depth = cm_malloc(e->code_len * sizeof *v.depth);
    v.start = cm_calloc(e->code_len, 1);
    for (uint32_t i = 0; i < e->code_len; i++)
        v.depth[i] = -1;
    bool ok = decode(&v) && check_stack(&v);
    cm_free(v.depth);
    cm_free(v.start);
    return ok;
}
