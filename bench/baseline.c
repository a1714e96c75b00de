/* The "just parse and print" baseline of the benchmark: each NDJSON line
 * parsed with cJSON and printed back unformatted. crmmap's dry run should
 * cost no more than this (it reads only what the mapping needs).
 *   cc -O2 -o baseline baseline.c -lcjson && ./baseline < leads.ndjson */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
        if (j == NULL) {
            fputs("{\"error\": \"malformed\"}\n", stdout);
            continue;
        }
        char *text = cJSON_PrintUnformatted(j);
        fputs(text, stdout);
        fputc('\n', stdout);
        free(text);
        cJSON_Delete(j);
    }
    free(line);
    return 0;
}
