/* schema_pull: download metadata documents and users from a CRM (crm_link),
 * normalized by the schema importers, and write DIR/ENTITY.json and
 * DIR/users.json. Everything is fetched and checked before anything is
 * written, so a failed pull leaves DIR as it was. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cm_alloc.h"
#include "crm_link.h"
#include "schema.h"
#include "schema_pull.h"

#define MAX_ENTITIES 64

static const char schema_pull_usage[] =
    "Usage: crmmap schema pull --system S --url BASE [--entity NAME...] -o DIR\n"
    "         [--token-env VAR | --token-file FILE] [--config FILE] [--api-version V]\n"
    "         [--plain-http] [--timeout-ms N] [--retries N] [--no-users] [--verbose]\n"
    "\n"
    "Downloads the CRM's field definitions and writes DIR/ENTITY.json per entity\n"
    "and the CRM's users to DIR/users.json (docs/schema.md, docs/connections.md).\n"
    "  salesforce  sobjects/NAME/describe; users: SELECT ... FROM User\n"
    "              (default entities: Lead Contact Account)\n"
    "  hubspot     crm/v3/properties/NAME, crm/v3/schemas for a custom object\n"
    "              p_NAME; users: crm/v3/owners (default: contacts)\n"
    "  dynamics    EntityDefinitions(LogicalName='NAME')/Attributes, its option\n"
    "              sets (.../Attributes/Microsoft.Dynamics.CRM.Picklist-,\n"
    "              MultiSelectPicklist-, State- and StatusAttributeMetadata), Keys\n"
    "              and ManyToOneRelationships; users: systemusers\n"
    "              (default: contact lead account)\n"
    "Settings come from crmmap.json in the current directory (or --config), then\n"
    "CRMMAP_* variables, then flags. The token comes from --token-env VAR or\n"
    "--token-file FILE (mode 0600), never from a flag's value, or from an OAuth 2\n"
    "token endpoint (auth \"oauth2_client_credentials\" in crmmap.json).\n"
    "\n"
    "Options:\n"
    "  --system S        salesforce, hubspot, dynamics or pipedrive\n"
    "  --url BASE        the instance's base URL (https://; http:// to loopback\n"
    "                    only, with --plain-http)\n"
    "  --entity NAME     an entity to pull (repeatable)\n"
    "  -o DIR            output folder (created if missing)\n"
    "  --timeout-ms N    per-request time limit (default 120000)\n"
    "  --retries N       attempts per request, the first included (default 6)\n"
    "  --no-users        do not download users\n"
    "  --verbose         print each request (the token redacted)\n"
    "\n"
    "Exit status: 0 written, 2 usage, 4 connection, authentication, an error\n"
    "answer (401, 404, 5xx after retries) or an answer that is not valid metadata.\n";

typedef struct Pull {
    CrmLink link;
    const char *entities[MAX_ENTITIES];
    size_t nentities;
    const char *dir;
    bool users;
} Pull;

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("crmmap schema pull: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    fputs(schema_pull_usage, stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* ---- output ---- */

/* mkdir -p: each missing component in turn. */
static bool make_dir(const char *dir)
{
    char *path = cm_strdup(dir);
    bool ok = true;
    for (char *p = path + 1; ok; p++) {
        bool last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        *p = '\0';
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                cli_fatal("crmmap schema pull", "'%s' exists and is not a folder", path);
                ok = false;
            }
        } else if (mkdir(path, 0777) != 0) {
            cli_fatal("crmmap schema pull", "cannot create the folder '%s': %s", path, strerror(errno));
            ok = false;
        }
        if (last)
            break;
        *p = '/';
    }
    cm_free(path);
    return ok;
}

/* Through cli_write_atomic: never half a file. */
static bool write_atomically(const char *path, const CmBuf *text)
{
    const char *err;
    if (cli_write_atomic(path, text->data, text->len, 0, true, &err))
        return true;
    cli_fatal("crmmap schema pull", "cannot write '%s': %s", path, err);
    return false;
}

static int write_all(const Pull *p, SchemaEntity **es, size_t n, const UsersFile *ul)
{
    if (!make_dir(p->dir))
        return EXIT_FATAL;
    for (size_t i = 0; i < n; i++) {
        if (!crm_plain_name(es[i]->name))
            return cli_fatal("crmmap schema pull", "the CRM named an entity '%s', which cannot be a file name",
                             es[i]->name);
        CmBuf path = CM_BUF_INIT, text = CM_BUF_INIT;
        cm_buf_printf(&path, "%s/%s.json", p->dir, es[i]->name);
        schema_write(es[i], &text);
        bool ok = write_atomically(path.data, &text);
        if (ok)
            printf("%s: %zu fields\n", path.data, es[i]->nfields);
        cm_buf_free(&path);
        cm_buf_free(&text);
        if (!ok)
            return EXIT_FATAL;
    }
    if (p->users) {
        CmBuf path = CM_BUF_INIT, text = CM_BUF_INIT;
        cm_buf_printf(&path, "%s/users.json", p->dir);
        users_write(ul, &text);
        bool ok = write_atomically(path.data, &text);
        if (ok)
            printf("%s: %zu users\n", path.data, ul->nusers);
        cm_buf_free(&path);
        cm_buf_free(&text);
        if (!ok)
            return EXIT_FATAL;
    }
    return EXIT_OK;
}

static int pull(Pull *p)
{
    DiagSink *sink = diag_sink_new();
    SchemaEntity **es = NULL;
    size_t n = 0;
    int status = EXIT_OK;
    for (size_t i = 0; i < p->nentities && status == EXIT_OK; i++)
        if (!crm_link_pull_entity(&p->link, sink, p->entities[i], &es, &n, NULL))
            status = EXIT_FATAL;
    UsersFile users;
    memset(&users, 0, sizeof users);
    if (status == EXIT_OK && p->users && !crm_link_pull_users(&p->link, &users))
        status = EXIT_FATAL;
    if (status == EXIT_OK && diag_count(sink, DIAG_WARNING) > 0)
        cli_render_diags(sink, DIAG_TEXT);   /* what an importer left out (W0218) */
    if (status == EXIT_OK)
        status = write_all(p, es, n, &users);
    for (size_t i = 0; i < n; i++)
        schema_free(es[i]);
    cm_free(es);
    crm_link_users_free(&users);
    diag_sink_free(sink);
    return status;
}

/* An entity the CRM publishes no field definitions for (an upload, say)
 * would be asked for at a URL the CRM answers with 404: say so instead. */
static int refuse_undescribed(const Pull *p)
{
    const CrmVendor *v = p->link.vendor;
    for (size_t i = 0; i < p->nentities; i++)
        if (crm_vendor_undescribed(v, p->entities[i]))
            return cli_fatal("crmmap schema pull",
                             "%s publishes no field definitions for '%s'\n"
                             "  help: leave out --entity %s and write its schema by hand, as "
                             "examples/schemas/%s/%s.json is (docs/files.md)",
                             v->name, p->entities[i], p->entities[i], v->name, p->entities[i]);
    return EXIT_OK;
}

static void default_entities(Pull *p)
{
    for (const char *const *e = p->link.vendor->pull.default_entities; *e; e++)
        p->entities[p->nentities++] = *e;
}

int schema_pull_main(int argc, char **argv)
{
    enum { O_ENTITY = 256, O_NO_USERS };
    static const struct option opts[] = {
        CRM_LINK_LONG_OPTIONS,
        { "entity", required_argument, NULL, O_ENTITY },
        { "output", required_argument, NULL, 'o' },
        { "no-users", no_argument, NULL, O_NO_USERS },
        { NULL, 0, NULL, 0 },
    };
    Pull p;
    memset(&p, 0, sizeof p);
    p.users = true;
    CrmFlags flags;
    crm_flags_begin(&flags);
    char err[400];
    int c;
    while ((c = crm_flags_next(&flags, argc, argv, "o:", opts, err, sizeof err)) != -1) {
        switch (c) {
        case CRM_O_BAD: return usage("%s", err);
        case O_ENTITY:
            if (!crm_plain_name(optarg))
                return usage("--entity '%s': an entity name is letters, digits and '_'", optarg);
            if (p.nentities == MAX_ENTITIES)
                return usage("%s", "too many --entity options");
            p.entities[p.nentities++] = optarg;
            break;
        case 'o': p.dir = optarg; break;
        case O_NO_USERS: p.users = false; break;
        default:
            return usage(c == ':' ? "option '%s' needs a value" : "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage("unexpected argument '%s'", argv[optind]);
    if (p.dir == NULL)
        return usage("%s", "pull needs -o DIR");
    int status = crm_link_open(&p.link, "crmmap schema pull", &flags, flags.config ? flags.config : "crmmap.json",
                               flags.config != NULL, NULL);
    if (status == EXIT_USAGE)
        fputs(schema_pull_usage, stderr);
    if (status == EXIT_OK) {
        if (p.nentities == 0)
            default_entities(&p);
        status = refuse_undescribed(&p);
    }
    if (status == EXIT_OK)
        status = pull(&p);
    crm_link_close(&p.link);
    return status;
}
