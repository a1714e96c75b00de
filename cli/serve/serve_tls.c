/* serve_tls: see serve_tls.h. */
#include "serve_tls.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cm_alloc.h"
#include "conn_config.h"

/* A longer chain is a mistake (certbot's fullchain.pem holds 2 or 3). */
#define MAX_CHAIN 16

struct ServeTlsPair {
    char *cert, *key;           /* PEM text; the key is wiped when freed */
    size_t cert_len, key_len;
    unsigned ncerts;
    char about[320];            /* serve_tls_describe */
};

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static ServeTlsPair *current;

/* The copy a handshake gets, made the way GnuTLS will read it. */
static int copy_pair(const ServeTlsPair *p, gnutls_pcert_st **certs, unsigned *ncerts, gnutls_privkey_t *key)
{
    gnutls_pcert_st *list = gnutls_malloc(MAX_CHAIN * sizeof *list);
    unsigned n = MAX_CHAIN;
    gnutls_datum_t cd = { (unsigned char *)p->cert, (unsigned)p->cert_len };
    gnutls_datum_t kd = { (unsigned char *)p->key, (unsigned)p->key_len };
    gnutls_privkey_t k = NULL;
    if (list == NULL)
        return -1;
    if (gnutls_pcert_list_import_x509_raw(list, &n, &cd, GNUTLS_X509_FMT_PEM, 0) < 0) {
        gnutls_free(list);
        return -1;
    }
    if (gnutls_privkey_init(&k) < 0 || gnutls_privkey_import_x509_raw(k, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
        gnutls_privkey_deinit(k);
        for (unsigned i = 0; i < n; i++)
            gnutls_pcert_deinit(&list[i]);
        gnutls_free(list);
        return -1;
    }
    *certs = list;
    *ncerts = n;
    *key = k;
    return 0;
}

static void free_copy(gnutls_pcert_st *certs, unsigned n, gnutls_privkey_t key)
{
    for (unsigned i = 0; i < n; i++)
        gnutls_pcert_deinit(&certs[i]);
    gnutls_free(certs);
    gnutls_privkey_deinit(key);
}

int serve_tls_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info, gnutls_pcert_st **certs,
                       unsigned int *ncerts, gnutls_ocsp_data_st **ocsp, unsigned int *nocsp,
                       gnutls_privkey_t *key, unsigned int *flags)
{
    (void)session;
    (void)info;
    pthread_mutex_lock(&current_lock);
    int rc = current ? copy_pair(current, certs, ncerts, key) : -1;
    pthread_mutex_unlock(&current_lock);
    *ocsp = NULL;
    *nocsp = 0;
    /* The copy is the session's: GnuTLS frees it when the session ends. */
    *flags = GNUTLS_CERT_RETR_DEINIT_ALL;
    return rc;
}

/* The checks OpenSSL can explain: a certificate, a key without a passphrase,
 * the pair, the expiry; fills p->about. */
static bool check_pair(ServeTlsPair *p, const char *cert_path, const char *key_path, char *err, size_t errlen)
{
    BIO *cb = BIO_new_mem_buf(p->cert, (int)p->cert_len);
    BIO *kb = BIO_new_mem_buf(p->key, (int)p->key_len);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    /* No passphrase callback: an encrypted key cannot be used unattended. */
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
    bool ok = false;
    if (x == NULL) {
        snprintf(err, errlen, "--tls-cert %s holds no PEM certificate", cert_path);
    } else if (k == NULL) {
        snprintf(err, errlen, "--tls-key %s holds no unencrypted PEM private key", key_path);
    } else if (X509_check_private_key(x, k) != 1) {
        snprintf(err, errlen, "--tls-key %s is not the key of the certificate in --tls-cert %s\n  help: give the "
                 "key and certificate issued together (certbot: privkey.pem and fullchain.pem of one live/ folder)",
                 key_path, cert_path);
    } else if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
        snprintf(err, errlen, "--tls-cert %s expired\n  help: renew it (certbot renew), or give the renewed "
                 "files", cert_path);
    } else {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        char fp[3 * EVP_MAX_MD_SIZE + 1] = "";
        if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
            for (unsigned i = 0; i < mdlen; i++)
                snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
        struct tm until;
        memset(&until, 0, sizeof until);
        char when[32] = "?";
        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &until) == 1)
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &until);
        snprintf(p->about, sizeof p->about, "SHA256 %s, valid until %s", fp, when);
        ok = true;
    }
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    BIO_free(kb);
    BIO_free(cb);
    return ok;
}

ServeTlsPair *serve_tls_read(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
    ServeTlsPair *p = cm_calloc(1, sizeof *p);
    const char *why;
    p->cert = cli_read_file(cert_path, 1u << 20, &p->cert_len, &why);
    if (p->cert == NULL) {
        snprintf(err, errlen, "--tls-cert %s: %s", cert_path, why);
        serve_tls_free(p);
        return NULL;
    }
    ConnConfig kc;
    memset(&kc, 0, sizeof kc);
    kc.private_key_file = (char *)key_path;
    p->key = conn_private_key_load(&kc, err, errlen);
    p->key_len = p->key ? strlen(p->key) : 0;
    if (p->key == NULL || !check_pair(p, cert_path, key_path, err, errlen)) {
        serve_tls_free(p);
        return NULL;
    }
    gnutls_pcert_st *certs;
    gnutls_privkey_t key;
    if (copy_pair(p, &certs, &p->ncerts, &key) != 0) {
        snprintf(err, errlen, "--tls-cert %s or --tls-key %s: GnuTLS cannot read them (more than %d certificates, "
                 "or a form it does not know)", cert_path, key_path, MAX_CHAIN);
        serve_tls_free(p);
        return NULL;
    }
    free_copy(certs, p->ncerts, key);
    return p;
}

void serve_tls_free(ServeTlsPair *p)
{
    if (p == NULL)
        return;
    if (p->key) {
        OPENSSL_cleanse(p->key, strlen(p->key));
        cm_free(p->key);
    }
    cm_free(p->cert);
    cm_free(p);
}

const char *serve_tls_describe(const ServeTlsPair *p)
{
    return p->about;
}

void serve_tls_use(ServeTlsPair *p, char *was, size_t waslen)
{
    pthread_mutex_lock(&current_lock);
    ServeTlsPair *old = current;
    current = p;
    pthread_mutex_unlock(&current_lock);
    if (was)
        snprintf(was, waslen, "%s", old ? old->about : "none");
    serve_tls_free(old);
}
