/* Runs a libFuzzer target's function on each file named on the command line
 * (the seed corpus), so ctest replays the corpora without libFuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cm_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 1;
        }
        uint8_t *buf = cm_malloc(1u << 20);
        size_t n = fread(buf, 1, 1u << 20, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        cm_free(buf);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
