/* cmd_doctor: `crmmap doctor FILE.map|FILE.mapc [connection flags]` — checks
 * that the CRM is reachable and takes the credentials, then compares its
 * live field definitions and users with what the mapping was checked
 * against (drift.h). docs/doctor.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_opts.h"
#include "cm_alloc.h"
#include "crm_link.h"
#include "drift.h"
#include "mapc_cli.h"

extern const Command cmd_doctor;

static int doctor(int argc, char **argv)
{
    static const struct option opts[] = {
        CRM_LINK_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    CrmFlags flags;
    crm_flags_begin(&flags);
    char err[300];
    int c = crm_flags_next(&flags, argc, argv, "", opts, err, sizeof err);
    if (c == CRM_O_BAD)
        return cli_usage_error(&cmd_doctor, "%s", err);
    if (c != -1)
        return cli_option_error(&cmd_doctor, c, argv);
    int status;
    const char *path = mapc_cli_operand(&cmd_doctor, argc, argv, &status);
    Mapc *m = path != NULL ? mapc_cli_load(path, &status) : NULL;
    if (m == NULL)
        return status;
    /* Positions are in the .map: for a .mapc, the source it names. */
    char *where = mapc_cli_source(path, m);
    CrmLink link;
    status = crm_link_open_mapping(&link, "crmmap doctor", &flags, path, m);
    if (status == EXIT_OK) {
        DriftCount count;
        status = drift_check_live(m, where, &link, true, stdout, &count);
        if (status == EXIT_OK)
            printf("ok: %s: the CRM at %s is reachable, takes the credentials, and its field definitions and "
                   "users match what the mapping was checked against%s\n", path, link.cfg.url,
                   count.warnings ? " (see the warnings)" : "");
        else if (count.errors)
            printf("%s: %zu problem%s with the CRM's current field definitions or users: the mapping needs "
                   "changes before it runs\n", path, count.errors, count.errors == 1 ? "" : "s");
    }
    crm_link_close(&link);
    cm_free(where);
    mapc_free(m);
    return status;
}

const Command cmd_doctor = {
    "doctor", "check the connection, the credentials, schema drift and users",
    "Usage: crmmap doctor FILE.map|FILE.mapc [--config FILE] [--url BASE]\n"
    "         [--token-env VAR | --token-file FILE] [--plain-http] [--system S] ...\n"
    "\n"
    "Connects to the CRM the mapping targets, checks the credentials, downloads\n"
    "the current field definitions of the mapping's target entities and the\n"
    "CRM's users, and compares them with what the mapping was checked against\n"
    "(a .map: its committed schema; a .mapc: the fingerprint and facts stored in\n"
    "it). Reports, each with what to do: fields it writes that were deleted or\n"
    "renamed, changed types, shorter lengths, fields no longer createable or\n"
    "updateable, picklist values it sends that are gone, fields that became\n"
    "required, and users it names that are missing or inactive (docs/doctor.md).\n"
    "Settings: crmmap.json next to the mapping (or --config / CRMMAP_CONFIG), then\n"
    "CRMMAP_* variables, then flags (docs/connections.md).\n"
    "Exit status: 0 nothing drifted, 1 the mapping does not check or load,\n"
    "2 usage, 4 drift, or the CRM unreachable or refusing the credentials.\n"
    "\n"
    "Options:\n"
    CRM_LINK_HELP
    "  --system S        salesforce, hubspot, dynamics or pipedrive (default: the mapping's)\n"
    "  --plain-http      allow http:// to a loopback address (test servers)\n",
    doctor,
};
