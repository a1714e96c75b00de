/* budget_cli: the estimate of a run's API calls that `plan --budget`,
 * `run --dry-run --budget` and `run --max-calls` compute (budget.h): the
 * input's records through the mapping's VM, priced by the connector of the
 * mapping's target, made but never connected (only its limits are read). */
#ifndef BUDGET_CLI_H
#define BUDGET_CLI_H

#include <stdio.h>

#include "budget.h"
#include "mapc.h"
#include "run_input.h"

/* Reads every record of the input. NULL with *status EXIT_CHECK when the input
 * cannot be read on (reported), or EXIT_FATAL when m's target has none. */
Budget *budget_cli_estimate(const Mapc *m, const RunInput *input, const BudgetOptions *o, int *status);

#endif
