/* Unit tests for provider/server and provider/log.
 *
 * Pure helpers (protocol version set, unpadded base64), the AutoMTLS
 * certificate (parsed back with OpenSSL), the hclog line format (stderr
 * captured through a pipe, parsed with jansson), and the running server:
 * this binary re-executes itself as `test_server --serve-child MODE` to
 * run srv_run() with a stub handler in a clean process, reads its
 * handshake line and talks to it with a gRPC core client over mTLS,
 * plaintext or the debug-mode reattach address. */
#include <errno.h>
#include <stdatomic.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "provider/log.h"
#include "provider/server/server.h"
#include "provider/server/tls.h"

/* How long a server may take to exit after Shutdown or a signal before the
 * test calls it hung. The server itself exits within its shutdown grace;
 * this bound only has to survive a loaded CI machine under ASan. */
#define EXIT_WAIT_MS 10000

#define COOKIE                                                                 \
	"d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

/* ------------------------------------------------------------------ */
/* Protocol versions */

static void test_server_versions(void **state)
{
	(void)state;
	assert_true(srv_protocol_versions_ok("5,6"));
	assert_true(srv_protocol_versions_ok("6,5"));
	assert_true(srv_protocol_versions_ok("6"));
	assert_true(srv_protocol_versions_ok(" 6 "));
	assert_true(srv_protocol_versions_ok("5, 6"));
	assert_true(srv_protocol_versions_ok("4,5,6,7"));
	assert_false(srv_protocol_versions_ok("5"));
	assert_false(srv_protocol_versions_ok(""));
	assert_false(srv_protocol_versions_ok(NULL));
	assert_false(srv_protocol_versions_ok("56"));
	assert_false(srv_protocol_versions_ok("16"));
	assert_false(srv_protocol_versions_ok("6x"));
	assert_false(srv_protocol_versions_ok("-6"));
	assert_false(srv_protocol_versions_ok(",,"));
	assert_false(srv_protocol_versions_ok("5,"));
}

/* ------------------------------------------------------------------ */
/* Certificate */

/* Seconds from now to t (negative in the past). */
static long seconds_from_now(const ASN1_TIME *t)
{
	int days = 0, secs = 0;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
	return (long)days * 86400L + secs;
}

static int has_dns_localhost(X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
						NULL);
	int i, found = 0;

	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS &&
		    ASN1_STRING_length(gn->d.dNSName) == 9 &&
		    memcmp(ASN1_STRING_get0_data(gn->d.dNSName), "localhost",
			   9) == 0)
			found = 1;
	}
	GENERAL_NAMES_free(names);
	return found;
}

static void subject_field(X509 *x, int nid, char *out, size_t n)
{
	int len = X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, out,
					    (int)n);

	assert_true(len > 0);
}

static void check_cert(srv_curve curve, int want_nid)
{
	srv_cert c;
	const unsigned char *p;
	X509 *x, *from_pem;
	BIO *bio;
	EVP_PKEY *pub, *priv;
	const ASN1_INTEGER *serial;
	BIGNUM *bn;
	char buf[64];
	long nb, na;
	uint32_t ku;

	assert_int_equal(srv__cert_generate(&c, curve), 0);
	assert_non_null(c.der);
	assert_non_null(c.cert_pem);
	assert_non_null(c.key_pem);

	p = c.der;
	x = d2i_X509(NULL, &p, (long)c.der_len);
	assert_non_null(x);
	assert_ptr_equal(p, c.der + c.der_len);

	/* The PEM is the same certificate. */
	bio = BIO_new_mem_buf(c.cert_pem, -1);
	from_pem = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(from_pem);
	assert_int_equal(X509_cmp(x, from_pem), 0);
	X509_free(from_pem);

	/* Key matches, curve as asked, self-signed. */
	bio = BIO_new_mem_buf(c.key_pem, -1);
	priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(priv);
	assert_int_equal(X509_check_private_key(x, priv), 1);
	EVP_PKEY_free(priv);
	pub = X509_get0_pubkey(x);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
	assert_true(EVP_PKEY_get_utf8_string_param(pub, "group", buf,
						   sizeof(buf), NULL));
	assert_int_equal(OBJ_sn2nid(buf) ? OBJ_sn2nid(buf) : OBJ_txt2nid(buf),
			 want_nid);
	assert_int_equal(X509_verify(x, pub), 1);

	/* Names. */
	subject_field(x, NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "localhost");
	subject_field(x, NID_organizationName, buf, sizeof(buf));
	assert_string_equal(buf, "HashiCorp");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
				       X509_get_issuer_name(x)),
			 0);
	assert_true(has_dns_localhost(x));

	/* Usages and CA. */
	assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_int_equal(X509_check_ca(x), 1);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	ku = X509_get_key_usage(x);
	assert_true(ku & KU_DIGITAL_SIGNATURE);
	assert_true(ku & KU_KEY_ENCIPHERMENT);
	assert_true(ku & KU_KEY_AGREEMENT);
	assert_true(ku & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);

	/* Serial: positive, at most 128 bits, not tiny. */
	serial = X509_get0_serialNumber(x);
	bn = ASN1_INTEGER_to_BN(serial, NULL);
	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_true(BN_num_bits(bn) <= 128);
	assert_true(BN_num_bits(bn) > 64);
	BN_free(bn);

	/* Validity in UTC: now-30 s .. now-30 s + 262980 h. A local-time
	 * bug would be off by the zone offset; allow a few seconds. */
	nb = seconds_from_now(X509_get0_notBefore(x));
	na = seconds_from_now(X509_get0_notAfter(x));
	assert_true(nb <= -28 && nb >= -35);
	assert_true(na >= 262980L * 3600 - 35 && na <= 262980L * 3600 - 28);
	assert_int_equal(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
	assert_int_equal(X509_cmp_current_time(X509_get0_notAfter(x)), 1);

	X509_free(x);
	srv__cert_done(&c);
	assert_null(c.der);
	assert_null(c.key_pem);
}

static void test_server_cert_p256(void **state)
{
	(void)state;
	check_cert(SRV_CURVE_P256, NID_X9_62_prime256v1);
}

static void test_server_cert_p521(void **state)
{
	(void)state;
	check_cert(SRV_CURVE_P521, NID_secp521r1);
}

/* Each start gets a fresh key and serial. */
static void test_server_cert_fresh(void **state)
{
	srv_cert a, b;

	(void)state;
	assert_int_equal(srv__cert_generate(&a, SRV_CURVE_P256), 0);
	assert_int_equal(srv__cert_generate(&b, SRV_CURVE_P256), 0);
	assert_string_not_equal(a.cert_pem, b.cert_pem);
	assert_string_not_equal(a.key_pem, b.key_pem);
	srv__cert_done(&a);
	srv__cert_done(&b);
	srv__cert_done(NULL);
}

/* ------------------------------------------------------------------ */
/* Log lines */

/* Run fn with stderr redirected to a pipe; return what it wrote
 * (malloc'd, NUL-terminated). */
static char *capture_stderr(void (*fn)(void))
{
	int fds[2], saved;
	char *out = NULL;
	size_t len = 0;
	char buf[4096];
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
	close(fds[1]);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		out = realloc(out, len + (size_t)n + 1);
		assert_non_null(out);
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(fds[0]);
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	return out;
}

/* Parse one line (must be the only one in s) and check the three hclog
 * keys; returns the object (caller decrefs). */
static json_t *parse_line(const char *s, const char *level)
{
	json_error_t err;
	json_t *o;
	const char *ts;
	struct tm tm;
	char *rest;
	time_t t;

	assert_non_null(strchr(s, '\n'));
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	o = json_loads(s, 0, &err);
	if (!o)
		fail_msg("not JSON: %s (%s)", s, err.text);
	assert_true(json_is_object(o));
	assert_string_equal(json_string_value(json_object_get(o, "@level")),
			    level);
	assert_non_null(json_string_value(json_object_get(o, "@message")));
	ts = json_string_value(json_object_get(o, "@timestamp"));
	assert_non_null(ts);
	/* 2006-01-02T15:04:05.000000Z */
	assert_int_equal(strlen(ts), 27);
	memset(&tm, 0, sizeof(tm));
	rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(rest);
	assert_int_equal(rest[0], '.');
	assert_int_equal(strspn(rest + 1, "0123456789"), 6);
	assert_string_equal(rest + 7, "Z");
	t = timegm(&tm);
	assert_true(labs((long)(t - time(NULL))) <= 5);
	return o;
}

static void log_basic(void)
{
	tfp_log_set_level(TFP_LOG_DEBUG);
	tfp_info("hello \"%s\"\n\tback\\slash \x01 end", "w\xc3\xb6rld");
}

static void log_filtered(void)
{
	tfp_log_set_level(TFP_LOG_WARN);
	tfp_debug("dropped");
	tfp_info("dropped too");
	tfp_warn("kept");
	tfp_log_set_level(TFP_LOG_DEBUG);
}

static void log_each_level(void)
{
	tfp_trace("t");
	tfp_debug("d");
	tfp_info("i");
	tfp_warn("w");
}

static void log_kv(void)
{
	tfp_logkv(TFP_LOG_ERROR, "with pairs", "type", "lxd_network", "path",
		  "a\"b", "nothing", NULL, NULL);
}

static void log_bad_utf8(void)
{
	tfp_log(TFP_LOG_TRACE, "bad \xff\xfe bytes \xe2\x82 cut");
}

static void log_long(void)
{
	char *big = malloc(100000);

	memset(big, 'x', 99999);
	big[99999] = '\0';
	tfp_debug("%s", big);
	free(big);
}

static void test_log_format(void **state)
{
	char *s;
	json_t *o;

	(void)state;
	s = capture_stderr(log_basic);
	o = parse_line(s, "info");
	assert_string_equal(json_string_value(json_object_get(o, "@message")),
			    "hello \"w\xc3\xb6rld\"\n\tback\\slash \x01 end");
	json_decref(o);
	free(s);
}

static void test_log_levels(void **state)
{
	char *s;
	json_t *o;

	(void)state;
	s = capture_stderr(log_filtered);
	o = parse_line(s, "warn");
	assert_string_equal(json_string_value(json_object_get(o, "@message")),
			    "kept");
	json_decref(o);
	free(s);

	tfp_log_set_level(TFP_LOG_TRACE);
	s = capture_stderr(log_bad_utf8);
	o = parse_line(s, "trace");
	assert_string_equal(json_string_value(json_object_get(o, "@message")),
			    "bad \xef\xbf\xbd\xef\xbf\xbd bytes "
			    "\xef\xbf\xbd\xef\xbf\xbd cut");
	json_decref(o);
	free(s);
	tfp_log_set_level(TFP_LOG_DEBUG);

	setenv("TFP_LOG_LEVEL", "ERROR", 1);
	tfp_log_init();
	s = capture_stderr(log_each_level);
	assert_string_equal(s, "");
	free(s);
	unsetenv("TFP_LOG_LEVEL");
	tfp_log_set_level(TFP_LOG_DEBUG);
}

static void test_log_kv_and_long(void **state)
{
	char *s;
	json_t *o;
	const char *msg;

	(void)state;
	s = capture_stderr(log_kv);
	o = parse_line(s, "error");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
			    "lxd_network");
	assert_string_equal(json_string_value(json_object_get(o, "path")),
			    "a\"b");
	assert_true(json_is_null(json_object_get(o, "nothing")));
	json_decref(o);
	free(s);

	s = capture_stderr(log_long);
	o = parse_line(s, "debug");
	msg = json_string_value(json_object_get(o, "@message"));
	assert_true(strlen(msg) >= 1024 && strlen(msg) <= 99999);
	json_decref(o);
	free(s);
}

/* ------------------------------------------------------------------ */
/* The server, in a child process */

static const srv_method child_methods[] = {
	{ "/tfplugin6.Provider/GetProviderSchema", SRV_UNARY, NULL },
	{ "/tfplugin6.Provider/ValidateProviderConfig", SRV_UNARY, NULL },
	{ "/tfplugin6.Provider/ReadResource", SRV_UNARY, NULL },
	{ "/tfplugin6.Provider/PlanResourceChange", SRV_UNARY, NULL },
	{ "/tfplugin6.Provider/ImportResourceState", SRV_UNARY, NULL },
	{ "/tfplugin6.Provider/GetFunctions", SRV_UNARY, NULL },
};

/* Stub: GetProviderSchema and PlanResourceChange echo the request,
 * ReadResource sleeps 200 ms then answers "slept", ImportResourceState
 * sleeps 5 s (a handler stuck past shutdown), ValidateProviderConfig
 * fails with INVALID_ARGUMENT, GetFunctions answers the id of the thread
 * that ran it. */
static int child_handler(void *app, const srv_method *m, const uint8_t *req,
			 size_t req_len, uint8_t **resp, size_t *resp_len,
			 const char **status_msg)
{
	const char *method = m->path;

	(void)app;
	if (strcmp(method, "/tfplugin6.Provider/ValidateProviderConfig") == 0) {
		*status_msg = "bad config";
		return SRV_STATUS_INVALID_ARGUMENT;
	}
	if (strcmp(method, "/tfplugin6.Provider/ImportResourceState") == 0) {
		sleep(5);
		return SRV_STATUS_OK;
	}
	if (strcmp(method, "/tfplugin6.Provider/GetFunctions") == 0) {
		char tid[32];
		int n = snprintf(tid, sizeof(tid), "%ld", (long)gettid());

		*resp = (uint8_t *)strdup(tid);
		*resp_len = *resp ? (size_t)n : 0;
		return *resp ? SRV_STATUS_OK : SRV_STATUS_INTERNAL;
	}
	if (strcmp(method, "/tfplugin6.Provider/ReadResource") == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		*resp = (uint8_t *)strdup("slept");
		*resp_len = 5;
		return SRV_STATUS_OK;
	}
	if (req_len) {
		*resp = malloc(req_len);
		if (!*resp)
			return SRV_STATUS_INTERNAL;
		memcpy(*resp, req, req_len);
	}
	*resp_len = req_len;
	return SRV_STATUS_OK;
}

/* ---- the streaming child ("stream" and "stall" modes) ----
 *
 * /test.Stream/Count    request "N SIZE": N messages of SIZE bytes, each
 *                       starting with its 8-digit sequence number, then
 *                       a trailer "stats live=L max=M inflight=F" (the
 *                       server's srv_stream_stats before the trailer),
 *                       then OK;
 * /test.Stream/Endless  1 KiB numbered messages until a send fails (at
 *                       most STREAM_ENDLESS_MAX), then CANCELLED; its
 *                       outcome is kept for State;
 * /test.Stream/Fail     no message, INVALID_ARGUMENT "no such list";
 * /test.Stream/State    unary: "running=R finished=F rc=RC sent=N" for
 *                       the Endless streams;
 * /test.Stream/Stop     unary: raises the stop flag (as StopProvider). */
#define STREAM_ENDLESS_MAX 1000000
#define STREAM_MSG_SIZE 1024

static atomic_int child_stop;
static atomic_int endless_running, endless_finished, endless_rc;
static atomic_uint endless_sent;

static const srv_method stream_methods[] = {
	{ "/test.Stream/Count", SRV_SERVER_STREAM, NULL },
	{ "/test.Stream/Endless", SRV_SERVER_STREAM, NULL },
	{ "/test.Stream/Fail", SRV_SERVER_STREAM, NULL },
	{ "/test.Stream/State", SRV_UNARY, NULL },
	{ "/test.Stream/Stop", SRV_UNARY, NULL },
};

/* A malloc'd message of `size` bytes starting with `seq`. */
static uint8_t *numbered(unsigned seq, size_t size)
{
	uint8_t *m = malloc(size);
	char head[16];

	if (!m)
		abort();
	memset(m, 'x', size);
	snprintf(head, sizeof(head), "%08u", seq);
	memcpy(m, head, 8);
	return m;
}

static int stream_count(const uint8_t *req, size_t req_len, srv_stream *out)
{
	char buf[64];
	unsigned n = 0, size = 0, i;
	srv_stream_stats st;
	char *trailer;

	snprintf(buf, sizeof(buf), "%.*s", (int)req_len, (const char *)req);
	if (sscanf(buf, "%u %u", &n, &size) != 2 || size < 8)
		return SRV_STATUS_INVALID_ARGUMENT;
	for (i = 0; i < n; i++)
		if (srv_stream_send(out, numbered(i, size), size) != 0)
			return SRV_STATUS_CANCELLED;
	srv_stream_stats_get(&st);
	if (asprintf(&trailer, "stats live=%zu max=%zu inflight=%u",
		     st.live_bytes, st.max_live_bytes, st.max_in_flight) < 0)
		abort();
	if (srv_stream_send(out, (uint8_t *)trailer, strlen(trailer)) != 0)
		return SRV_STATUS_CANCELLED;
	return SRV_STATUS_OK;
}

static int stream_endless(srv_stream *out)
{
	unsigned i;
	int rc = 0;

	atomic_fetch_add(&endless_running, 1);
	for (i = 0; i < STREAM_ENDLESS_MAX && rc == 0; i++) {
		rc = srv_stream_send(out, numbered(i, STREAM_MSG_SIZE),
				     STREAM_MSG_SIZE);
		if (rc == 0)
			atomic_fetch_add(&endless_sent, 1);
	}
	atomic_store(&endless_rc, rc);
	atomic_fetch_add(&endless_finished, 1);
	atomic_fetch_sub(&endless_running, 1);
	return rc ? SRV_STATUS_CANCELLED : SRV_STATUS_OK;
}

static int child_stream(void *app, const srv_method *m, const uint8_t *req,
			size_t req_len, srv_stream *out,
			const char **status_msg)
{
	(void)app;
	if (strcmp(m->path, "/test.Stream/Count") == 0)
		return stream_count(req, req_len, out);
	if (strcmp(m->path, "/test.Stream/Endless") == 0)
		return stream_endless(out);
	*status_msg = "no such list";
	return SRV_STATUS_INVALID_ARGUMENT;
}

static int child_stream_unary(void *app, const srv_method *m,
			      const uint8_t *req, size_t req_len,
			      uint8_t **resp, size_t *resp_len,
			      const char **status_msg)
{
	char *out;

	(void)app;
	(void)req;
	(void)req_len;
	(void)status_msg;
	if (strcmp(m->path, "/test.Stream/Stop") == 0) {
		atomic_store(&child_stop, 1);
		return SRV_STATUS_OK;
	}
	/* /test.Stream/State */
	if (asprintf(&out, "running=%d finished=%d rc=%d sent=%u",
		     atomic_load(&endless_running),
		     atomic_load(&endless_finished), atomic_load(&endless_rc),
		     atomic_load(&endless_sent)) < 0)
		abort();
	*resp = (uint8_t *)out;
	*resp_len = strlen(out);
	return SRV_STATUS_OK;
}

static int child_main(const char *mode)
{
	srv_config cfg = {
		.methods = child_methods,
		.n_methods = sizeof(child_methods) / sizeof(child_methods[0]),
		.unary = child_handler,
		.app = NULL,
		.debug = strcmp(mode, "debug") == 0,
		.reattach_address = "registry.terraform.io/test/test",
	};

	if (strcmp(mode, "stream") == 0 || strcmp(mode, "stall") == 0) {
		cfg.methods = stream_methods;
		cfg.n_methods = sizeof(stream_methods) /
				sizeof(stream_methods[0]);
		cfg.unary = child_stream_unary;
		cfg.stream = child_stream;
		cfg.stop = &child_stop;
		if (strcmp(mode, "stall") == 0)
			cfg.stream_stall_ms = 300;
	}
	return srv_run(&cfg);
}

typedef struct child {
	pid_t pid;
	int out; /* read end of the child's stdout */
	char line[4096];
	char path[1024]; /* socket path from the line */
	char cert_b64[4096];
} child;

static char self_exe[4096];

extern char **environ;

/* The environment for a child: ours minus the plugin variables, plus the
 * given ones. Built before fork so the child only calls execve. The
 * strings are static or from setenv-free storage; free the array only. */
static char **child_env(const char *client_pem, int with_cookie)
{
	static const char *const drop[] = {
		"TF_PLUGIN_MAGIC_COOKIE=",
		"PLUGIN_PROTOCOL_VERSIONS=",
		"PLUGIN_CLIENT_CERT=",
		"TFP_LOG_LEVEL=",
	};
	static char cert_var[8192];
	size_t n = 0, i, k;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 5, sizeof(*env));
	assert_non_null(env);
	for (i = 0, k = 0; i < n; i++) {
		size_t d;
		int skip = 0;

		for (d = 0; d < sizeof(drop) / sizeof(drop[0]); d++)
			if (strncmp(environ[i], drop[d], strlen(drop[d])) == 0)
				skip = 1;
		if (!skip)
			env[k++] = environ[i];
	}
	if (with_cookie)
		env[k++] = (char *)"TF_PLUGIN_MAGIC_COOKIE=" COOKIE;
	env[k++] = (char *)"PLUGIN_PROTOCOL_VERSIONS=6,5";
	env[k++] = (char *)"TFP_LOG_LEVEL=warn";
	if (client_pem) {
		snprintf(cert_var, sizeof(cert_var), "PLUGIN_CLIENT_CERT=%s",
			 client_pem);
		env[k++] = cert_var;
	}
	env[k] = NULL;
	return env;
}

/* Start `self --serve-child mode`. client_pem: PLUGIN_CLIENT_CERT or
 * NULL. with_cookie: set TF_PLUGIN_MAGIC_COOKIE. */
static void child_start(child *c, const char *mode, const char *client_pem,
			int with_cookie)
{
	char *argv[] = { self_exe, (char *)"--serve-child", (char *)mode,
			 NULL };
	char **env = child_env(client_pem, with_cookie);
	int fds[2];

	memset(c, 0, sizeof(*c));
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		/* Async-signal-safe calls only: the parent may have gRPC
		 * threads. */
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execve(self_exe, argv, env);
		_exit(127);
	}
	free(env);
	close(fds[1]);
	c->out = fds[0];
}

/* Read the child's first stdout line within 5 s; returns its length
 * (0 at EOF). */
static size_t child_read_line(child *c)
{
	size_t len = 0;
	struct pollfd pfd = { .fd = c->out, .events = POLLIN };

	while (len + 1 < sizeof(c->line)) {
		ssize_t n;

		if (poll(&pfd, 1, 5000) <= 0)
			fail_msg("no handshake line within 5 s");
		n = read(c->out, c->line + len, 1);
		if (n <= 0)
			break;
		if (c->line[len] == '\n')
			break;
		len++;
	}
	c->line[len] = '\0';
	return len;
}

/* Wait up to ms for the child to exit; returns its wait status or -1. */
static int child_wait(child *c, int ms)
{
	int st, i;

	for (i = 0; i < ms; i += 5) {
		pid_t r = waitpid(c->pid, &st, WNOHANG);

		if (r == c->pid) {
			c->pid = 0;
			close(c->out);
			return st;
		}
		usleep(5000);
	}
	return -1;
}

static void child_kill(child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		close(c->out);
		c->pid = 0;
	}
}

/* Split "1|6|unix|<path>|grpc|<cert>" into c->path and c->cert_b64. */
static void parse_handshake(child *c)
{
	char *f[7] = { 0 };
	char *save = NULL, *tok, copy[sizeof(c->line)];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", c->line);
	/* strtok_r collapses empty fields; split by hand. */
	tok = copy;
	while (n < 7) {
		f[n++] = tok;
		save = strchr(tok, '|');
		if (!save)
			break;
		*save = '\0';
		tok = save + 1;
	}
	assert_int_equal(n, 6);
	assert_string_equal(f[0], "1");
	assert_string_equal(f[1], "6");
	assert_string_equal(f[2], "unix");
	assert_string_equal(f[4], "grpc");
	assert_true(f[3][0] == '/');
	snprintf(c->path, sizeof(c->path), "%s", f[3]);
	snprintf(c->cert_b64, sizeof(c->cert_b64), "%s", f[5]);
}

/* PEM of the server certificate from the line's unpadded base64. */
static char *server_pem_from_b64(const char *b64)
{
	size_t len = strlen(b64), padded = (len + 3) / 4 * 4, i;
	char *in = malloc(padded + 1);
	unsigned char *der = malloc(padded);
	const unsigned char *p;
	int n;
	X509 *x;
	BIO *bio;
	char *data, *out;
	long dl;

	assert_non_null(in);
	assert_non_null(der);
	assert_true(len % 4 != 1);
	memcpy(in, b64, len);
	for (i = len; i < padded; i++)
		in[i] = '=';
	in[padded] = '\0';
	n = EVP_DecodeBlock(der, (unsigned char *)in, (int)padded);
	assert_true(n > 0);
	n -= (int)(padded - len); /* DecodeBlock counts padding as zeros */
	p = der;
	x = d2i_X509(NULL, &p, n);
	assert_non_null(x);
	assert_ptr_equal(p, der + n);
	assert_true(has_dns_localhost(x));
	bio = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio_X509(bio, x));
	dl = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)dl);
	BIO_free(bio);
	X509_free(x);
	free(der);
	free(in);
	return out;
}

/* A gRPC client: channel + queue. */
typedef struct client {
	grpc_channel *ch;
	grpc_completion_queue *cq;
} client;

/* small_window: a 16 KiB HTTP/2 stream window without BDP probing, so a
 * client that does not read makes the server's sends wait. */
static void client_open_ex(client *cl, const char *path, const char *server_pem,
			   const srv_cert *mine, int small_window)
{
	char target[1100];
	grpc_channel_credentials *creds;
	grpc_arg args[4];
	grpc_channel_args ca;

	grpc_init();
	snprintf(target, sizeof(target), "unix:%s", path);
	memset(args, 0, sizeof(args));
	args[0].type = GRPC_ARG_STRING;
	args[0].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
	args[0].value.string = (char *)"localhost";
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[1].value.integer = 64 * 1024 * 1024;
	ca.num_args = 2;
	ca.args = args;
	if (small_window) {
		args[2].type = GRPC_ARG_INTEGER;
		args[2].key = (char *)GRPC_ARG_HTTP2_BDP_PROBE;
		args[2].value.integer = 0;
		args[3].type = GRPC_ARG_INTEGER;
		args[3].key = (char *)GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES;
		args[3].value.integer = 16 * 1024;
		ca.num_args = 4;
	}
	if (server_pem) {
		grpc_ssl_pem_key_cert_pair pair = {
			.private_key = mine->key_pem,
			.cert_chain = mine->cert_pem,
		};

		creds = grpc_ssl_credentials_create(server_pem, &pair, NULL,
						    NULL);
	} else {
		creds = grpc_insecure_credentials_create();
	}
	assert_non_null(creds);
	cl->ch = grpc_channel_create(target, creds, &ca);
	grpc_channel_credentials_release(creds);
	assert_non_null(cl->ch);
	cl->cq = grpc_completion_queue_create_for_next(NULL);
}

static void client_open(client *cl, const char *path, const char *server_pem,
			const srv_cert *mine)
{
	client_open_ex(cl, path, server_pem, mine, 0);
}

static void client_close(client *cl)
{
	grpc_event ev;

	grpc_channel_destroy(cl->ch);
	grpc_completion_queue_shutdown(cl->cq);
	do {
		ev = grpc_completion_queue_next(
			cl->cq,
			gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
				     gpr_time_from_seconds(5, GPR_TIMESPAN)),
			NULL);
		assert_int_not_equal(ev.type, GRPC_QUEUE_TIMEOUT);
	} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	grpc_completion_queue_destroy(cl->cq);
	grpc_shutdown();
}

typedef struct ccall {
	grpc_call *call;
	grpc_metadata_array initial_md, trailing_md;
	grpc_byte_buffer *send, *recv;
	grpc_status_code status;
	grpc_slice details;
	char *body; /* received message, NUL-terminated */
	size_t body_len;
} ccall;

static void ccall_start(client *cl, ccall *c, const char *method,
			const void *req, size_t len)
{
	grpc_op ops[6];
	grpc_slice m = grpc_slice_from_static_string(method), body;
	gpr_timespec dl = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
				       gpr_time_from_seconds(10, GPR_TIMESPAN));

	memset(c, 0, sizeof(*c));
	grpc_metadata_array_init(&c->initial_md);
	grpc_metadata_array_init(&c->trailing_md);
	c->details = grpc_empty_slice();
	c->call = grpc_channel_create_call(cl->ch, NULL,
					   GRPC_PROPAGATE_DEFAULTS, cl->cq, m,
					   NULL, dl, NULL);
	assert_non_null(c->call);
	body = grpc_slice_from_copied_buffer(req, len);
	c->send = grpc_raw_byte_buffer_create(&body, 1);
	grpc_slice_unref(body);

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = c->send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata =
		&c->initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &c->recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &c->trailing_md;
	ops[5].data.recv_status_on_client.status = &c->status;
	ops[5].data.recv_status_on_client.status_details = &c->details;
	assert_int_equal(grpc_call_start_batch(c->call, ops, 6, c, NULL),
			 GRPC_CALL_OK);
}

/* Wait for `n` started calls to complete (any order), at most 10 s. */
static void ccall_wait(client *cl, int n)
{
	while (n-- > 0) {
		grpc_event ev = grpc_completion_queue_next(
			cl->cq,
			gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
				     gpr_time_from_seconds(10, GPR_TIMESPAN)),
			NULL);

		assert_int_equal(ev.type, GRPC_OP_COMPLETE);
		assert_true(ev.success);
	}
}

/* Drive the client's I/O for `ms` without expecting a completion (gRPC
 * core makes progress only while someone polls the queue). */
static void client_pump(client *cl, int ms)
{
	grpc_event ev = grpc_completion_queue_next(
		cl->cq,
		gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
			     gpr_time_from_millis(ms, GPR_TIMESPAN)),
		NULL);

	assert_int_equal(ev.type, GRPC_QUEUE_TIMEOUT);
}

/* Collect the reply into c->body and release the gRPC objects. */
static void ccall_done(ccall *c)
{
	if (c->recv) {
		grpc_byte_buffer_reader r;
		grpc_slice s;

		assert_true(grpc_byte_buffer_reader_init(&r, c->recv));
		s = grpc_byte_buffer_reader_readall(&r);
		grpc_byte_buffer_reader_destroy(&r);
		c->body_len = GRPC_SLICE_LENGTH(s);
		c->body = malloc(c->body_len + 1);
		assert_non_null(c->body);
		memcpy(c->body, GRPC_SLICE_START_PTR(s), c->body_len);
		c->body[c->body_len] = '\0';
		grpc_slice_unref(s);
		grpc_byte_buffer_destroy(c->recv);
		c->recv = NULL;
	}
	grpc_byte_buffer_destroy(c->send);
	c->send = NULL;
	grpc_metadata_array_destroy(&c->initial_md);
	grpc_metadata_array_destroy(&c->trailing_md);
	grpc_call_unref(c->call);
	c->call = NULL;
}

static void ccall_free(ccall *c)
{
	grpc_slice_unref(c->details);
	free(c->body);
}

/* One call: returns the status; *body (malloc'd or NULL) and the status
 * details (malloc'd) are optional outputs. */
static grpc_status_code call1(client *cl, const char *method, const void *req,
			      size_t len, char **body, size_t *body_len,
			      char **details)
{
	ccall c;
	grpc_status_code st;

	ccall_start(cl, &c, method, req, len);
	ccall_wait(cl, 1);
	ccall_done(&c);
	st = c.status;
	if (details)
		*details = grpc_slice_to_c_string(c.details);
	if (body) {
		*body = c.body;
		c.body = NULL;
	}
	if (body_len)
		*body_len = c.body_len;
	ccall_free(&c);
	return st;
}

static int path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* The checks every server mode shares: unknown methods, echo, handler
 * errors, concurrency, a large message, then Shutdown and a clean exit
 * that removes the socket directory. */
/* Sequential calls, as Terraform sends them during a walk, are run by a
 * worker kept from the previous call rather than by a new thread each:
 * six calls 50 ms apart see at most two thread ids (one extra allowed for
 * a worker that had not yet started waiting when the next call came). */
static void check_workers_kept(client *cl)
{
	char *body = NULL;
	size_t body_len = 0;
	long tids[6];
	int distinct = 0;

	for (int i = 0; i < 6; i++) {
		struct timespec gap = { 0, 50 * 1000 * 1000 };

		nanosleep(&gap, NULL);
		assert_int_equal(call1(cl, "/tfplugin6.Provider/GetFunctions",
				       "", 0, &body, &body_len, NULL),
				 GRPC_STATUS_OK);
		assert_non_null(body);
		tids[i] = strtol(body, NULL, 10);
		assert_true(tids[i] > 0);
		free(body);
		body = NULL;
		distinct++;
		for (int j = 0; j < i; j++)
			if (tids[j] == tids[i]) {
				distinct--;
				break;
			}
	}
	assert_true(distinct <= 2);
}

static void exercise_server(child *c, client *cl, int expect_shutdown_exit)
{
	static const char *const unknown[] = {
		"/tfplugin6.Provider/ListResource",
		"/plugin.GRPCStdio/StreamStdio",
		"/plugin.GRPCBroker/StartStream",
		"/grpc.health.v1.Health/Check",
		"/tfplugin6.Provider/StopProvider",
	};
	char *body = NULL, *details = NULL, *big;
	size_t body_len = 0, i;
	ccall many[100];
	struct timespec t0, t1;
	double secs;
	char dir[1024];
	int st;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(call1(cl, unknown[i], "", 0, NULL, NULL, NULL),
				 GRPC_STATUS_UNIMPLEMENTED);

	/* Before the burst below leaves up to 64 workers waiting, any of
	 * which may take the next call. */
	check_workers_kept(cl);

	assert_int_equal(call1(cl, "/tfplugin6.Provider/GetProviderSchema",
			       "hello", 5, &body, &body_len, NULL),
			 GRPC_STATUS_OK);
	assert_int_equal(body_len, 5);
	assert_string_equal(body, "hello");
	free(body);

	/* Empty request, empty reply (e.g. GetProviderSchema.Request). */
	assert_int_equal(call1(cl, "/tfplugin6.Provider/GetProviderSchema", "",
			       0, &body, &body_len, NULL),
			 GRPC_STATUS_OK);
	assert_int_equal(body_len, 0);
	free(body);

	assert_int_equal(call1(cl, "/tfplugin6.Provider/ValidateProviderConfig",
			       "x", 1, &body, NULL, &details),
			 GRPC_STATUS_INVALID_ARGUMENT);
	assert_string_equal(details, "bad config");
	assert_null(body);
	gpr_free(details);

	/* 100 handlers sleeping 200 ms each: 64 run at once, the rest
	 * queue, so about two rounds. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		ccall_start(cl, &many[i], "/tfplugin6.Provider/ReadResource",
			    "r", 1);
	ccall_wait(cl, 100);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < 100; i++) {
		ccall_done(&many[i]);
		assert_int_equal(many[i].status, GRPC_STATUS_OK);
		assert_string_equal(many[i].body, "slept");
		ccall_free(&many[i]);
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.39);
	assert_true(secs < 2.0);

	/* Above gRPC's 4 MiB default in both directions. */
	big = malloc(8 << 20);
	assert_non_null(big);
	for (i = 0; i < (8u << 20); i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(call1(cl, "/tfplugin6.Provider/PlanResourceChange",
			       big, 8 << 20, &body, &body_len, NULL),
			 GRPC_STATUS_OK);
	assert_int_equal(body_len, 8 << 20);
	assert_memory_equal(body, big, 8 << 20);
	free(body);
	free(big);

	if (!expect_shutdown_exit)
		return;
	snprintf(dir, sizeof(dir), "%s", c->path);
	*strrchr(dir, '/') = '\0';
	assert_true(path_exists(c->path));
	assert_int_equal(call1(cl, "/plugin.GRPCController/Shutdown", "", 0,
			       &body, &body_len, NULL),
			 GRPC_STATUS_OK);
	assert_int_equal(body_len, 0);
	free(body);
	st = child_wait(c, EXIT_WAIT_MS);
	if (st == -1) {
		child_kill(c);
		fail_msg("server still running %d s after Shutdown",
			 EXIT_WAIT_MS / 1000);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(path_exists(c->path));
	assert_false(path_exists(dir));
}

static void test_server_mtls(void **state)
{
	srv_cert mine;
	child c;
	client cl;
	char *server_pem;

	(void)state;
	/* Terraform's client cert has the same recipe as ours. */
	assert_int_equal(srv__cert_generate(&mine, SRV_CURVE_P521), 0);
	child_start(&c, "tls", mine.cert_pem, 1);
	assert_true(child_read_line(&c) > 0);
	parse_handshake(&c);
	assert_true(strlen(c.cert_b64) > 50);
	server_pem = server_pem_from_b64(c.cert_b64);

	client_open(&cl, c.path, server_pem, &mine);
	exercise_server(&c, &cl, 1);
	client_close(&cl);
	child_kill(&c);
	free(server_pem);
	srv__cert_done(&mine);
}

static void test_server_plaintext(void **state)
{
	child c;
	client cl;

	(void)state;
	child_start(&c, "tls", NULL, 1);
	assert_true(child_read_line(&c) > 0);
	parse_handshake(&c);
	assert_string_equal(c.cert_b64, "");
	client_open(&cl, c.path, NULL, NULL);
	exercise_server(&c, &cl, 1);
	client_close(&cl);
	child_kill(&c);
}

/* A client whose certificate is not PLUGIN_CLIENT_CERT is refused; the
 * server keeps running and SIGTERM ends it cleanly. */
static void test_server_wrong_client_cert(void **state)
{
	srv_cert trusted, other;
	child c;
	client cl;
	char *server_pem;
	int st;

	(void)state;
	assert_int_equal(srv__cert_generate(&trusted, SRV_CURVE_P256), 0);
	assert_int_equal(srv__cert_generate(&other, SRV_CURVE_P256), 0);
	child_start(&c, "tls", trusted.cert_pem, 1);
	assert_true(child_read_line(&c) > 0);
	parse_handshake(&c);
	server_pem = server_pem_from_b64(c.cert_b64);

	client_open(&cl, c.path, server_pem, &other);
	assert_int_equal(call1(&cl, "/tfplugin6.Provider/GetProviderSchema", "",
			       0, NULL, NULL, NULL),
			 GRPC_STATUS_UNAVAILABLE);
	client_close(&cl);

	kill(c.pid, SIGINT); /* ignored */
	usleep(300 * 1000);
	assert_int_equal(waitpid(c.pid, &st, WNOHANG), 0);
	kill(c.pid, SIGTERM);
	st = child_wait(&c, EXIT_WAIT_MS);
	if (st == -1) {
		child_kill(&c);
		fail_msg("server still running %d s after SIGTERM",
			 EXIT_WAIT_MS / 1000);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(path_exists(c.path));
	free(server_pem);
	srv__cert_done(&trusted);
	srv__cert_done(&other);
}

/* Shutdown while handlers run: the server still exits promptly and
 * cleanly (ASan children fail on leaks). */
static void test_server_shutdown_busy(void **state)
{
	child c;
	client cl;
	ccall busy[10], sd;
	int st, i;

	(void)state;
	child_start(&c, "tls", NULL, 1);
	assert_true(child_read_line(&c) > 0);
	parse_handshake(&c);
	client_open(&cl, c.path, NULL, NULL);
	for (i = 0; i < 10; i++)
		ccall_start(&cl, &busy[i], "/tfplugin6.Provider/ReadResource",
			    "r", 1);
	client_pump(&cl, 50);
	ccall_start(&cl, &sd, "/plugin.GRPCController/Shutdown", "", 0);
	ccall_wait(&cl, 11);
	assert_int_equal(sd.status, GRPC_STATUS_OK);
	for (i = 0; i < 10; i++) {
		ccall_done(&busy[i]);
		assert_true(busy[i].status == GRPC_STATUS_OK ||
			    busy[i].status == GRPC_STATUS_CANCELLED ||
			    busy[i].status == GRPC_STATUS_UNAVAILABLE);
		ccall_free(&busy[i]);
	}
	ccall_done(&sd);
	ccall_free(&sd);
	st = child_wait(&c, EXIT_WAIT_MS);
	if (st == -1) {
		child_kill(&c);
		fail_msg("server still running %d s after Shutdown",
			 EXIT_WAIT_MS / 1000);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(path_exists(c.path));
	client_close(&cl);
}

/* A handler stuck far beyond shutdown: SIGTERM still ends the process
 * within Terraform's 2 s and removes the socket. */
static void test_server_sigterm_stuck_handler(void **state)
{
	child c;
	client cl;
	ccall stuck;
	int st;

	(void)state;
	child_start(&c, "tls", NULL, 1);
	assert_true(child_read_line(&c) > 0);
	parse_handshake(&c);
	client_open(&cl, c.path, NULL, NULL);
	ccall_start(&cl, &stuck, "/tfplugin6.Provider/ImportResourceState", "",
		    0);
	client_pump(&cl, 200);
	kill(c.pid, SIGTERM);
	st = child_wait(&c, EXIT_WAIT_MS);
	if (st == -1) {
		child_kill(&c);
		fail_msg("server still running %d s after SIGTERM",
			 EXIT_WAIT_MS / 1000);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(path_exists(c.path));
	ccall_wait(&cl, 1);
	ccall_done(&stuck);
	assert_int_not_equal(stuck.status, GRPC_STATUS_OK);
	ccall_free(&stuck);
	client_close(&cl);
}

/* ------------------------------------------------------------------ */
/* Server streaming */

/* A server-streaming call on its own completion queue (so unary calls on
 * the client's queue never see its events). Tags are the addresses of
 * the three flags each batch sets when it completes. */
typedef struct cstream {
	grpc_completion_queue *cq;
	grpc_call *call;
	grpc_metadata_array initial_md, trailing_md;
	grpc_byte_buffer *send, *recv;
	grpc_status_code status;
	grpc_slice details;
	int sent, got_status, got_message; /* the tags */
	int md_asked;
} cstream;

/* Start `method` with `req`; the status batch is posted at once. */
static void cs_start(client *cl, cstream *cs, const char *method,
		     const char *req)
{
	grpc_op ops[3];
	grpc_slice m = grpc_slice_from_static_string(method), body;
	gpr_timespec dl = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
				       gpr_time_from_seconds(60, GPR_TIMESPAN));

	memset(cs, 0, sizeof(*cs));
	cs->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_metadata_array_init(&cs->initial_md);
	grpc_metadata_array_init(&cs->trailing_md);
	cs->details = grpc_empty_slice();
	cs->call = grpc_channel_create_call(cl->ch, NULL,
					    GRPC_PROPAGATE_DEFAULTS, cs->cq, m,
					    NULL, dl, NULL);
	assert_non_null(cs->call);
	body = grpc_slice_from_copied_string(req);
	cs->send = grpc_raw_byte_buffer_create(&body, 1);
	grpc_slice_unref(body);

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = cs->send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	assert_int_equal(grpc_call_start_batch(cs->call, ops, 3, &cs->sent,
					       NULL),
			 GRPC_CALL_OK);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &cs->trailing_md;
	ops[0].data.recv_status_on_client.status = &cs->status;
	ops[0].data.recv_status_on_client.status_details = &cs->details;
	assert_int_equal(grpc_call_start_batch(cs->call, ops, 1,
					       &cs->got_status, NULL),
			 GRPC_CALL_OK);
}

/* Wait (at most 10 s) for one event and set its flag. */
static void cs_next(cstream *cs)
{
	grpc_event ev = grpc_completion_queue_next(
		cs->cq,
		gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
			     gpr_time_from_seconds(10, GPR_TIMESPAN)),
		NULL);

	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
	*(int *)ev.tag = 1;
}

/* Read the next message into buf (NUL-terminated, truncated to cap-1);
 * returns its full length, or -1 at the end of the stream. */
static long cs_read(cstream *cs, char *buf, size_t cap)
{
	grpc_op ops[2];
	size_t n = 0;
	long len = -1;

	memset(ops, 0, sizeof(ops));
	if (!cs->md_asked) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n].data.recv_initial_metadata.recv_initial_metadata =
			&cs->initial_md;
		n++;
		cs->md_asked = 1;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n].data.recv_message.recv_message = &cs->recv;
	n++;
	cs->got_message = 0;
	assert_int_equal(grpc_call_start_batch(cs->call, ops, n,
					       &cs->got_message, NULL),
			 GRPC_CALL_OK);
	while (!cs->got_message)
		cs_next(cs);
	if (cs->recv) {
		grpc_byte_buffer_reader r;
		grpc_slice sl;
		size_t k;

		assert_true(grpc_byte_buffer_reader_init(&r, cs->recv));
		sl = grpc_byte_buffer_reader_readall(&r);
		grpc_byte_buffer_reader_destroy(&r);
		len = (long)GRPC_SLICE_LENGTH(sl);
		k = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
		memcpy(buf, GRPC_SLICE_START_PTR(sl), k);
		buf[k] = '\0';
		grpc_slice_unref(sl);
		grpc_byte_buffer_destroy(cs->recv);
		cs->recv = NULL;
	}
	return len;
}

/* Drain what is left, wait for the status and release the call. Returns
 * the status; *details (may be NULL) gets a malloc'd copy. */
static grpc_status_code cs_finish(cstream *cs, char **details)
{
	char buf[64];
	grpc_event ev;

	while (cs_read(cs, buf, sizeof(buf)) >= 0)
		;
	while (!cs->got_status || !cs->sent)
		cs_next(cs);
	if (details)
		*details = grpc_slice_to_c_string(cs->details);
	grpc_call_unref(cs->call);
	grpc_byte_buffer_destroy(cs->send);
	grpc_metadata_array_destroy(&cs->initial_md);
	grpc_metadata_array_destroy(&cs->trailing_md);
	grpc_slice_unref(cs->details);
	grpc_completion_queue_shutdown(cs->cq);
	do {
		ev = grpc_completion_queue_next(cs->cq,
						gpr_inf_future(
							GPR_CLOCK_REALTIME),
						NULL);
	} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	grpc_completion_queue_destroy(cs->cq);
	return cs->status;
}

/* The child's Endless bookkeeping, through the State method. */
typedef struct endless_state {
	int running, finished, rc;
	unsigned sent;
} endless_state;

static endless_state endless_get(client *cl)
{
	endless_state e = { 0 };
	char *body = NULL;

	assert_int_equal(call1(cl, "/test.Stream/State", "", 0, &body, NULL,
			       NULL),
			 GRPC_STATUS_OK);
	assert_int_equal(sscanf(body, "running=%d finished=%d rc=%d sent=%u",
				&e.running, &e.finished, &e.rc, &e.sent),
			 4);
	free(body);
	return e;
}

/* Poll State until `finished` Endless streams have ended (at most 10 s:
 * the ends are prompt; the bound only survives a loaded machine). */
static endless_state endless_wait(client *cl, int finished)
{
	endless_state e;
	int i;

	for (i = 0; i < 1000; i++) {
		e = endless_get(cl);
		if (e.finished >= finished && e.running == 0)
			return e;
		usleep(10 * 1000);
	}
	fail_msg("the stream handler did not end (running=%d finished=%d)",
		 e.running, e.finished);
	return e;
}

/* Shutdown, exit 0 (an ASan child fails on leaks), socket removed. */
static void stream_child_end(child *c, client *cl)
{
	int st;

	assert_int_equal(call1(cl, "/plugin.GRPCController/Shutdown", "", 0,
			       NULL, NULL, NULL),
			 GRPC_STATUS_OK);
	st = child_wait(c, EXIT_WAIT_MS);
	if (st == -1) {
		child_kill(c);
		fail_msg("server still running %d s after Shutdown",
			 EXIT_WAIT_MS / 1000);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(path_exists(c->path));
}

static void stream_child_start(child *c, client *cl, const char *mode,
			       int small_window)
{
	child_start(c, mode, NULL, 1);
	assert_true(child_read_line(c) > 0);
	parse_handshake(c);
	client_open_ex(cl, c->path, NULL, NULL, small_window);
}

/* 10,000 messages arrive complete and in order, after the client held
 * back reading (a 16 KiB window: the server's sends must wait), with one
 * send in flight at a time and the server holding a bounded number of
 * message bytes: a few messages' worth, not the stream's 10 MB. A stream
 * of no message ends with the handler's status and details. */
static void test_server_stream_10000(void **state)
{
	enum { N = 10000, SIZE = 1024 };
	char req[32], buf[128], want[16];
	size_t live = 0, max = 0;
	unsigned inflight = 0;
	char *details = NULL;
	child c;
	client cl;
	cstream cs;
	long len;
	int i;

	(void)state;
	stream_child_start(&c, &cl, "stream", 1);
	snprintf(req, sizeof(req), "%d %d", N, SIZE);
	cs_start(&cl, &cs, "/test.Stream/Count", req);
	usleep(300 * 1000); /* not reading: the window fills up */
	for (i = 0; i < N; i++) {
		len = cs_read(&cs, buf, sizeof(buf));
		assert_int_equal(len, SIZE);
		snprintf(want, sizeof(want), "%08d", i);
		assert_memory_equal(buf, want, 8);
	}
	len = cs_read(&cs, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(sscanf(buf, "stats live=%zu max=%zu inflight=%u",
				&live, &max, &inflight),
			 3);
	assert_int_equal(inflight, 1);
	assert_true(max >= SIZE);
	assert_true(max <= 4 * SIZE);
	assert_true(live <= 4 * SIZE);
	assert_int_equal(cs_read(&cs, buf, sizeof(buf)), -1);
	assert_int_equal(cs_finish(&cs, NULL), GRPC_STATUS_OK);

	cs_start(&cl, &cs, "/test.Stream/Fail", "");
	assert_int_equal(cs_finish(&cs, &details),
			 GRPC_STATUS_INVALID_ARGUMENT);
	assert_string_equal(details, "no such list");
	gpr_free(details);

	stream_child_end(&c, &cl);
	client_close(&cl);
}

/* A stream the client cancels: the handler's next send fails with
 * SRV_STREAM_CLOSED, the handler ends, the server frees the call (an
 * ASan child fails on leaks at exit) and goes on serving. */
static void test_server_stream_client_cancel(void **state)
{
	char buf[64], want[16];
	endless_state e;
	child c;
	client cl;
	cstream cs;
	int i;

	(void)state;
	stream_child_start(&c, &cl, "stream", 0);
	cs_start(&cl, &cs, "/test.Stream/Endless", "");
	for (i = 0; i < 5; i++) {
		assert_int_equal(cs_read(&cs, buf, sizeof(buf)),
				 STREAM_MSG_SIZE);
		snprintf(want, sizeof(want), "%08d", i);
		assert_memory_equal(buf, want, 8);
	}
	grpc_call_cancel(cs.call, NULL);
	assert_int_equal(cs_finish(&cs, NULL), GRPC_STATUS_CANCELLED);
	e = endless_wait(&cl, 1);
	assert_int_equal(e.rc, SRV_STREAM_CLOSED);
	assert_true(e.sent >= 5);
	assert_true(e.sent < STREAM_ENDLESS_MAX);

	/* The server still streams. */
	cs_start(&cl, &cs, "/test.Stream/Count", "3 8");
	for (i = 0; i < 3; i++)
		assert_int_equal(cs_read(&cs, buf, sizeof(buf)), 8);
	assert_int_equal(cs_finish(&cs, NULL), GRPC_STATUS_OK);
	stream_child_end(&c, &cl);
	client_close(&cl);
}

/* StopProvider (the stop flag) ends a stream promptly with CANCELLED,
 * both while its sends wait for a client that is not reading and for a
 * stream started afterwards; unary calls are still served. */
static void test_server_stream_stop(void **state)
{
	char buf[64];
	char *details = NULL;
	endless_state e;
	child c;
	client cl;
	cstream cs;
	int i;

	(void)state;
	stream_child_start(&c, &cl, "stream", 1);
	cs_start(&cl, &cs, "/test.Stream/Endless", "");
	for (i = 0; i < 5; i++)
		assert_int_equal(cs_read(&cs, buf, sizeof(buf)),
				 STREAM_MSG_SIZE);
	usleep(200 * 1000); /* the window fills: the handler waits in send */
	assert_int_equal(endless_get(&cl).finished, 0);
	assert_int_equal(call1(&cl, "/test.Stream/Stop", "", 0, NULL, NULL,
			       NULL),
			 GRPC_STATUS_OK);
	assert_int_equal(cs_finish(&cs, &details), GRPC_STATUS_CANCELLED);
	assert_string_equal(details, "provider is stopping");
	gpr_free(details);
	e = endless_wait(&cl, 1);
	assert_int_equal(e.rc, SRV_STREAM_STOPPED);

	cs_start(&cl, &cs, "/test.Stream/Endless", "");
	assert_int_equal(cs_finish(&cs, NULL), GRPC_STATUS_CANCELLED);
	e = endless_wait(&cl, 2);
	assert_int_equal(e.rc, SRV_STREAM_STOPPED);
	stream_child_end(&c, &cl);
	client_close(&cl);
}

/* A client that stops reading and never cancels: after the stall bound
 * (300 ms in this child) the stream ends with DEADLINE_EXCEEDED. */
static void test_server_stream_stall(void **state)
{
	char buf[64];
	char *details = NULL;
	endless_state e;
	child c;
	client cl;
	cstream cs;

	(void)state;
	stream_child_start(&c, &cl, "stall", 1);
	cs_start(&cl, &cs, "/test.Stream/Endless", "");
	assert_int_equal(cs_read(&cs, buf, sizeof(buf)), STREAM_MSG_SIZE);
	e = endless_wait(&cl, 1);
	assert_int_equal(e.rc, SRV_STREAM_STALLED);
	assert_int_equal(cs_finish(&cs, &details),
			 GRPC_STATUS_DEADLINE_EXCEEDED);
	gpr_free(details);
	stream_child_end(&c, &cl);
	client_close(&cl);
}

static void test_server_no_cookie(void **state)
{
	child c;
	int st;

	(void)state;
	child_start(&c, "tls", NULL, 0);
	assert_int_equal(child_read_line(&c), 0); /* nothing on stdout */
	st = child_wait(&c, EXIT_WAIT_MS);
	assert_true(st != -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
}

/* -debug: no cookie needed, plaintext, a TF_REATTACH_PROVIDERS line, and
 * SIGINT stops it. */
static void test_server_debug(void **state)
{
	child c;
	client cl;
	json_t *root, *p;
	json_error_t err;
	const char *prefix = "TF_REATTACH_PROVIDERS='";
	size_t len;
	int st;

	(void)state;
	child_start(&c, "debug", NULL, 0);
	len = child_read_line(&c);
	assert_true(len > strlen(prefix) + 1);
	assert_memory_equal(c.line, prefix, strlen(prefix));
	assert_int_equal(c.line[len - 1], '\'');
	c.line[len - 1] = '\0';
	root = json_loads(c.line + strlen(prefix), 0, &err);
	assert_non_null(root);
	p = json_object_get(root, "registry.terraform.io/test/test");
	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "Protocol")),
			    "grpc");
	assert_int_equal(json_integer_value(
				 json_object_get(p, "ProtocolVersion")),
			 6);
	assert_int_equal(json_integer_value(json_object_get(p, "Pid")), c.pid);
	assert_true(json_is_true(json_object_get(p, "Test")));
	assert_string_equal(json_string_value(
				    json_object_get(json_object_get(p, "Addr"),
						    "Network")),
			    "unix");
	snprintf(c.path, sizeof(c.path), "%s",
		 json_string_value(json_object_get(json_object_get(p, "Addr"),
						   "String")));
	json_decref(root);

	client_open(&cl, c.path, NULL, NULL);
	exercise_server(&c, &cl, 0);
	client_close(&cl);

	kill(c.pid, SIGINT);
	st = child_wait(&c, EXIT_WAIT_MS);
	if (st == -1) {
		child_kill(&c);
		fail_msg("debug server still running %d s after SIGINT",
			 EXIT_WAIT_MS / 1000);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(path_exists(c.path));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_versions),
		cmocka_unit_test(test_server_cert_p256),
		cmocka_unit_test(test_server_cert_p521),
		cmocka_unit_test(test_server_cert_fresh),
		cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_log_kv_and_long),
		cmocka_unit_test(test_server_no_cookie),
		cmocka_unit_test(test_server_mtls),
		cmocka_unit_test(test_server_plaintext),
		cmocka_unit_test(test_server_wrong_client_cert),
		cmocka_unit_test(test_server_debug),
		cmocka_unit_test(test_server_shutdown_busy),
		cmocka_unit_test(test_server_sigterm_stuck_handler),
		cmocka_unit_test(test_server_stream_10000),
		cmocka_unit_test(test_server_stream_client_cancel),
		cmocka_unit_test(test_server_stream_stop),
		cmocka_unit_test(test_server_stream_stall),
	};
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--serve-child") == 0)
		return child_main(argv[2]);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
