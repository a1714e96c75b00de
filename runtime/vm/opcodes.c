/* opcodes: the tables of opcodes.h, generated from opcodes.def. */
#include "opcodes.h"

const OpInfo op_info[BC__COUNT] = {
#define OP(name, operand, pops, pushes, flow, doc) \
    { #name, OPND_##operand, pops, pushes, FLOW_##flow, doc },
#include "opcodes.def"
#undef OP
};

const OperandInfo operand_info[OPND__COUNT] = {
#define OPERAND(name, bytes, doc) { #name, bytes, doc },
#include "opcodes.def"
#undef OPERAND
};
