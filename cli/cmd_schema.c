/* cmd_schema: `crmmap schema import|pull ...`. `import` (here) turns saved
 * vendor responses into one normalized DIR/ENTITY.json per entity
 * (docs/schema.md); `pull` (schema_pull.c) fetches the same documents from
 * the CRM's metadata API. Subcommands are dispatched from SUBCOMMANDS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_opts.h"
#include "cm_alloc.h"
#include "crm_link.h"
#include "crm_vendor.h"
#include "schema.h"
#include "schema_pull.h"

extern const Command cmd_schema;

/* Entity names become file names: nothing that could leave DIR. */
static bool safe_file_name(const char *name)
{
    if (name[0] == '\0' || name[0] == '.' || strlen(name) > 200 || strcmp(name, "users") == 0)
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < ' ')
            return false;
    return true;
}

/* mkdir -p */
static bool make_dir(const char *dir, const char **err)
{
    char *parent = cm_strdup(dir);
    char *slash = strrchr(parent, '/');
    while (slash != NULL && slash > parent && slash[1] == '\0') {   /* "a/b/" */
        *slash = '\0';
        slash = strrchr(parent, '/');
    }
    if (slash != NULL && slash != parent) {
        *slash = '\0';
        struct stat pst;
        if (stat(parent, &pst) != 0 && !make_dir(parent, err)) {
            cm_free(parent);
            return false;
        }
    }
    cm_free(parent);
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return true;
        *err = "exists and is not a directory";
        return false;
    }
    if (mkdir(dir, 0777) != 0) {
        *err = strerror(errno);
        return false;
    }
    return true;
}

/* Entities of one name from several documents become one. */
static size_t merge_same_names(DiagSink *sink, SchemaEntity **es, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < kept && strcmp(es[j]->name, es[i]->name) != 0)
            j++;
        if (j == kept) {
            es[kept++] = es[i];
            continue;
        }
        SchemaEntity *merged = schema_merge(sink, es[j], es[i]);
        if (merged == NULL) {
            es[j] = es[--kept];
            continue;
        }
        es[j] = merged;
    }
    return kept;
}

static int write_entities(DiagSink *sink, SchemaEntity **es, size_t n, const char *dir)
{
    for (size_t i = 0; i < n; i++) {
        const Field *facts = schema_facts_only(es[i]);
        if (facts != NULL) {
            Diag *d = diag_report(sink, DIAG_ERROR, "E0113", facts->span.src ? facts->span : diag_nowhere(es[i]->src),
                                  "'%s' is described only by its keys or relationships", es[i]->name);
            diag_help(d, "import them together with the entity's field definitions, in one command");
            return EXIT_CHECK;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!safe_file_name(es[i]->name)) {
            diag_report(sink, DIAG_ERROR, "E0113", es[i]->name_span.src ? es[i]->name_span : diag_nowhere(es[i]->src),
                        "entity name '%s' cannot be a file name", es[i]->name);
            return EXIT_CHECK;
        }
    const char *err = NULL;
    if (!make_dir(dir, &err)) {
        fprintf(stderr, "crmmap schema: error: cannot create '%s': %s\n", dir, err);
        return EXIT_FATAL;
    }
    for (size_t i = 0; i < n; i++) {
        CmBuf path = CM_BUF_INIT, text = CM_BUF_INIT;
        cm_buf_printf(&path, "%s/%s.json", dir, es[i]->name);
        schema_write(es[i], &text);
        /* never half a schema: an interrupted import leaves the old file */
        bool ok = cli_write_atomic(path.data, text.data, text.len, 0, true, &err);
        if (ok)
            printf("%s: %zu fields\n", path.data, es[i]->nfields);
        else
            fprintf(stderr, "crmmap schema: error: cannot write '%s': %s\n", path.data, err);
        cm_buf_free(&path);
        cm_buf_free(&text);
        if (!ok)
            return EXIT_FATAL;
    }
    return EXIT_OK;
}

/* --users FILE: the saved answer of the CRM's users request, as `schema
 * pull` reads it, to DIR/users.json. */
static int import_users(DiagSink *sink, const char *system, const char *file, const char *dir)
{
    const CrmVendor *v = crm_vendor_find(system);
    if (v == NULL)
        return cli_usage_error(&cmd_schema, "--users is for a CRM (salesforce, hubspot, dynamics, pipedrive), not %s",
                               system);
    size_t len = 0;
    const char *err = NULL;
    char *text = cli_read_file(file, SCHEMA_MAX_FILE, &len, &err);
    if (text == NULL) {
        fprintf(stderr, "crmmap schema: error: cannot read '%s': %s\n", file, err);
        return EXIT_CHECK;
    }
    UsersFile u;
    if (!crm_link_read_users(v, text, len, &u)) {
        DiagSource *src = diag_source_add(sink, file, text, len);
        Diag *d = diag_report(sink, DIAG_ERROR, "E0113", (Span){ src, 0, 0 },
                              "this is not %s's answer listing users with ids", system);
        CmBuf get = CM_BUF_INIT;
        v->pull.users_url(&get, v->default_api_version ? v->default_api_version : "v3");
        diag_help(d, "save the answer of GET %s as it is (docs/schema.md, \"Importing users\")", get.data);
        cm_buf_free(&get);
        cm_free(text);
        crm_link_users_free(&u);
        return EXIT_CHECK;
    }
    cm_free(text);
    if (!make_dir(dir, &err)) {
        fprintf(stderr, "crmmap schema: error: cannot create '%s': %s\n", dir, err);
        crm_link_users_free(&u);
        return EXIT_FATAL;
    }
    CmBuf path = CM_BUF_INIT, out = CM_BUF_INIT;
    cm_buf_printf(&path, "%s/users.json", dir);
    users_write(&u, &out);
    bool ok = cli_write_atomic(path.data, out.data, out.len, 0, true, &err);
    if (ok)
        printf("%s: %zu users\n", path.data, u.nusers);
    else
        fprintf(stderr, "crmmap schema: error: cannot write '%s': %s\n", path.data, err);
    cm_buf_free(&path);
    cm_buf_free(&out);
    crm_link_users_free(&u);
    return ok ? EXIT_OK : EXIT_FATAL;
}

static int import_main(int argc, char **argv)
{
    const char *system = NULL, *entity = NULL, *dir = NULL, *users = NULL;
    DiagFormat fmt = DIAG_TEXT;
    const CliOpt opts[] = {
        { "system", 0, CLI_TEXT, &system },
        { "users", 0, CLI_TEXT, &users },
        { "entity", 0, CLI_TEXT, &entity },
        { "output", 'o', CLI_TEXT, &dir },
        { "format", 0, CLI_FORMAT, &fmt },
        CLI_OPTS_END,
    };
    int status = cli_options(&cmd_schema, argc, argv, opts, 0);
    if (status != EXIT_OK)
        return status;
    if (system == NULL)
        return cli_usage_error(&cmd_schema, "import needs --system salesforce|hubspot|dynamics|pipedrive|snapaddy");
    if (!schema_system_known(system)) {
        char names[200];
        schema_system_names(names, sizeof names);
        return cli_usage_error(&cmd_schema, "unknown system '%s' (%s)", system, names);
    }
    if (dir == NULL)
        return cli_usage_error(&cmd_schema, "import needs -o DIR");
    if (optind >= argc && users == NULL)
        return cli_usage_error(&cmd_schema, "no vendor document given");

    DiagSink *sink = diag_sink_new();
    if (users != NULL) {
        status = import_users(sink, system, users, dir);
        if (status != EXIT_OK || optind >= argc) {
            cli_render_diags(sink, fmt);
            diag_sink_free(sink);
            return status;
        }
    }
    SchemaEntity **es = NULL;
    size_t n = 0;
    for (int i = optind; i < argc; i++)
        schema_import_file(sink, system, argv[i], entity, &es, &n);
    status = EXIT_CHECK;
    if (diag_count(sink, DIAG_ERROR) == 0) {
        n = merge_same_names(sink, es, n);
        if (diag_count(sink, DIAG_ERROR) == 0)
            status = write_entities(sink, es, n, dir);
    }
    cli_render_diags(sink, fmt);
    for (size_t i = 0; i < n; i++)
        schema_free(es[i]);
    cm_free(es);
    diag_sink_free(sink);
    return status;
}

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} SUBCOMMANDS[] = {
    { "import", import_main },
    { "pull", schema_pull_main },
};

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_schema, "no subcommand given");
    for (size_t i = 0; i < sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0]; i++)
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0)
            return SUBCOMMANDS[i].main(argc - 1, argv + 1);
    return cli_usage_error(&cmd_schema, "unknown subcommand '%s'", argv[1]);
}

const Command cmd_schema = {
    "schema", "field definitions and users (schema import, schema pull)",
    "Usage: crmmap schema import --system S [--entity NAME] [--users FILE] [FILE...] -o DIR\n"
    "       crmmap schema pull --system S --url BASE [--entity NAME...] -o DIR\n"
    "         [--token-env VAR | --token-file FILE] [--config FILE] [--api-version V]\n"
    "         [--plain-http] [--timeout-ms N] [--retries N] [--no-users] [--verbose]\n"
    "\n"
    "pull downloads the same documents from the CRM's metadata API, plus its\n"
    "users into DIR/users.json (connection settings: docs/connections.md).\n"
    "\n"
    "Reads the CRM's own metadata documents as saved from its API and writes one\n"
    "normalized field-definition file per entity, DIR/ENTITY.json (docs/schema.md).\n"
    "Several documents describing one entity are merged (docs/schema.md).\n"
    "Nothing is written when any document has an error.\n"
    "\n"
    "Systems and documents:\n"
    "  salesforce  GET sobjects/OBJECT/describe\n"
    "  hubspot     GET crm/v3/properties/OBJECT (needs --entity, e.g. contacts);\n"
    "              GET crm/v3/schemas: one entity p_NAME per custom object\n"
    "  dynamics    GET EntityDefinitions(LogicalName='x')/Attributes, its bare value\n"
    "              array (needs --entity), single attribute documents, *.cdm.json\n"
    "  pipedrive   GET v1/personFields (organizationFields, leadFields, noteFields);\n"
    "              needs --entity: persons, organizations, leads or notes\n"
    "  snapaddy    questionnaires and the custom fields (docs/schema.md): one\n"
    "              source schema; entity 'lead' by default\n"
    "\n"
    "Options:\n"
    "  --system S     salesforce, hubspot, dynamics, pipedrive or snapaddy (required)\n"
    "  --entity NAME  the entity, where the document does not name it\n"
    "  --users FILE   the saved answer of the CRM's users request, to DIR/users.json:\n"
    "                 salesforce query SELECT Id, Username, Email, IsActive, Name FROM User;\n"
    "                 hubspot GET crm/v3/owners; dynamics GET systemusers; pipedrive GET v1/users\n"
    "  -o DIR         output folder (created if missing)\n"
    "  --format F     diagnostics as text (default), json, sarif or github\n"
    "\n"
    "Exit status: 0 written, 1 a document is unreadable or invalid (E0113),\n"
    "2 usage, 4 the output could not be written.\n",
    run,
};
