/* stack_walk: the stack depth of a program at every instruction, in one
 * pass in code order (jumps only go forward, so every predecessor of an
 * instruction comes before it). The one walk behind the verifier's proof
 * (mapc_verify) and the writer's declared maximum (mapc_write). */
#ifndef STACK_WALK_H
#define STACK_WALK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct StackWalk {
    uint32_t max;       /* the deepest the stack gets on any path walked */
    uint32_t at;        /* on failure: the code offset at fault */
    char why[160];      /* on failure: what is wrong there */
} StackWalk;

/* True when every path holds one depth per instruction, never pops more
 * than the stack holds, never exceeds limit, stays inside the code and ends
 * in a STOP opcode with an empty stack. Instructions no path reaches are not
 * walked. Checks opcodes and sizes only as far as it needs to walk safely:
 * operands are the verifier's (decode). */
bool stack_walk(const uint8_t *code, uint32_t len, uint32_t limit, StackWalk *w);

#endif
