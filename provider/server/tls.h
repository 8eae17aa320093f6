/* Private to provider/server: the AutoMTLS server certificate.
 *
 * The recipe follows go-plugin's mtls.go so Terraform's client accepts it:
 * self-signed ECDSA, CN "localhost", O "HashiCorp", SAN DNS "localhost",
 * KeyUsage digitalSignature|keyEncipherment|keyAgreement|keyCertSign,
 * EKU serverAuth+clientAuth, CA:TRUE, 128-bit random serial, validity
 * now-30 s .. now+262980 h, all times UTC. A fresh key per process. */
#ifndef SRV_TLS_H
#define SRV_TLS_H

#include <stddef.h>
#include <stdint.h>

typedef enum srv_curve {
	SRV_CURVE_P256 = 0, /* default: fast to generate, Terraform accepts it */
	SRV_CURVE_P521,     /* go-plugin's own choice */
} srv_curve;

/* A generated certificate. All members are malloc'd and owned by the
 * struct; release them with srv__cert_done. */
typedef struct srv_cert {
	char *cert_pem; /* NUL-terminated PEM certificate, for gRPC */
	char *key_pem;  /* NUL-terminated PEM PKCS#8 private key, for gRPC */
	uint8_t *der;   /* DER certificate, for the handshake line */
	size_t der_len;
} srv_cert;

/* Generate a fresh key pair and self-signed certificate into *out.
 * Returns 0, or -1 on failure (an OpenSSL error is logged at debug level,
 * *out is left zeroed). Thread-safe. */
int srv__cert_generate(srv_cert *out, srv_curve curve);

/* Free the members of c (key material is cleansed) and zero it. NULL and
 * zeroed structs are accepted. */
void srv__cert_done(srv_cert *c);

#endif
