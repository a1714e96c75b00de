/* fuzz_reader_csv: arbitrary bytes read as CSV with a header row, and with
 * the format detected from the first byte. */
#include "fuzz.h"
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader_run(data, size, RD_CSV);
    fuzz_reader_run(data, size, RD_AUTO);
    return 0;
}
