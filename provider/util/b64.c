/* Base64 over OpenSSL (see b64.h). */
#include "provider/util/b64.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "provider/util/secret.h"

char *util_b64_encode(const void *in, size_t len, bool unpadded)
{
	size_t cap;
	char *out;
	int n;

	if (len > (size_t)INT_MAX / 4 * 3)
		return NULL;
	cap = (len + 2) / 3 * 4 + 1;
	out = malloc(cap);
	if (!out)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	while (unpadded && n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return out;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *util_b64_decode(const char *in, size_t len, size_t *out_len)
{
	char *text, *out = NULL;
	size_t n = 0, pad = 0, i;
	int got;

	if (len > (size_t)INT_MAX - 4)
		return NULL;
	text = malloc(len + 4);
	if (!text)
		return NULL;
	for (i = 0; i < len; i++) {
		if (is_space(in[i]))
			continue;
		if (in[i] == '=')
			pad++;
		else if (pad)
			goto done; /* data after padding */
		text[n++] = in[i];
	}
	if (pad > 2 || (pad && n % 4))
		goto done;
	/* OpenSSL wants whole quads: pad what the text left unpadded. */
	while (n % 4) {
		if (n % 4 == 1)
			goto done;
		text[n++] = '=';
		pad++;
	}
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		goto done;
	got = n ? EVP_DecodeBlock((unsigned char *)out, (unsigned char *)text,
				  (int)n) :
		  0;
	if (got < 0 || (size_t)got < pad) {
		util_secret_free_n(out, n / 4 * 3 + 1);
		out = NULL;
		goto done;
	}
	/* EVP_DecodeBlock counts the zero bytes that padding stands for. */
	*out_len = (size_t)got - pad;
	out[*out_len] = '\0';
done:
	/* The text may be a secret (kubeconfig keys, Secret data). */
	util_secret_free_n(text, len + 4);
	return out;
}
