/* serve_tls: serve's certificate and private key — read and checked before
 * libmicrohttpd is given them (the chain parses, its first certificate is
 * the key's and has not expired, GnuTLS takes both), so a failure to listen
 * afterwards is the address's, and --check-config and a reload can say
 * which file is wrong — and handed to each TLS handshake by GnuTLS's
 * retrieve callback (MHD_OPTION_HTTPS_CERT_CALLBACK2). A reload replaces
 * the pair new handshakes get; each handshake gets its own copy, which
 * GnuTLS frees with the session, so connections already open keep theirs
 * and nothing they use is freed under them. One pair per process (the
 * callback has no context argument). */
#ifndef SERVE_TLS_H
#define SERVE_TLS_H

#include <gnutls/abstract.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ServeTlsPair ServeTlsPair;

/* Reads --tls-cert and --tls-key (mode 0600, symlinks followed as certbot's
 * live/ folder needs) and checks them. NULL with the reason. */
ServeTlsPair *serve_tls_read(const char *cert_path, const char *key_path, char *err, size_t errlen);
void serve_tls_free(ServeTlsPair *p);
/* The certificate's SHA-256 fingerprint (as `openssl x509 -fingerprint
 * -sha256` prints it) and its expiry, for the log. */
const char *serve_tls_describe(const ServeTlsPair *p);

/* Makes p (taken; NULL: none) the pair new handshakes get and frees the one
 * before, whose serve_tls_describe goes to was (may be NULL). */
void serve_tls_use(ServeTlsPair *p, char *was, size_t waslen);

/* The retrieve callback: a copy of the current pair, for GnuTLS to free. */
gnutls_certificate_retrieve_function3 serve_tls_retrieve;

#endif
