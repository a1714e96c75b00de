/* opcodes: the bytecode's instruction set, generated from opcodes.def.
 * Instructions are one opcode byte followed by the operand bytes its layout
 * names (little-endian). */
#ifndef OPCODES_H
#define OPCODES_H

#include <stdint.h>

typedef enum OpOperand {
#define OPERAND(name, bytes, doc) OPND_##name,
#include "opcodes.def"
#undef OPERAND
    OPND__COUNT
} OpOperand;

typedef enum OpFlow { FLOW_NEXT, FLOW_GOTO, FLOW_BRANCH, FLOW_STOP } OpFlow;

typedef enum OpCode {
#define OP(name, operand, pops, pushes, flow, doc) BC_##name,
#include "opcodes.def"
#undef OP
    BC__COUNT
} OpCode;

typedef struct OpInfo {
    const char *name;       /* "JUMP_IF_FALSE" */
    uint8_t operand;        /* OpOperand */
    int8_t pops;            /* -1: given by the operand */
    int8_t pushes;
    uint8_t flow;           /* OpFlow */
    const char *doc;
} OpInfo;

typedef struct OperandInfo {
    const char *name;
    uint8_t bytes;
    const char *doc;
} OperandInfo;

extern const OpInfo op_info[BC__COUNT];
extern const OperandInfo operand_info[OPND__COUNT];

/* Bytes of one instruction of opcode op (op < BC__COUNT). */
static inline unsigned op_size(unsigned op)
{
    return 1u + operand_info[op_info[op].operand].bytes;
}

/* The operand bytes as numbers: a u16 operand, CALL's builtin and argc. */
static inline unsigned op_u16(const uint8_t *operand)
{
    return (unsigned)operand[0] | (unsigned)operand[1] << 8;
}

/* Whether opcode op's first operand (u16) is a jump target. */
static inline int op_jumps(unsigned op)
{
    return op_info[op].operand == OPND_JUMP || op_info[op].operand == OPND_GUARD
           || op_info[op].operand == OPND_LET_JUMP;
}

/* Values an instruction pops, given its operand bytes (resolves pops -1). */
static inline unsigned op_pops(unsigned op, const uint8_t *operand)
{
    int pops = op_info[op].pops;
    if (pops >= 0)
        return (unsigned)pops;
    return op_info[op].operand == OPND_CALL ? operand[1] : op_u16(operand);
}

#endif
