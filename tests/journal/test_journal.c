/* Journal: states round-trip, transactions, and a committed state survives
 * the writer being killed with SIGKILL while an uncommitted one vanishes;
 * the file is made 0600 (it names records and CRM ids) and a symbolic link
 * in its place is refused. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"

static int failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static Journal *open_or_die(const char *path, const char *key)
{
    char err[256];
    Journal *j = journal_open(path, key, err, sizeof err);
    if (j == NULL) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return j;
}

static void test_round_trip(const char *path)
{
    Journal *j = open_or_die(path, "fp1:input1");
    JEntry e;
    CHECK(journal_get(j, 1, 0, &e) && e.state == J_NONE);
    CHECK(journal_begin(j));
    CHECK(journal_put(j, 1, 0, J_SENDING, NULL, NULL));
    CHECK(journal_put(j, 2, 0, J_FAILED, NULL, "STRING_TOO_LONG"));
    CHECK(journal_commit(j));
    CHECK(journal_put(j, 1, 0, J_OK, "0035g00000AbCdEAAZ", NULL));
    CHECK(journal_get(j, 1, 0, &e) && e.state == J_OK && strcmp(e.crm_id, "0035g00000AbCdEAAZ") == 0);
    CHECK(journal_get(j, 2, 0, &e) && e.state == J_FAILED && strcmp(e.error, "STRING_TOO_LONG") == 0);
    uint64_t counts[6];
    CHECK(journal_counts(j, counts) && counts[J_OK] == 1 && counts[J_FAILED] == 1 && counts[J_SENDING] == 0);
    journal_close(j);

    /* Another run key sees none of it. */
    j = open_or_die(path, "fp2:input1");
    CHECK(journal_get(j, 1, 0, &e) && e.state == J_NONE);
    journal_close(j);
}

static void test_kill(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        Journal *j = open_or_die(path, "killed");
        journal_put(j, 7, 1, J_OK, "a01", NULL);
        journal_begin(j);
        journal_put(j, 8, 1, J_OK, "a02", NULL);   /* never committed */
        kill(getpid(), SIGKILL);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    Journal *j = open_or_die(path, "killed");
    JEntry e;
    CHECK(journal_get(j, 7, 1, &e) && e.state == J_OK && strcmp(e.crm_id, "a01") == 0);
    CHECK(journal_get(j, 8, 1, &e) && e.state == J_NONE);
    journal_close(j);
}

static void test_private(const char *path)
{
    char err[256] = "";
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && fchmod(fd, 0644) == 0);
    close(fd);
    Journal *j = open_or_die(path, "mode");
    journal_close(j);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);

    char link_path[4200];
    snprintf(link_path, sizeof link_path, "%s.link", path);
    unlink(link_path);
    CHECK(symlink(path, link_path) == 0);
    j = journal_open(link_path, "link", err, sizeof err);
    CHECK(j == NULL && strstr(err, "symbolic link") != NULL);
    journal_close(j);
    unlink(link_path);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_journal DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/journal-test-%d.db", argv[1], (int)getpid());
    test_round_trip(path);
    test_kill(path);
    test_private(path);
    char wal[4200];
    unlink(path);
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}
