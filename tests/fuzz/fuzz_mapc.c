/* fuzz_mapc: the .mapc loader and verifier, and the disassembler on
 * whatever loads. Each input is tried as it is, then with its length field
 * and checksum repaired, so mutations reach the section and code checks
 * instead of stopping at the CRC. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "cm_alloc.h"
#include "fuzz.h"
#include "mapc.h"


static void try_load(const uint8_t *data, size_t size)
{
    char err[300];
    Mapc *m = mapc_load(data, size, err, sizeof err);
    if (m) {
        CmBuf out = CM_BUF_INIT;
        mapc_disasm(m, NULL, 0, &out);
        cm_buf_free(&out);
        mapc_free(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size < MAPC_HEADER_SIZE + MAPC_TRAILER_SIZE || size > MAPC_MAX_FILE)
        return 0;
    uint8_t *copy = cm_malloc(size);
    memcpy(copy, data, size);
    uint32_t len = (uint32_t)size;
    for (int i = 0; i < 4; i++)
        copy[12 + i] = (uint8_t)(len >> (8 * i));
    uint32_t crc = (uint32_t)crc32(0L, copy, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        copy[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    try_load(copy, size);
    cm_free(copy);
    return 0;
}
