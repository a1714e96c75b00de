/* fuzz_reader_json: arbitrary bytes read as NDJSON, then as a JSON array. */
#include "fuzz.h"
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader_run(data, size, RD_NDJSON);
    fuzz_reader_run(data, size, RD_JSON_ARRAY);
    return 0;
}
