/* mapc_cli: what compile, disasm, verify, run, plan and doctor share — compiling a .map
 * into .mapc bytes (diagnostics rendered) and loading a .mapc file with its
 * errors reported as `FILE: error: ...`. */
#ifndef MAPC_CLI_H
#define MAPC_CLI_H

#include <stdbool.h>

#include "cm_buf.h"
#include "diag.h"
#include "mapc.h"
#include "reader.h"

/* Parses, checks and compiles the .map at path into out. Diagnostics are
 * rendered in fmt. Returns EXIT_OK, or EXIT_CHECK when the mapping has
 * errors (nothing is compiled then), or EXIT_FATAL. */
int mapc_cli_compile(const char *path, DiagFormat fmt, CmBuf *out);

/* Loads and verifies the .mapc at path, or — when path ends in ".map" —
 * compiles it in memory first. On failure reports to stderr, sets *status
 * (EXIT_CHECK) and returns NULL. */
Mapc *mapc_cli_load(const char *path, int *status);

/* Registers m's source paths with the reader; returns the reader slot of
 * each path (allocated in arena), as vm_new wants them. */
uint32_t *mapc_cli_register_paths(const Mapc *m, RdPaths *paths, CmArena *arena);

/* True when path names a .map source file (by its extension). */
bool mapc_cli_is_source(const char *path);

#endif
