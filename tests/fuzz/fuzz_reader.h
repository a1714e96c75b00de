/* fuzz_reader: the shared body of the reader fuzz targets. Reads every
 * record of data in one format through the slot interface the VM uses,
 * walks each record's tree, asks for its text and error, and stops at the
 * end or a fatal error.
 * Bounded: each call of rd_next consumes input or ends the stream. */
#ifndef FUZZ_READER_H
#define FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

void fuzz_reader_run(const uint8_t *data, size_t size, RdFormat fmt);

#endif
