/* vendor_hosts: which host names belong to a CRM vendor — the hosts a
 * crmmap.json inside the repository may send a token, a client secret or
 * records to (conn_config_check_hosts; docs/connections.md). A pattern
 * "*.example.com" is any name below example.com (not example.com itself,
 * and only at a dot: evilexample.com and example.com.evil.net are not);
 * any other pattern is one exact name. Where tenants' own code answers
 * strangers' requests (Salesforce Experience Cloud sites on *.force.com) is
 * not listed: a token sent there could be read by whoever owns that site. */
#ifndef VENDOR_HOSTS_H
#define VENDOR_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

/* True when host (lower case, as tx_url_host gives it; one trailing dot is
 * ignored) is one of system's own hosts
 * (CrmVendor.hosts). An unknown system has none. */
bool vendor_host_ok(const char *system, const char *host);

/* True when host (the same form) matches one of patterns — npatterns of
 * them, or up to a NULL entry — by the rules above. */
bool host_pattern_any(const char *const *patterns, size_t npatterns, const char *host);

/* True when pattern is a lower-case host name, or "*." and one. */
bool host_pattern_valid(const char *pattern);

/* system's patterns for a message, comma-separated: "*.hubapi.com,
 * *.hubspot.com"; "" for an unknown system. Cut to fit outlen. */
void vendor_hosts_text(const char *system, char *out, size_t outlen);

#endif
