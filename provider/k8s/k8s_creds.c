/* What a Kubernetes request authenticates with (see k8s_internal.h): a
 * static token, a token file (re-read after TOKEN_FILE_TTL_S or a 401), or
 * an exec plugin's credential (cached until it expires, re-run once on a
 * 401). The kubeconfig's client certificate is the HTTP client's; an exec
 * plugin's certificate goes with each request. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/file.h"
#include "../util/secret.h"
#include "k8s_internal.h"

#define TOKEN_FILE_TTL_S 60
#define EXEC_EXPIRY_MARGIN_S 10

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int k8s__creds_init(k8s_client *c, const kubeconfig *kc, tfp_error *err)
{
	k8s_creds *cr = &c->creds;

	if (pthread_mutex_init(&cr->lock, NULL) != 0)
		return tfp_err_set(err, TFP_E_NOMEM, 0,
				   "cannot create a mutex");
	if (pthread_mutex_init(&cr->exec_lock, NULL) != 0) {
		pthread_mutex_destroy(&cr->lock);
		return tfp_err_set(err, TFP_E_NOMEM, 0,
				   "cannot create a mutex");
	}
	cr->ready = true;
	cr->user_name = c->user_name;
	cr->source = c->source;
	cr->token = xdup(kc->token);
	cr->token_file = xdup(kc->token_file);
	cr->exec = kc->exec ? kc_exec_dup(kc->exec) : NULL;
	if ((kc->token && !cr->token) || (kc->token_file && !cr->token_file) ||
	    (kc->exec && !cr->exec))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	cr->exec_ctx = (k8s_exec_ctx){
		.exec = cr->exec,
		.server = c->server,
		.tls_server_name = c->tls_server_name,
		.ca_pem = c->ca_pem,
		.ca_len = c->ca_len,
		.insecure = c->insecure,
		.user_name = c->user_name,
		.source = c->source,
		.stop = c->stop,
	};
	return TFP_OK;
}

void k8s__creds_done(k8s_creds *cr)
{
	if (!cr->ready)
		return;
	util_secret_free(cr->token);
	free(cr->token_file);
	kc_exec_free(cr->exec);
	k8s_exec_cred_done(&cr->exec_cred);
	util_secret_free(cr->file_token);
	pthread_mutex_destroy(&cr->lock);
	pthread_mutex_destroy(&cr->exec_lock);
}

void k8s__auth_done(k8s_auth *a)
{
	util_secret_free(a->header);
	util_secret_free(a->cert_pem);
	util_secret_free(a->key_pem);
	memset(a, 0, sizeof(*a));
}

/* A token may only hold visible ASCII (it goes into an HTTP header). */
static bool token_ok(const char *tok)
{
	const unsigned char *p;

	if (!*tok)
		return false;
	for (p = (const unsigned char *)tok; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static int bad_token(const k8s_creds *cr, const char *where, tfp_error *err)
{
	return tfp_err_set(
		err, TFP_E_CREDENTIALS, 0,
		"the bearer token from %s of user \"%s\" (%s) is empty "
		"or contains spaces or control characters",
		where, cr->user_name, cr->source);
}

/* a->header for tok; TFP_E_CREDENTIALS when it could inject a header. */
static int bearer(const k8s_creds *cr, const char *tok, const char *where,
		  k8s_auth *a, tfp_error *err)
{
	if (!token_ok(tok))
		return bad_token(cr, where, err);
	if (asprintf(&a->header, "Authorization: Bearer %s", tok) < 0) {
		a->header = NULL;
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	return TFP_OK;
}

static bool exec_cred_fresh(const k8s_creds *cr)
{
	return cr->have_exec_cred &&
	       (cr->exec_cred.expires == 0 ||
		time(NULL) + EXEC_EXPIRY_MARGIN_S < cr->exec_cred.expires);
}

/* Run the plugin when the cache is empty, expired, or (refresh) still the
 * generation that just got a 401. exec_lock held; takes lock itself. */
static int exec_refill(k8s_creds *cr, bool refresh, unsigned stale_gen,
		       tfp_error *err)
{
	k8s_exec_cred fresh;
	bool run;
	int rc;

	pthread_mutex_lock(&cr->lock);
	run = !exec_cred_fresh(cr) ||
	      (refresh && cr->exec_generation == stale_gen);
	pthread_mutex_unlock(&cr->lock);
	if (!run)
		return TFP_OK;
	rc = k8s_exec_run(&cr->exec_ctx, &fresh, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&cr->lock);
	k8s_exec_cred_done(&cr->exec_cred);
	cr->exec_cred = fresh;
	cr->have_exec_cred = true;
	cr->exec_generation++;
	pthread_mutex_unlock(&cr->lock);
	return TFP_OK;
}

/* From the exec cache, running the plugin when needed. */
static int exec_auth(k8s_creds *cr, bool refresh, unsigned stale_gen,
		     k8s_auth *a, tfp_error *err)
{
	const k8s_exec_cred *ec = &cr->exec_cred;
	int rc;

	pthread_mutex_lock(&cr->exec_lock);
	rc = exec_refill(cr, refresh, stale_gen, err);
	pthread_mutex_lock(&cr->lock);
	a->generation = cr->exec_generation;
	a->refreshable = true;
	if (!rc && ec->token)
		rc = bearer(cr, ec->token, "the exec plugin", a, err);
	if (!rc && ec->cert_pem) {
		a->cert_pem = xdup(ec->cert_pem);
		a->key_pem = xdup(ec->key_pem);
		if (!a->cert_pem || !a->key_pem)
			rc = tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	pthread_mutex_unlock(&cr->lock);
	pthread_mutex_unlock(&cr->exec_lock);
	return rc;
}

/* From the token file, read again after TOKEN_FILE_TTL_S or a 401. */
static int file_auth(k8s_creds *cr, bool refresh, k8s_auth *a, tfp_error *err)
{
	char *buf;
	size_t len;
	int rc = TFP_OK;

	pthread_mutex_lock(&cr->lock);
	if (!cr->file_token || refresh ||
	    time(NULL) - cr->file_token_read >= TOKEN_FILE_TTL_S) {
		if (util_read_file(cr->token_file, KC_MAX_FILE, &buf, &len) !=
		    0) {
			rc = tfp_err_set(
				err, TFP_E_CREDENTIALS, 0,
				"cannot read tokenFile \"%s\" of user \"%s\" "
				"(%s): %s",
				cr->token_file, cr->user_name, cr->source,
				strerror(errno));
			goto out;
		}
		while (len && isspace((unsigned char)buf[len - 1]))
			buf[--len] = '\0';
		if (!token_ok(buf)) {
			util_secret_free_n(buf, len);
			rc = bad_token(cr, "tokenFile", err);
			goto out;
		}
		util_secret_free(cr->file_token);
		cr->file_token = buf;
		cr->file_token_read = time(NULL);
	}
	a->refreshable = true;
	rc = bearer(cr, cr->file_token, "tokenFile", a, err);
out:
	pthread_mutex_unlock(&cr->lock);
	return rc;
}

int k8s__auth(k8s_client *c, bool refresh, unsigned stale_gen, k8s_auth *a,
	      tfp_error *err)
{
	k8s_creds *cr = &c->creds;
	int rc = TFP_OK;

	memset(a, 0, sizeof(*a));
	if (cr->exec)
		rc = exec_auth(cr, refresh, stale_gen, a, err);
	else if (cr->token_file)
		rc = file_auth(cr, refresh, a, err);
	else if (cr->token)
		rc = bearer(cr, cr->token, "the kubeconfig", a, err);
	if (rc)
		k8s__auth_done(a);
	return rc;
}
