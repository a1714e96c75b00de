/* budget_cli: see budget_cli.h. */
#include "budget_cli.h"

#include <string.h>

#include "cli.h"
#include "crm_vendor.h"
#include "mapc_cli.h"

Budget *budget_cli_estimate(const Mapc *m, const RunInput *input, const BudgetOptions *o, int *status)
{
    uint32_t n;
    const char *system = mapc_str(m, m->system, &n);
    const CrmVendor *v = crm_vendor_findn(system, n);
    ConnConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    char url[] = "https://estimate.invalid";
    cfg.url = url;
    Connector *c = v ? v->connect(&cfg) : NULL;
    char err[200];
    Budget *b = c ? budget_new(m, c, o, err, sizeof err) : NULL;
    if (b == NULL) {
        fprintf(stderr, "crmmap: error: %s\n", c ? err : "the mapping's target system has no connector");
        conn_free(c);
        *status = EXIT_FATAL;
        return NULL;
    }
    MapcRecords rs;
    mapc_records_open(&rs, m, input);
    while (mapc_records_next(&rs)) {
        if (rs.st == RD_BAD_RECORD)
            budget_bad_record(b);
        else
            budget_record(b, record_vm_run(&rs.vm));
    }
    budget_finish(b);
    *status = rs.unreadable ? EXIT_CHECK : EXIT_OK;
    mapc_records_close(&rs);
    conn_free(c);
    if (*status != EXIT_OK) {
        budget_free(b);
        return NULL;
    }
    return b;
}
