/* hubspot_bodies: writes the HubSpot requests runtime/conn_hubspot.c builds
 * — batch create, update by idProperty, update by object id, upsert, and
 * the batch read of current records — for the payloads given, one file per
 * request, so prism.sh can send them to a mock of HubSpot's OpenAPI spec.
 *
 *     hubspot_bodies OUTDIR OBJECT KEY_FIELD [READ_FIELD...] < PAYLOADS
 *
 * PAYLOADS: one record a line, `KEY<TAB>PAYLOAD` with PAYLOAD the JSON object
 * `crmmap run --dry-run` prints. OUTDIR/requests.tsv lists
 * `NAME<TAB>METHOD<TAB>PATH<TAB>FILE`, PATH without the base URL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_hubspot.h"
#include "connector.h"

#define BASE "https://api.hubapi.com"
#define MAX_RECORDS 100     /* one HubSpot batch */

static FILE *manifest;
static const char *outdir;

static void write_request(const char *name, const ConnRequest *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", outdir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(r->body.data, 1, r->body.len, f) != r->body.len || fclose(f) != 0) {
        fprintf(stderr, "hubspot_bodies: cannot write %s\n", path);
        exit(1);
    }
    fprintf(manifest, "%s\t%s\t%s\t%s\n", name, r->method, r->url.data + strlen(BASE), path);
}

static void build(const Connector *c, const char *name, const ConnBatch *b)
{
    ConnRequest r;
    memset(&r, 0, sizeof r);
    char err[256];
    if (!c->ops->build(c, b, &r, err, sizeof err)) {
        fprintf(stderr, "hubspot_bodies: %s: %s\n", name, err);
        exit(1);
    }
    write_request(name, &r);
    conn_request_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: hubspot_bodies OUTDIR OBJECT KEY_FIELD [READ_FIELD...] < PAYLOADS\n");
        return 2;
    }
    outdir = argv[1];
    const char *object = argv[2], *key_field = argv[3];
    char path[4096];
    snprintf(path, sizeof path, "%s/requests.tsv", outdir);
    manifest = fopen(path, "w");
    if (manifest == NULL) {
        fprintf(stderr, "hubspot_bodies: cannot write %s\n", path);
        return 1;
    }

    static char *lines[MAX_RECORDS];
    ConnRecord recs[MAX_RECORDS];
    const char *keys[MAX_RECORDS];
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (n < MAX_RECORDS && getline(&line, &cap, stdin) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *copy = cm_strdup(line);
        char *tab = strchr(copy, '\t');
        if (tab == NULL) {
            cm_free(copy);
            continue;
        }
        *tab = '\0';
        lines[n] = copy;
        recs[n].key = keys[n] = copy;
        recs[n].payload = tab + 1;
        n++;
    }
    free(line);
    if (n == 0) {
        fprintf(stderr, "hubspot_bodies: no payloads on standard input\n");
        return 1;
    }

    Connector *c = conn_hubspot_new(BASE);
    ConnBatch create = { object, CONN_CREATE, NULL, recs, n };
    build(c, "batch_create", &create);
    ConnBatch update = { object, CONN_UPDATE, key_field, recs, n };
    build(c, "batch_update", &update);
    /* By object id, as after a read: the ids are the keys here, any string will do. */
    ConnBatch update_id = { object, CONN_UPDATE, "hs_object_id", recs, n };
    build(c, "batch_update_by_id", &update_id);
    ConnBatch upsert = { object, CONN_UPSERT, key_field, recs, n };
    build(c, "batch_upsert", &upsert);

    ConnRead rd = { object, key_field, keys, n, (const char *const *)(argv + 4), (size_t)(argc - 4) };
    ConnRequest r;
    memset(&r, 0, sizeof r);
    char err[256];
    if (!c->ops->build_read(c, &rd, &r, err, sizeof err)) {
        fprintf(stderr, "hubspot_bodies: batch_read: %s\n", err);
        return 1;
    }
    write_request("batch_read", &r);
    conn_request_free(&r);

    conn_free(c);
    for (size_t i = 0; i < n; i++)
        cm_free(lines[i]);
    return fclose(manifest) == 0 ? 0 : 1;
}
