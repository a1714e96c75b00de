/* Connection config: file, environment and flag layers; token sources and
 * the token file's permission rule. Runs in a scratch directory (argv[1]). */
/* setgroups */
#define _DEFAULT_SOURCE

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cjson_alloc.h"
#include "conn_config.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static char dir[512];

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    remove(path);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static void test_file_and_layers(void)
{
    char err[400];
    ConnConfig c = { 0 };
    const char *p = write_file("crmmap.json",
        "{ \"system\": \"salesforce\", \"url\": \"https://acme.my.salesforce.com\",\n"
        "  \"api_version\": \"v60.0\", \"auth\": \"bearer\", \"token_env\": \"SF_TOKEN\" }\n", 0644);
    CHECK(conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err));
    CHECK(c.system && strcmp(c.system, "salesforce") == 0);
    CHECK(c.url && strcmp(c.url, "https://acme.my.salesforce.com") == 0);
    CHECK(strcmp(conn_config_api_version(&c), "v60.0") == 0);
    CHECK(conn_config_validate(&c, err, sizeof err));

    /* Environment over file, flags over environment; a token source replaces the other. */
    setenv("CRMMAP_URL", "https://other.example", 1);
    setenv("CRMMAP_TOKEN_FILE", "/nonexistent/token", 1);
    conn_config_apply_env(&c);
    unsetenv("CRMMAP_URL");
    unsetenv("CRMMAP_TOKEN_FILE");
    CHECK(strcmp(c.url, "https://other.example") == 0);
    CHECK(c.token_env == NULL && c.token_file != NULL);
    conn_config_set(&c.url, "http://127.0.0.1:9999");
    conn_config_set_token_env(&c, "MY_TOKEN");
    CHECK(c.token_file == NULL && strcmp(c.token_env, "MY_TOKEN") == 0);

    setenv("MY_TOKEN", "abc.def-123\n", 1);
    char *tok = conn_token_load(&c, err, sizeof err);
    CHECK(tok && strcmp(tok, "abc.def-123") == 0);
    conn_token_free(tok);
    setenv("MY_TOKEN", "", 1);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "MY_TOKEN"));
    setenv("MY_TOKEN", "abc\r\nX-Evil: 1", 1);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "control character"));
    unsetenv("MY_TOKEN");
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "not set"));

    conn_config_set_token_env(&c, NULL);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && err[0] == '\0');
    conn_config_free(&c);

    /* Missing file: fine unless required. */
    ConnConfig d = { 0 };
    CHECK(conn_config_load(&d, "/nonexistent/crmmap.json", CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(!conn_config_load(&d, "/nonexistent/crmmap.json", CONN_FILE_NAMED, err, sizeof err));
    CHECK(strcmp(conn_config_api_version(&d), "v3") == 0);
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "system"));
    conn_config_set(&d.system, "dynamics");
    CHECK(strcmp(conn_config_api_version(&d), "v9.2") == 0);
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "URL"));
    conn_config_set(&d.url, "https://org.crm.dynamics.com");
    conn_config_set(&d.auth, "saml");
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "not supported"));
    CHECK(strstr(err, "\"api_token\" (pipedrive)") != NULL);
    /* a vendor's API key kind: its header, for that vendor alone */
    conn_config_set(&d.auth, "api_token");
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "not supported"));
    CHECK(conn_config_token_header(&d) == NULL);
    conn_config_set(&d.system, "pipedrive");
    CHECK(conn_config_validate(&d, err, sizeof err));
    CHECK(conn_config_token_header(&d) && strcmp(conn_config_token_header(&d), "x-api-token") == 0);
    conn_config_set(&d.auth, "bearer");
    CHECK(conn_config_token_header(&d) == NULL);
    conn_config_set(&d.system, "dynamics");
    conn_config_set(&d.auth, "salesforce_jwt");
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "needs token_url, client_id, username"));
    conn_config_set(&d.auth, "oauth2_client_credentials");
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "needs token_url"));
    conn_config_set(&d.token_url, "https://login.example/oauth2/token");
    conn_config_set(&d.client_id, "crmmap");
    conn_config_set(&d.client_secret_env, "CRM_SECRET");
    CHECK(conn_config_validate(&d, err, sizeof err));
    setenv("CRM_SECRET", "s3cret", 1);
    char *secret = conn_secret_load(&d, err, sizeof err);
    CHECK(secret && strcmp(secret, "s3cret") == 0);
    conn_token_free(secret);
    unsetenv("CRM_SECRET");
    CHECK(conn_secret_load(&d, err, sizeof err) == NULL && strstr(err, "client secret"));
    conn_config_set(&d.system, "zoho");
    CHECK(!conn_config_validate(&d, err, sizeof err) && strstr(err, "unknown system"));
    conn_config_free(&d);
}

static void test_bad_files(void)
{
    char err[400];
    ConnConfig c = { 0 };
    const char *p = write_file("bad1.json", "{\n  \"system\": \"hubspot\",\n  \"url\": }\n", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, ":3:10: "));
    p = write_file("bad2.json", "{ \"sytem\": \"hubspot\" }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "unknown key 'sytem'"));
    p = write_file("bad3.json", "{ \"url\": 5 }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "'url' must be"));
    p = write_file("bad4.json", "[]", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "object"));
    p = write_file("bad5.json", "{ \"token_env\": \"A\", \"token_file\": \"B\" }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "not both"));
    p = write_file("bad6.json", "{ \"url\": \"https://a\", \"url\": \"https://b\" }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "twice"));
    p = write_file("bad7.json", "{ \"token\": \"secret\" }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "unknown key 'token'"));
    conn_config_free(&c);
    /* The marker field goes into a read's query: a plain name only. */
    p = write_file("bad8.json", "{ \"marker_field\": \"x eq 1 or y\" }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "is not a field name"));
    conn_config_free(&c);
    p = write_file("marker.json", "{ \"marker_field\": \"crmmap_marker__c\" }", 0644);
    CHECK(conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strcmp(c.marker_field, "crmmap_marker__c") == 0);
    conn_config_free(&c);
    /* fetch_allow: host names (lower-cased), or '*.' and one. */
    p = write_file("fetch.json", "{ \"fetch_allow\": [\"Files.Example.com\", \"*.cdn.example.net\"] }", 0644);
    CHECK(conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && c.fetch.nallow == 2
          && strcmp(c.fetch.allow[0], "files.example.com") == 0 && fetch_host_allowed(&c.fetch, "a.cdn.example.net"));
    conn_config_free(&c);
    p = write_file("fetch2.json", "{ \"fetch_allow\": [\"https://files.example.com/\"] }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "fetch_allow: 'https://")
          && strstr(err, "is not a host name"));
    conn_config_free(&c);
    p = write_file("fetch3.json", "{ \"fetch_allow\": \"files.example.com\" }", 0644);
    CHECK(!conn_config_load(&c, p, CONN_FILE_NAMED, err, sizeof err) && strstr(err, "must be an array"));
    conn_config_free(&c);
}

static void test_token_file(void)
{
    char err[400];
    ConnConfig c = { 0 };
    const char *p = write_file("token", "s3cr3t-token\n", 0600);
    conn_config_set_token_file(&c, p);
    char *tok = conn_token_load(&c, err, sizeof err);
    CHECK(tok && strcmp(tok, "s3cr3t-token") == 0);
    conn_token_free(tok);

    write_file("token", "s3cr3t-token\n", 0640);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "mode 0640") && strstr(err, "chmod 600"));
    write_file("token", "s3cr3t-token\n", 0604);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "group or others"));
    write_file("token", "\n", 0600);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "empty"));
    write_file("token", "two words\n", 0600);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "space"));
    conn_config_set_token_file(&c, dir);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "regular file"));
    conn_config_set_token_file(&c, "/nonexistent/token");
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "No such file"));
    conn_config_free(&c);
}

/* A file of systemd's LoadCredential=: root's, 0400 with an ACL entry for the
 * service's user, which stat shows as 0440. Taken only in $CREDENTIALS_DIRECTORY. */
static void test_systemd_credential(void)
{
    char err[400], creds[600];
    snprintf(creds, sizeof creds, "%s/credentials", dir);
    mkdir(creds, 0700);
    ConnConfig c = { 0 };
    const char *p = write_file("credentials/token", "s3cr3t-token\n", 0440);
    conn_config_set_token_file(&c, p);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "mode 0440"));
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    char *tok = conn_token_load(&c, err, sizeof err);
    CHECK(tok && strcmp(tok, "s3cr3t-token") == 0);
    conn_token_free(tok);
    write_file("credentials/token", "s3cr3t-token\n", 0444);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "accessible to others"));
    /* Not directly in it: the ordinary rule. */
    conn_config_set_token_file(&c, write_file("token", "s3cr3t-token\n", 0440));
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "mode 0440"));
    unsetenv("CREDENTIALS_DIRECTORY");
    conn_config_free(&c);
}

/* What `conn_token_load` says as the user nobody (uid and gid 65534) about
 * path: "" when it reads the token, else the reason. */
static void load_as_nobody(const char *path, char *out, size_t outlen)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char err[400] = "";
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
            snprintf(err, sizeof err, "cannot become nobody");
        } else {
            ConnConfig c = { 0 };
            conn_config_set_token_file(&c, path);
            char *tok = conn_token_load(&c, err, sizeof err);
            if (tok)
                err[0] = '\0';
            conn_token_free(tok);
            conn_config_free(&c);
        }
        ssize_t w = write(fds[1], err, strlen(err) + 1);
        _exit(w > 0 ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], out, outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    waitpid(pid, NULL, 0);
}

/* A secret installed for a service user: root:GROUP 0640, read through the
 * group. Needs root to make the file and the user; skipped otherwise. */
static void test_group_readable(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_group_readable: skipped (needs root)\n");
        return;
    }
    char err[400];
    /* Its own folder under /tmp, which nobody can enter: the build tree may
     * sit below a folder only root can (mktemp -d makes them 0700). */
    char home[] = "/tmp/crmmap-conn-config-XXXXXX";
    CHECK(mkdtemp(home) != NULL && chmod(home, 0711) == 0);
    char p[sizeof home + 16];
    snprintf(p, sizeof p, "%s/svc-token", home);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL && fputs("s3cr3t-token\n", f) >= 0 && fclose(f) == 0);
    CHECK(chmod(p, 0640) == 0 && chown(p, 0, 65534) == 0);
    load_as_nobody(p, err, sizeof err);
    CHECK(strcmp(err, "") == 0);
    if (err[0])
        fprintf(stderr, "root:nobody 0640 refused: %s\n", err);
    chmod(p, 0660);
    load_as_nobody(p, err, sizeof err);
    CHECK(strstr(err, "writable by its group") != NULL);
    chmod(p, 0644);
    load_as_nobody(p, err, sizeof err);
    CHECK(strstr(err, "accessible to others") != NULL);
    /* A file of another user (not root) is refused whatever its mode. */
    CHECK(chown(p, 1, 65534) == 0);
    chmod(p, 0640);
    load_as_nobody(p, err, sizeof err);
    CHECK(strstr(err, "belongs to another user") != NULL);
    /* Root itself reads its own files only when they are 0600. */
    CHECK(chown(p, 0, 0) == 0);
    ConnConfig c = { 0 };
    conn_config_set_token_file(&c, p);
    CHECK(conn_token_load(&c, err, sizeof err) == NULL && strstr(err, "mode 0640"));
    conn_config_free(&c);
    remove(p);
    rmdir(home);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_conn_config SCRATCH_DIR\n");
        return 2;
    }
    cjson_alloc_hook();
    snprintf(dir, sizeof dir, "%s/conn_config", argv[1]);
    mkdir(dir, 0700);
    test_file_and_layers();
    test_bad_files();
    test_token_file();
    test_systemd_credential();
    test_group_readable();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
