/* mapc_verify: the code verifier (docs/bytecode.md, "What the verifier
 * checks"). Called by the loader for each entity once its sections are read. */
#ifndef MAPC_VERIFY_H
#define MAPC_VERIFY_H

#include "mapc.h"

/* Checks e's code against m's sections; e is entity number index. On failure
 * writes the reason (with the code offset) to err and returns false. */
bool mapc_verify_code(const Mapc *m, const MapcEntity *e, uint32_t index, char *err, size_t errlen);

#endif
