/* serve_tls: see serve_tls.h. */
#include "serve_tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

bool serve_tls_check(const char *cert, const char *key, const char *cert_path, const char *key_path, char *err,
                     size_t errlen)
{
    BIO *cb = BIO_new_mem_buf(cert, (int)strlen(cert));
    BIO *kb = BIO_new_mem_buf(key, (int)strlen(key));
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    /* No passphrase callback: an encrypted key cannot be used unattended. */
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
    bool ok = false;
    if (x == NULL)
        snprintf(err, errlen, "--tls-cert %s holds no PEM certificate", cert_path);
    else if (k == NULL)
        snprintf(err, errlen, "--tls-key %s holds no unencrypted PEM private key", key_path);
    else if (X509_check_private_key(x, k) != 1)
        snprintf(err, errlen, "--tls-key %s is not the key of the certificate in --tls-cert %s\n  help: give the "
                 "key and certificate issued together (certbot: privkey.pem and fullchain.pem of one live/ folder)",
                 key_path, cert_path);
    else
        ok = true;
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    BIO_free(kb);
    BIO_free(cb);
    return ok;
}
