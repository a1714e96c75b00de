/* stack_walk: stack depths by one forward pass (see stack_walk.h). */
#include "stack_walk.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "cm_alloc.h"
#include "opcodes.h"

static bool fault(StackWalk *w, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fault(StackWalk *w, uint32_t pc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    va_end(ap);
    w->at = pc;
    return false;
}

static bool flow_to(StackWalk *w, int32_t *depth, uint32_t len, uint32_t from, uint32_t to, int32_t d)
{
    if (to >= len)
        return fault(w, from, "the program falls off the end of the code");
    if (to <= from)     /* one pass sees every predecessor first only so */
        return fault(w, from, "jump to offset %u: jumps go forward and stay inside the code", to);
    if (depth[to] < 0)
        depth[to] = d;
    else if (depth[to] != d)
        return fault(w, to, "stack depth %d here on one path and %d on another", depth[to], d);
    return true;
}

static bool walk(const uint8_t *code, uint32_t len, uint32_t limit, int32_t *depth, StackWalk *w)
{
    depth[0] = 0;
    for (uint32_t pc = 0; pc < len; pc += op_size(code[pc])) {
        unsigned op = code[pc];
        if (op >= BC__COUNT)
            return fault(w, pc, "unknown opcode 0x%02x", op);
        if (op_size(op) > len - pc)
            return fault(w, pc, "%s runs past the end of the code", op_info[op].name);
        int32_t d = depth[pc];
        if (d < 0)
            continue;
        const uint8_t *a = code + pc + 1;
        int32_t pops = (int32_t)op_pops(op, a);
        if (d < pops)
            return fault(w, pc, "%s pops %d values, the stack holds %d", op_info[op].name, pops, d);
        d = d - pops + op_info[op].pushes;
        assert(d >= 0);
        if ((uint32_t)d > limit)
            return fault(w, pc, "the stack grows to %d, above the declared maximum %u", d, limit);
        if ((uint32_t)d > w->max)
            w->max = (uint32_t)d;
        uint32_t next = pc + op_size(op);
        bool ok = true;
        switch ((OpFlow)op_info[op].flow) {
        case FLOW_NEXT: ok = flow_to(w, depth, len, pc, next, d); break;
        case FLOW_BRANCH:
            ok = flow_to(w, depth, len, pc, next, d) && flow_to(w, depth, len, pc, op_u16(a), d);
            break;
        case FLOW_GOTO: ok = flow_to(w, depth, len, pc, op_u16(a), d); break;
        case FLOW_STOP:
            if (d != 0)
                ok = fault(w, pc, "%s with %d values left on the stack", op_info[op].name, d);
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

bool stack_walk(const uint8_t *code, uint32_t len, uint32_t limit, StackWalk *w)
{
    w->max = 0;
    w->at = 0;
    w->why[0] = '\0';
    if (len == 0)
        return true;
    int32_t *depth = cm_malloc(len * sizeof *depth);
    for (uint32_t i = 0; i < len; i++)
        depth[i] = -1;
    bool ok = walk(code, len, limit, depth, w);
    cm_free(depth);
    return ok;
}
