/* test_schema_load: what golden files cannot hold — huge and deep inputs
 * generated on the fly, caps, and the lookup functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "schema.h"

static int failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                         \
        }                                                                       \
    } while (0)

static const char *dir;

static char *path_for(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

/* Writes head, n copies of c, tail. */
static const char *write_file(const char *name, const char *head, char c, size_t n, const char *tail)
{
    const char *path = path_for(name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fputs(head, f);
    char chunk[65536];
    memset(chunk, c, sizeof chunk);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
        fwrite(chunk, 1, k, f);
        done += k;
    }
    fputs(tail, f);
    fclose(f);
    return path;
}

/* Loads path expecting failure; the one E0113 must carry a line, and its
 * message contain want. */
static void expect_error(const char *path, const char *want, unsigned line)
{
    DiagSink *sink = diag_sink_new();
    Span nowhere = { NULL, 0, 0 };
    SchemaEntity *e = schema_load(sink, path, NULL, nowhere);
    CHECK(e == NULL);
    CHECK(diag_count(sink, DIAG_ERROR) == 1);
    if (diag_total(sink) > 0) {
        const Diag *d = diag_at(sink, 0);
        CHECK(strcmp(d->code, "E0113") == 0);
        if (strstr(d->message, want) == NULL) {
            fprintf(stderr, "%s: message '%s' lacks '%s'\n", path, d->message, want);
            failures++;
        }
        if (line > 0) {
            CHECK(d->span.src != NULL);
            uint32_t l = 0, c = 0;
            if (d->span.src != NULL)
                diag_position(d->span.src, d->span.start, &l, &c);
            if (l != line) {
                fprintf(stderr, "%s: error on line %u, expected %u\n", path, l, line);
                failures++;
            }
        }
    }
    schema_free(e);
    diag_sink_free(sink);
}

#define HEAD "{ \"format\": \"crmmap-schema/1\", \"system\": \"x\", \"entity\": \"E\",\n  \"fields\": [\n"

static void huge_inputs(void)
{
    /* a 100 MB string: refused by the file cap before it is read */
    expect_error(write_file("big100.json", HEAD "{ \"name\": \"", 'a', 100u * 1024u * 1024u,
                            "\", \"type\": \"string\" } ] }\n"),
                 "file too large", 0);
    /* a 1 MB name fits the file cap but not the string cap */
    expect_error(write_file("big1.json", HEAD "{ \"type\": \"string\", \"name\": \"", 'a', 1024u * 1024u,
                            "\" } ] }\n"),
                 "longer than", 3);
    /* 100 000 levels of nesting, and an unclosed 100 000 */
    expect_error(write_file("deep.json", HEAD, '[', 100000, "\n"), "nested more than", 3);
    /* 3 million values: over the node cap */
    {
        const char *path = path_for("many.json");
        FILE *f = fopen(path, "wb");
        if (f == NULL) {
            perror(path);
            exit(2);
        }
        fputs(HEAD, f);
        for (int i = 0; i < 3000000; i++)
            fputs("0,", f);
        fputs("0 ] }\n", f);
        fclose(f);
        expect_error(path, "JSON values", 3);
    }
    expect_error(path_for("does-not-exist.json"), "cannot read schema file", 0);
    expect_error(dir, "it is a directory", 0);
}

static void lookups(const char *load_dir)
{
    char path[4096];
    DiagSink *sink = diag_sink_new();
    Span nowhere = { NULL, 0, 0 };
    snprintf(path, sizeof path, "%s/ok_basic.json", load_dir);
    SchemaEntity *e = schema_load(sink, path, NULL, nowhere);
    CHECK(e != NULL && diag_total(sink) == 0);
    if (e != NULL) {
        const Field *f = schema_field(e, "LeadSource");
        CHECK(f != NULL && f->type == FT_PICKLIST && f->nvalues == 3);
        CHECK(f != NULL && !f->values[2].active && f->values[2].label == NULL);
        CHECK(schema_field(e, "leadsource") == NULL);   /* case-sensitive */
        CHECK(schema_field(e, "Nope") == NULL);
        f = schema_field(e, "Email");
        CHECK(f != NULL && f->length == 80 && f->external_id && f->createable);
        f = schema_field(e, "AccountId");
        CHECK(f != NULL && f->nreferences == 1 && strcmp(f->references[0], "Account") == 0);
        f = schema_field(e, "Sub__c");
        CHECK(f != NULL && f->controller != NULL && strcmp(f->controller, "LeadSource") == 0);
        CHECK(strcmp(e->name, "Contact") == 0 && strcmp(e->system, "salesforce") == 0);
        /* the writer's output loads back to the same output */
        CmBuf once = CM_BUF_INIT, twice = CM_BUF_INIT;
        schema_write(e, &once);
        FILE *out = fopen(path_for("again.json"), "wb");
        fwrite(once.data, 1, once.len, out);
        fclose(out);
        SchemaEntity *again = schema_load(sink, path_for("again.json"), NULL, nowhere);
        CHECK(again != NULL);
        if (again != NULL)
            schema_write(again, &twice);
        CHECK(once.len == twice.len && memcmp(once.data, twice.data, once.len) == 0);
        schema_free(again);
        cm_buf_free(&once);
        cm_buf_free(&twice);
    }
    schema_free(e);

    snprintf(path, sizeof path, "%s/users_ok.json", load_dir);
    UsersFile *u = users_load(sink, path, NULL, nowhere);
    CHECK(u != NULL && u->nusers == 3);
    if (u != NULL) {
        const User *x = users_find_email(u, "ANNA.Berger@example.com");
        CHECK(x != NULL && strcmp(x->id, "005A0000001") == 0 && x->active);
        x = users_find_email(u, "zed@example.com");
        CHECK(x != NULL && !x->active);
        CHECK(users_find_email(u, "nobody@example.com") == NULL);
    }
    users_free(u);
    CHECK(diag_total(sink) == 0);
    diag_sink_free(sink);
}

/* schema_import on text held in memory (what `schema pull` hands it), and
 * schema_merge completing one document with another. */
static void import_from_memory(void)
{
    static const char describe[] =
        "{ \"name\": \"Visit_Report__c\", \"fields\": [\n"
        "  { \"name\": \"Name\", \"type\": \"string\", \"length\": 80, \"createable\": true,\n"
        "    \"updateable\": true, \"nillable\": false, \"defaultedOnCreate\": false },\n"
        "  { \"name\": \"Score__c\", \"type\": \"double\", \"calculated\": true,\n"
        "    \"createable\": true, \"updateable\": true } ] }\n";
    static const char options[] =
        "{ \"@odata.context\": \"x#EntityDefinitions('visit')/Attributes/"
        "Microsoft.Dynamics.CRM.PicklistAttributeMetadata(OptionSet)/$entity\",\n"
        "  \"LogicalName\": \"kind\", \"OptionSet\": { \"Options\": [ { \"Value\": 100000000,\n"
        "  \"Label\": { \"UserLocalizedLabel\": { \"Label\": \"Hot\" } } } ] } }\n";
    static const char list[] =
        "{ \"value\": [ { \"LogicalName\": \"kind\", \"AttributeType\": \"Picklist\", \"IsValidForCreate\": false,\n"
        "  \"DisplayName\": { \"UserLocalizedLabel\": { \"Label\": \"Kind\" } } },\n"
        "  { \"LogicalName\": \"kindname\", \"AttributeType\": \"Virtual\", \"AttributeOf\": \"kind\" } ] }\n";
    DiagSink *sink = diag_sink_new();
    SchemaEntity **es = NULL;
    size_t n = 0;
    CHECK(schema_import(sink, "salesforce", "describe.json", describe, strlen(describe), NULL, &es, &n) == 1);
    CHECK(n == 1 && strcmp(es[0]->name, "Visit_Report__c") == 0);
    if (n == 1) {
        const Field *f = schema_field(es[0], "Name");
        CHECK(f != NULL && f->required && f->length == 80);
        f = schema_field(es[0], "Score__c");
        CHECK(f != NULL && f->type == FT_DECIMAL && !f->createable && !f->updateable);
    }
    CHECK(schema_import(sink, "dynamics", "list.json", list, strlen(list), "visit", &es, &n) == 1);
    CHECK(schema_import(sink, "dynamics", "options.json", options, strlen(options), NULL, &es, &n) == 1);
    CHECK(n == 3 && diag_total(sink) == 0);
    if (n == 3) {
        CHECK(strcmp(es[2]->name, "visit") == 0);
        SchemaEntity *m = schema_merge(sink, es[1], es[2]);
        CHECK(m != NULL);
        const Field *f = m ? schema_field(m, "kind") : NULL;
        CHECK(f != NULL && f->nvalues == 1 && f->numeric_values && f->restricted);
        CHECK(f != NULL && f->label != NULL && strcmp(f->label, "Kind") == 0);
        CHECK(f != NULL && !f->createable && f->updateable);   /* the option set says nothing of rights */
        CHECK(f != NULL && f->nvalues == 1 && strcmp(f->values[0].value, "100000000") == 0 &&
              strcmp(f->values[0].label, "Hot") == 0);
        f = m ? schema_field(m, "kindname") : NULL;
        CHECK(f != NULL && !f->createable && !f->updateable);
        schema_free(m);
        n = 1;
    }
    /* a failed document adds nothing */
    static const char bad[] = "{\"fields\": [ {} ] }";
    CHECK(schema_import(sink, "salesforce", "bad.json", bad, strlen(bad), "X", &es, &n) == 0);
    CHECK(n == 1 && diag_count(sink, DIAG_ERROR) == 1);
    /* a vendor label longer than the loader reads back is refused on import */
    CmBuf big = CM_BUF_INIT;
    cm_buf_puts(&big, "{ \"name\": \"X\", \"fields\": [ { \"name\": \"A\", \"type\": \"string\", \"label\": \"");
    for (unsigned i = 0; i < SCHEMA_MAX_STRING + 1; i++)
        cm_buf_putc(&big, 'a');
    cm_buf_puts(&big, "\" } ] }");
    CHECK(schema_import(sink, "salesforce", "big.json", big.data, big.len, NULL, &es, &n) == 0);
    CHECK(n == 1 && diag_count(sink, DIAG_ERROR) == 2);
    cm_buf_free(&big);
    for (size_t i = 0; i < n; i++)
        schema_free(es[i]);
    cm_free(es);
    diag_sink_free(sink);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_schema_load SCRATCH_DIR LOAD_CASES_DIR\n");
        return 2;
    }
    cm_alloc_hook_cjson();
    dir = argv[1];
    huge_inputs();
    lookups(argv[2]);
    import_from_memory();
    remove(path_for("big100.json"));
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
