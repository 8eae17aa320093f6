/* Certificate fingerprints and key pair checks (see http_tls.h), and the
 * pin check used by the curl exchange (http_internal.h). */
#include "provider/http/http_tls.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "provider/http/http_internal.h"

static int cert_fingerprint(X509 *x, char out[HTTP_FP_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[HTTP_FP_HEX_LEN] = '\0';
	return 0;
}

static X509 *pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;

	if (!bio)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}

int http_fp_normalize(const char *in, char out[HTTP_FP_HEX_LEN + 1])
{
	size_t o = 0;

	if (!in)
		return -1;
	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || o >= HTTP_FP_HEX_LEN)
			return -1;
		out[o++] = (char)tolower((unsigned char)*in);
	}
	out[o] = '\0';
	return o == HTTP_FP_HEX_LEN ? 0 : -1;
}

int http_pem_fingerprint(const char *pem, char out[HTTP_FP_HEX_LEN + 1])
{
	X509 *x = pem ? pem_cert(pem) : NULL;
	int rc;

	if (!x)
		return -1;
	rc = cert_fingerprint(x, out);
	X509_free(x);
	return rc;
}

int http_check_keypair(const char *cert_pem, const char *key_pem, char *why,
		       size_t len)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	const char *msg = NULL;

	x = cert_pem ? pem_cert(cert_pem) : NULL;
	if (!x) {
		msg = "client certificate is not a PEM certificate";
		goto out;
	}
	bio = key_pem ? BIO_new_mem_buf(key_pem, -1) : NULL;
	if (bio)
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!k) {
		msg = "client key is not an unencrypted PEM private key";
		goto out;
	}
	if (X509_check_private_key(x, k) != 1)
		msg = "client key does not match the client certificate";
out:
	EVP_PKEY_free(k);
	BIO_free(bio);
	X509_free(x);
	if (msg && why && len)
		snprintf(why, len, "%s", msg);
	return msg ? -1 : 0;
}

/* Replaces OpenSSL's chain verification: the peer is accepted iff the
 * SHA-256 of its leaf certificate equals the pin. Rejecting here aborts
 * the handshake before our certificate or any request is sent. */
static int pin_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	http_pin_state *p = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);

	if (!leaf || cert_fingerprint(leaf, p->actual) < 0) {
		p->mismatch = true;
		snprintf(p->actual, sizeof(p->actual), "%s", "(none)");
		X509_STORE_CTX_set_error(xs,
					 X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (strcmp(p->actual, p->pin) != 0) {
		p->mismatch = true;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	p->checked = true;
	return 1;
}

int http__pin_ssl_ctx(void *sslctx, http_pin_state *p)
{
	SSL_CTX *ctx = sslctx;

	/* curl set VERIFY_NONE (verifypeer off); the peer must still pass
	 * the pin, so ask for verification and supply the check. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, pin_verify_cb, p);
	/* p lives as long as one exchange, the connection longer (it is
	 * kept for reuse): no second handshake on it, so the callback can
	 * only run during the exchange that opened it. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	return 0;
}
