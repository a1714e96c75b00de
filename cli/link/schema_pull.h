/* schema_pull: `crmmap schema pull`, field definitions and users downloaded
 * from the CRM's own metadata API through the transport, fed to the same
 * importers as `schema import`. Dispatched from cli/cmd_schema.c. */
#ifndef SCHEMA_PULL_H
#define SCHEMA_PULL_H

/* argv[0] is "pull". Returns an exit code of docs/run.md (4 for any failure
 * to talk to the CRM or to understand its answer). */
int schema_pull_main(int argc, char **argv);

#endif
