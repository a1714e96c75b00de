/* cm_alloc: the one allocation function every module uses, and the one place
 * a program that embeds the VM puts its own allocator and its own answer to
 * running out of memory.
 *
 * No cm_ function returns NULL. When an allocation fails, the out-of-memory
 * hook runs; without one, the process prints "crmmap: error: out of memory
 * (allocating N bytes)" and exits with status 4 (fatal), like git's xmalloc:
 * what the crmmap command does.
 *
 * The hook must not return. It ends the process its own way, or it jumps
 * (longjmp) to a recovery point its program set before calling into crmmap.
 * The library never jumps itself and keeps no recovery point, so a call that
 * cannot run out of memory costs nothing for the chance. A hook that returns
 * makes the library call abort().
 *
 * After such a jump, the objects handed to the interrupted call (a Vm, a
 * Reader, an RdPaths, a CmBuf, a CmArena, a RecordVm) may only be freed;
 * freeing them is safe and releases what they own, and every other object
 * stays usable. Reading and running a record (record_vm_read, rd_next,
 * vm_run) lose nothing else, but for the first use of a named time zone (its
 * file being read: memory and the open FILE). Other calls may lose what they
 * had in hand: a constructor (mapc_load, rd_paths_new, rd_open, vm_new) its
 * half-built object, dryrun_line a scratch buffer. A program that must get
 * that back passes an allocator that can (a pool it empties), as
 * tests/install/embed_oom.c does.
 *
 * Tests make the Nth allocation fail with CRMMAP_FAIL_ALLOC=N (or
 * cm_alloc_fail_at): the hook, or the default exit, follows as for a real
 * failure. */
#ifndef CM_ALLOC_H
#define CM_ALLOC_H

#include <stddef.h>

void *cm_malloc(size_t n);
void *cm_calloc(size_t count, size_t size);
void *cm_realloc(void *p, size_t n);
void cm_free(void *p);
char *cm_strdup(const char *s);
char *cm_strndup(const char *s, size_t n);
/* Frees the n strings of v, then v. */
void cm_strv_free(char **v, size_t n);

/* An allocator, as Lua's lua_Alloc: with ptr NULL, a new block of size bytes;
 * with size 0, frees ptr (never NULL) and returns NULL; otherwise resizes ptr
 * to size bytes, moving it if need be. NULL when memory is short (ptr is then
 * left as it was). Blocks need malloc's alignment. */
typedef void *(*CmAllocFn)(void *ud, void *ptr, size_t size);
/* Called when an allocation of size bytes fails; must not return (above). */
typedef void (*CmOomFn)(void *ud, size_t size);

/* Sets the allocator and the out-of-memory hook, both given ud; NULL for
 * either keeps the default (the C library's malloc, and the message and exit
 * 4). Process-wide, as every module allocates without a context: call it
 * before anything else of crmmap's, and not again while its objects live. */
void cm_alloc_set(CmAllocFn alloc, CmOomFn oom, void *ud);

/* Make allocation number n (1-based, counted from this call) fail; 0 disables. */
void cm_alloc_fail_at(unsigned long n);
/* Reads CRMMAP_FAIL_ALLOC from the environment; called once by main. */
void cm_alloc_init_from_env(void);

#endif
