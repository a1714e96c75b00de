/* The host pin of a crmmap.json found by default (docs/connections.md):
 * vendor_host_ok on names that are and are not the vendors', URLs through
 * the transport's own parser (case, ports, userinfo, IP literals), and
 * conn_config_check_hosts on files: which keys it checks, the FILE:LINE:COL
 * it reports, and that a named file or an override lifts it. Runs in a
 * scratch directory (argv[1]). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn_config.h"
#include "transport.h"
#include "vendor_hosts.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static char dir[512];

/* What conn_config_check_hosts decides for one URL in `key` of a default file. */
static bool url_ok(const char *system, const char *url)
{
    ConnConfig c = { 0 };
    char err[1024];
    conn_config_set(&c.system, system);
    conn_config_set(&c.url, url);
    conn_config_set(&c.url_at, "crmmap.json:1:1");
    bool ok = conn_config_check_hosts(&c, err, sizeof err);
    conn_config_free(&c);
    return ok;
}

static void test_names(void)
{
    /* Salesforce: My Domain, sandboxes, the generic login hosts, old instance names. */
    CHECK(vendor_host_ok("salesforce", "acme.my.salesforce.com"));
    CHECK(vendor_host_ok("salesforce", "acme--uat.sandbox.my.salesforce.com"));
    CHECK(vendor_host_ok("salesforce", "login.salesforce.com"));
    CHECK(vendor_host_ok("salesforce", "test.salesforce.com"));
    CHECK(vendor_host_ok("salesforce", "na85.salesforce.com"));
    CHECK(vendor_host_ok("salesforce", "acme.my.salesforce.com."));
    /* Experience Cloud sites (tenant code answering strangers) are not API hosts. */
    CHECK(!vendor_host_ok("salesforce", "acme.my.site.com"));
    CHECK(!vendor_host_ok("salesforce", "acme.force.com"));
    CHECK(!vendor_host_ok("salesforce", "acme.lightning.force.com"));
    CHECK(!vendor_host_ok("salesforce", "acme.my.salesforce-sites.com"));
    /* Dot boundaries. */
    CHECK(!vendor_host_ok("salesforce", "salesforce.com"));
    CHECK(!vendor_host_ok("salesforce", "evilsalesforce.com"));
    CHECK(!vendor_host_ok("salesforce", "salesforce.com.evil.net"));
    CHECK(!vendor_host_ok("salesforce", "acme.my.salesforce.com.evil.net"));
    CHECK(!vendor_host_ok("salesforce", "acme.my.salesforce.comm"));
    CHECK(!vendor_host_ok("salesforce", ".salesforce.com"));
    CHECK(!vendor_host_ok("salesforce", "acme..salesforce.com"));
    CHECK(!vendor_host_ok("salesforce", "acme.salesforce.com.."));
    CHECK(!vendor_host_ok("salesforce", "ac me.salesforce.com"));
    CHECK(!vendor_host_ok("salesforce", "acme%2esalesforce.com"));
    CHECK(!vendor_host_ok("salesforce", ""));
    /* One vendor's hosts are not another's. */
    CHECK(!vendor_host_ok("hubspot", "acme.my.salesforce.com"));
    CHECK(!vendor_host_ok("salesforce", "api.hubapi.com"));
    CHECK(!vendor_host_ok("snapaddy", "api.hubapi.com"));
    CHECK(!vendor_host_ok(NULL, "api.hubapi.com"));

    CHECK(vendor_host_ok("hubspot", "api.hubapi.com"));
    CHECK(vendor_host_ok("hubspot", "api-eu1.hubapi.com"));
    CHECK(vendor_host_ok("hubspot", "api.hubspot.com"));
    CHECK(!vendor_host_ok("hubspot", "hubapi.com"));
    CHECK(!vendor_host_ok("hubspot", "api.hubapi.com.evil.net"));
    CHECK(!vendor_host_ok("hubspot", "acme.hs-sites.com"));

    CHECK(vendor_host_ok("dynamics", "org.crm.dynamics.com"));
    CHECK(vendor_host_ok("dynamics", "org.crm4.dynamics.com"));
    CHECK(vendor_host_ok("dynamics", "org.api.crm12.dynamics.com"));
    CHECK(vendor_host_ok("dynamics", "org.crm9.dynamics.com"));
    CHECK(vendor_host_ok("dynamics", "org.crm.microsoftdynamics.us"));
    CHECK(vendor_host_ok("dynamics", "org.crm.appsplatform.us"));
    CHECK(vendor_host_ok("dynamics", "org.crm.dynamics.cn"));
    CHECK(vendor_host_ok("dynamics", "login.microsoftonline.com"));
    CHECK(vendor_host_ok("dynamics", "login.microsoftonline.us"));
    CHECK(vendor_host_ok("dynamics", "login.partner.microsoftonline.cn"));
    CHECK(vendor_host_ok("dynamics", "login.chinacloudapi.cn"));
    CHECK(!vendor_host_ok("dynamics", "evil.microsoftonline.com"));
    CHECK(!vendor_host_ok("dynamics", "login.microsoftonline.com.evil.net"));
    CHECK(!vendor_host_ok("dynamics", "org.powerappsportals.com"));
    CHECK(!vendor_host_ok("dynamics", "crm.contoso.local"));

    char text[400];
    vendor_hosts_text("hubspot", text, sizeof text);
    CHECK(strcmp(text, "*.hubapi.com, *.hubspot.com") == 0);
    vendor_hosts_text("nope", text, sizeof text);
    CHECK(text[0] == '\0');
}

static void test_urls(void)
{
    CHECK(url_ok("salesforce", "https://acme.my.salesforce.com"));
    CHECK(url_ok("salesforce", "https://ACME.My.SalesForce.COM/services/data/"));
    CHECK(url_ok("salesforce", "https://acme.my.salesforce.com:443"));
    CHECK(url_ok("hubspot", "https://api.hubapi.com/"));
    CHECK(url_ok("dynamics", "https://org.crm4.dynamics.com"));
    /* Loopback, whatever the system (http there still needs --plain-http). */
    CHECK(url_ok("salesforce", "http://127.0.0.1:8080"));
    CHECK(url_ok("hubspot", "http://localhost:9"));
    CHECK(url_ok("dynamics", "https://[::1]:8443/"));
    /* Not the vendor's, however dressed up. */
    CHECK(!url_ok("salesforce", "https://evil.example.net"));
    CHECK(!url_ok("salesforce", "https://evilsalesforce.com"));
    CHECK(!url_ok("salesforce", "https://acme.my.salesforce.com.evil.net/"));
    CHECK(!url_ok("salesforce", "https://evil.example.net/acme.my.salesforce.com"));
    CHECK(!url_ok("salesforce", "https://evil.example.net?x=.salesforce.com"));
    CHECK(!url_ok("salesforce", "https://evil.example.net#.salesforce.com"));
    CHECK(!url_ok("salesforce", "https://acme.my.salesforce.com@evil.example.net/"));
    CHECK(!url_ok("salesforce", "https://acme.my.salesforce.com:x@evil.example.net/"));
    CHECK(!url_ok("salesforce", "https://user@acme.my.salesforce.com/"));
    CHECK(!url_ok("salesforce", "https://10.0.0.5/"));
    CHECK(!url_ok("salesforce", "https://[fe80::1]/"));
    CHECK(!url_ok("salesforce", "https://127.0.0.1.nip.io/"));
    CHECK(!url_ok("salesforce", "https://localhost.evil.example/"));
    CHECK(!url_ok("salesforce", "acme.my.salesforce.com"));
    CHECK(!url_ok("salesforce", "not a url"));
    CHECK(!url_ok(NULL, "https://acme.my.salesforce.com"));

    /* The host as the transport's parser reads it. */
    char host[256], err[200];
    CHECK(tx_url_host("HTTPS://Acme.My.Salesforce.com:8443/x?y#z", host, sizeof host, err, sizeof err)
          && strcmp(host, "acme.my.salesforce.com") == 0);
    CHECK(tx_url_host("http://[::1]:9/", host, sizeof host, err, sizeof err) && strcmp(host, "[::1]") == 0);
    CHECK(!tx_url_host("https://u:p@acme.my.salesforce.com/", host, sizeof host, err, sizeof err)
          && strstr(err, "credentials"));
    CHECK(!tx_url_host("https://acme.my.salesforce.com/", host, 8, err, sizeof err));
}

static const char *write_file(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text as a default (or named) file and checks its hosts; err gets the refusal. */
static bool file_ok(const char *text, ConnFileKind kind, char *err, size_t errlen)
{
    ConnConfig c = { 0 };
    const char *p = write_file("vendor_hosts.json", text);
    bool ok = conn_config_load(&c, p, kind, err, errlen);
    CHECK(ok);
    ok = ok && conn_config_check_hosts(&c, err, errlen);
    conn_config_free(&c);
    return ok;
}

static void test_files(void)
{
    char err[1024], want[700];
    static const char evil_url[] = "{\n  \"system\": \"salesforce\",\n  \"url\": \"https://evil.example.net\",\n"
                                   "  \"token_env\": \"HOME\"\n}\n";
    CHECK(!file_ok(evil_url, CONN_FILE_DEFAULT, err, sizeof err));
    snprintf(want, sizeof want, "%s/vendor_hosts.json:3:10: \"url\" names the host evil.example.net, not one of "
             "salesforce's (*.salesforce.com) or loopback", dir);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(strstr(err, "\n  help: give this URL from outside the repository (--url BASE or CRMMAP_URL), or name a "
                      "config file outside the repository with --config FILE or CRMMAP_CONFIG"));
    /* The user named the file: any host. */
    CHECK(file_ok(evil_url, CONN_FILE_NAMED, err, sizeof err));

    /* The token endpoint and the JWT audience are checked too; the position is the value's. */
    CHECK(!file_ok("{\"system\":\"dynamics\",\"url\":\"https://org.crm4.dynamics.com\",\n"
                   "\"auth\":\"oauth2_client_credentials\",\"client_id\":\"x\",\"client_secret_env\":\"PGPASSWORD\",\n"
                   "   \"token_url\" : \"https://login.evil.example/t/oauth2/v2.0/token\"}", CONN_FILE_DEFAULT, err,
                   sizeof err));
    CHECK(strstr(err, "/vendor_hosts.json:3:18: \"token_url\" names the host login.evil.example") != NULL);
    CHECK(strstr(err, "help: for this host, name a config file outside the repository") != NULL);
    CHECK(file_ok("{\"system\":\"dynamics\",\"url\":\"https://org.crm4.dynamics.com\",\"client_id\":\"x\","
                  "\"token_url\":\"https://login.microsoftonline.com/TENANT/oauth2/v2.0/token\"}", CONN_FILE_DEFAULT,
                  err, sizeof err));
    CHECK(!file_ok("{\"system\":\"salesforce\",\"url\":\"https://acme.my.salesforce.com\",\"auth\":\"salesforce_jwt\","
                   "\"token_url\":\"https://login.salesforce.com/services/oauth2/token\",\"audience\":\"https://evil.example\"}",
                   CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(strstr(err, "\"audience\" names the host evil.example") != NULL);
    CHECK(!file_ok("{\"system\":\"salesforce\",\"audience\":\"urn:evil\"}", CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(strstr(err, "\"audience\" is not a URL whose host can be checked") != NULL);

    /* An escaped key is found where cJSON found it. */
    CHECK(!file_ok("{\"system\":\"hubspot\", \"u\\u0072l\": \"https://api.hubapi.com.evil.net\"}", CONN_FILE_DEFAULT,
                   err, sizeof err));
    CHECK(strstr(err, "/vendor_hosts.json:1:34: \"url\"") != NULL);
    /* The host is printed as printable ASCII only. */
    CHECK(!file_ok("{\"system\":\"hubspot\",\"url\":\"https://ev\\u00efl.example\"}", CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(strchr(err, '\xc3') == NULL);

    /* --url or CRMMAP_URL replace the file's url: nothing left to check. */
    ConnConfig c = { 0 };
    CHECK(conn_config_load(&c, write_file("vendor_hosts.json", evil_url), CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(c.url_at != NULL);
    conn_config_set_url(&c, "https://crm.corp.example");
    CHECK(c.url_at == NULL && conn_config_check_hosts(&c, err, sizeof err));
    conn_config_free(&c);
    CHECK(conn_config_load(&c, write_file("vendor_hosts.json", evil_url), CONN_FILE_DEFAULT, err, sizeof err));
    setenv("CRMMAP_URL", "https://crm.corp.example", 1);
    conn_config_apply_env(&c);
    unsetenv("CRMMAP_URL");
    CHECK(conn_config_check_hosts(&c, err, sizeof err));
    conn_config_free(&c);
    /* A file without URLs, and a missing default file, have nothing to check. */
    CHECK(file_ok("{\"system\":\"hubspot\",\"token_env\":\"HS\"}", CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(conn_config_load(&c, "/nonexistent/crmmap.json", CONN_FILE_DEFAULT, err, sizeof err));
    CHECK(conn_config_check_hosts(&c, err, sizeof err));
    conn_config_free(&c);
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : ".");
    test_names();
    test_urls();
    test_files();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
