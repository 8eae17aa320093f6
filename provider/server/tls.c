/* AutoMTLS server certificate with OpenSSL 3; see tls.h for the recipe. */
#include "provider/server/tls.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "provider/log.h"

/* go-plugin: notBefore = now - 30 s, notAfter = notBefore + 262980 h. */
#define CERT_BACKDATE_SECONDS 30L
#define CERT_LIFETIME_SECONDS (262980L * 3600L)

/* Log (debug) and clear the OpenSSL error queue of this thread. */
static void log_ssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown error");
	tfp_debug("TLS certificate: %s failed: %s", what, buf);
	ERR_clear_error();
}

/* Copy the contents of a memory BIO into a malloc'd NUL-terminated
 * string. Returns NULL on failure. */
static char *bio_to_string(BIO *bio)
{
	char *data = NULL, *out;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || !data)
		return NULL;
	out = malloc((size_t)n + 1);
	if (!out)
		return NULL;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

/* Add one extension given in OpenSSL's config syntax. 0 or -1. */
static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A uniformly random serial in [1, 2^128). 0 or -1. */
static int set_random_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int rc = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto cleanup;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn)
		goto cleanup;
	if (BN_is_zero(bn) && !BN_one(bn))
		goto cleanup;
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (!serial || !X509_set_serialNumber(x, serial))
		goto cleanup;
	rc = 0;
cleanup:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

/* The self-signed certificate for `key`, as go-plugin makes it: O
 * HashiCorp, CN and SAN localhost, a CA usable for server and client auth,
 * backdated a little, signed with `md`. NULL on failure (logged). */
static X509 *build_cert(EVP_PKEY *key, const EVP_MD *md)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;

	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    set_random_serial(x) < 0) {
		log_ssl_error("certificate setup");
		goto fail;
	}
	/* X509_gmtime_adj works in UTC whatever the local time zone. The
	 * end date, past 2049, is encoded as GeneralizedTime. */
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_SECONDS) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x),
			     CERT_LIFETIME_SECONDS - CERT_BACKDATE_SECONDS)) {
		log_ssl_error("validity");
		goto fail;
	}
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
					(const unsigned char *)"HashiCorp", -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"localhost", -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key)) {
		log_ssl_error("names");
		goto fail;
	}
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment,"
		    "keyAgreement,keyCertSign") < 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_subject_alt_name, "DNS:localhost") < 0) {
		log_ssl_error("extensions");
		goto fail;
	}
	if (!X509_sign(x, key, md)) {
		log_ssl_error("signing");
		goto fail;
	}
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* The DER and PEM forms of the certificate and the key's PEM (through
 * secure memory, so no stray copy outlives it) into *c. */
static int encode_cert(X509 *x, EVP_PKEY *key, srv_cert *c)
{
	unsigned char *der = NULL;
	int der_len = i2d_X509(x, &der);
	BIO *bio = NULL;
	int rc = -1;

	if (der_len <= 0) {
		log_ssl_error("DER encoding");
		goto out;
	}
	c->der = malloc((size_t)der_len);
	if (!c->der)
		goto out;
	memcpy(c->der, der, (size_t)der_len);
	c->der_len = (size_t)der_len;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_X509(bio, x) ||
	    !(c->cert_pem = bio_to_string(bio))) {
		log_ssl_error("certificate PEM");
		goto out;
	}
	BIO_free(bio);
	bio = BIO_new(BIO_s_secmem());
	if (!bio ||
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    !(c->key_pem = bio_to_string(bio))) {
		log_ssl_error("key PEM");
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	OPENSSL_free(der);
	return rc;
}

int srv__cert_generate(srv_cert *out, srv_curve curve)
{
	const char *group = curve == SRV_CURVE_P521 ? "P-521" : "P-256";
	const EVP_MD *md = curve == SRV_CURVE_P521 ? EVP_sha512() :
						     EVP_sha256();
	EVP_PKEY *key;
	X509 *x = NULL;
	srv_cert c = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	key = EVP_EC_gen(group);
	if (!key)
		log_ssl_error("key generation");
	else if ((x = build_cert(key, md)) && encode_cert(x, key, &c) == 0) {
		*out = c;
		memset(&c, 0, sizeof(c));
		rc = 0;
	}
	srv__cert_done(&c);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

void srv__cert_done(srv_cert *c)
{
	if (!c)
		return;
	if (c->key_pem) {
		OPENSSL_cleanse(c->key_pem, strlen(c->key_pem));
		free(c->key_pem);
	}
	free(c->cert_pem);
	free(c->der);
	memset(c, 0, sizeof(*c));
}
