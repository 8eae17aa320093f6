/* Process set-up around the gRPC server: environment checks, signals, the
 * private socket directory, the AutoMTLS certificate and the go-plugin
 * handshake line (or the TF_REATTACH_PROVIDERS line in debug mode).
 * See server.h for the life cycle. */
#include "provider/server/srv_internal.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "provider/log.h"
#include "provider/util/b64.h"

#define MAGIC_COOKIE_KEY "TF_PLUGIN_MAGIC_COOKIE"
#define MAGIC_COOKIE_VALUE                                                     \
	"d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
#define CORE_PROTOCOL_VERSION 1
#define APP_PROTOCOL_VERSION 6
#define SOCKET_NAME "plugin.sock"
#define DEFAULT_REATTACH_ADDRESS "registry.terraform.io/lxdcapi/lxd"

int srv_protocol_versions_ok(const char *env)
{
	const char *p = env;

	if (!p)
		return 0;
	while (*p) {
		const char *end = strchr(p, ',');
		const char *a = p, *b = end ? end : p + strlen(p);
		long v = 0;
		int digits = 0;

		/* Tolerate blanks around each entry. */
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		for (; a < b; a++) {
			if (*a < '0' || *a > '9' || v > 1000) {
				digits = 0;
				break;
			}
			v = v * 10 + (*a - '0');
			digits++;
		}
		if (digits && v == APP_PROTOCOL_VERSION)
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	srv__stop_requested = 1;
}

/* SIGTERM (and SIGINT in debug mode) request a shutdown; SIGINT is
 * otherwise ignored because Terraform forwards Ctrl-C to its plugins and
 * sends StopProvider instead. SIGPIPE is ignored so a closed stderr pipe
 * never kills us. */
static void install_signals(int debug)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	if (!debug)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Does `pem` hold at least one parsable certificate? */
static int client_cert_ok(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = NULL;
	int ok;

	if (!bio)
		return 0;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	ok = x != NULL;
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

/* Create a private (0700) directory for the socket under
 * PLUGIN_UNIX_SOCKET_DIR, else $TMPDIR, else /tmp. On success *dir_out
 * and *path_out are malloc'd absolute paths (directory and socket).
 * Returns 0, or -1 with a message on stderr. */
static int make_socket_dir(char **dir_out, char **path_out)
{
	const char *base = getenv("PLUGIN_UNIX_SOCKET_DIR");
	char *tmpl = NULL, *dir = NULL, *path = NULL;
	struct sockaddr_un sa_un;
	int rc = -1;

	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&tmpl, "%s/plugin-XXXXXX", base) < 0) {
		tmpl = NULL;
		goto cleanup;
	}
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "Cannot create a socket directory in %s: %s\n",
			base, strerror(errno));
		goto cleanup;
	}
	/* Terraform needs an absolute path. */
	dir = realpath(tmpl, NULL);
	if (!dir) {
		fprintf(stderr, "Cannot resolve %s: %s\n", tmpl,
			strerror(errno));
		rmdir(tmpl);
		goto cleanup;
	}
	if (asprintf(&path, "%s/" SOCKET_NAME, dir) < 0) {
		path = NULL;
		rmdir(dir);
		goto cleanup;
	}
	if (strlen(path) >= sizeof(sa_un.sun_path)) {
		fprintf(stderr,
			"Socket path %s is too long for a unix socket; "
			"set TMPDIR to a shorter directory\n",
			path);
		rmdir(dir);
		goto cleanup;
	}
	*dir_out = dir;
	*path_out = path;
	dir = path = NULL;
	rc = 0;
cleanup:
	free(tmpl);
	free(dir);
	free(path);
	return rc;
}

/* Honour PLUGIN_UNIX_SOCKET_GROUP (a group name or numeric id): give that
 * group access to the directory and the socket. Failures are logged and
 * ignored, as go-plugin's are fatal only for unknown groups. */
static void apply_socket_group(const char *dir, const char *path)
{
	const char *g = getenv("PLUGIN_UNIX_SOCKET_GROUP");
	struct group gr, *res = NULL;
	char buf[4096];
	char *end;
	long gid;

	if (!g || !*g)
		return;
	errno = 0;
	gid = strtol(g, &end, 10);
	if (*end || errno || gid < 0) {
		if (getgrnam_r(g, &gr, buf, sizeof(buf), &res) != 0 || !res) {
			tfp_warn("Unknown PLUGIN_UNIX_SOCKET_GROUP %s, ignoring",
				 g);
			return;
		}
		gid = (long)res->gr_gid;
	}
	if (chown(dir, (uid_t)-1, (gid_t)gid) < 0 || chmod(dir, 0750) < 0 ||
	    chown(path, (uid_t)-1, (gid_t)gid) < 0 || chmod(path, 0660) < 0)
		tfp_warn("Cannot give group %s access to %s: %s, ignoring", g,
			 path, strerror(errno));
}

/* Print the debug-mode instructions: the TF_REATTACH_PROVIDERS value on
 * stdout (shell-quoted), an explanation on stderr. 0 or -1. */
static int print_reattach(const srv_config *cfg, const char *path)
{
	const char *addr = cfg->reattach_address ? cfg->reattach_address :
						   DEFAULT_REATTACH_ADDRESS;
	json_t *root;
	char *js = NULL;
	const char *p;
	int rc = -1;

	root = json_pack("{s:{s:s,s:i,s:I,s:b,s:{s:s,s:s}}}", addr, "Protocol",
			 "grpc", "ProtocolVersion", APP_PROTOCOL_VERSION, "Pid",
			 (json_int_t)getpid(), "Test", 1, "Addr", "Network",
			 "unix", "String", path);
	if (!root)
		goto cleanup;
	js = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!js)
		goto cleanup;
	fprintf(stderr,
		"Provider started in debug mode. To attach Terraform, run "
		"it with this variable set in its environment (for example "
		"export it in another shell):\n");
	fputs("TF_REATTACH_PROVIDERS='", stdout);
	/* Single-quote the value for sh: ' becomes '\''. */
	for (p = js; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			fputc(*p, stdout);
	}
	fputs("'\n", stdout);
	fflush(stdout);
	fprintf(stderr, "Press Ctrl-C or send SIGTERM to stop the provider.\n");
	rc = 0;
cleanup:
	free(js);
	json_decref(root);
	return rc;
}

/* Was the process started by go-plugin (magic cookie, a protocol version
 * we speak)? *client_pem: Terraform's AutoMTLS certificate, or NULL for
 * plaintext (and with -debug). False (message on stderr) otherwise. */
static bool launched_by_plugin_client(const srv_config *cfg,
				      const char **client_pem)
{
	const char *cookie = getenv(MAGIC_COOKIE_KEY);
	const char *versions = getenv("PLUGIN_PROTOCOL_VERSIONS");

	*client_pem = NULL;
	if (!cfg->debug) {
		if (!cookie || strcmp(cookie, MAGIC_COOKIE_VALUE) != 0) {
			fprintf(stderr,
				"This program is a Terraform provider plugin "
				"and is not meant to be run directly.\n"
				"Terraform starts it when a configuration "
				"uses the provider; to run it standalone for "
				"debugging, start it with -debug.\n");
			return false;
		}
		if (!srv_protocol_versions_ok(versions)) {
			fprintf(stderr,
				"This provider speaks plugin protocol "
				"version %d only, but the client offered "
				"\"%s\". Use Terraform 1.0 or later.\n",
				APP_PROTOCOL_VERSION, versions ? versions : "");
			return false;
		}
		*client_pem = getenv("PLUGIN_CLIENT_CERT");
		if (*client_pem && !**client_pem)
			*client_pem = NULL;
	}
	if (*client_pem && !client_cert_ok(*client_pem)) {
		fprintf(stderr, "PLUGIN_CLIENT_CERT does not hold a PEM "
				"certificate\n");
		return false;
	}
	return true;
}

/* Tell the client where we listen: the handshake line on stdout (with
 * the server certificate, unpadded base64 DER, under AutoMTLS), or with
 * -debug the reattach settings. */
static void announce(const srv_config *cfg, const char *path, const char *b64)
{
	if (cfg->debug) {
		if (print_reattach(cfg, path) < 0)
			srv__stop_requested = 1;
	} else {
		printf("%d|%d|unix|%s|grpc|%s\n", CORE_PROTOCOL_VERSION,
		       APP_PROTOCOL_VERSION, path, b64 ? b64 : "");
		fflush(stdout);
	}
	tfp_debug("Plugin server listening on %s (%s)", path,
		  b64 ? "mTLS" : "plaintext");
}

int srv_run(const srv_config *cfg)
{
	const char *client_pem;
	char *dir = NULL, *path = NULL, *addr = NULL, *b64 = NULL;
	srv_cert cert = { 0 };
	srv_grpc *srv = NULL;
	int tls, rc = 1;

	tfp_log_init();
	if (!launched_by_plugin_client(cfg, &client_pem))
		return 1;
	tls = client_pem != NULL;
	install_signals(cfg->debug);
	if (make_socket_dir(&dir, &path) < 0)
		goto cleanup;
	if (tls) {
		if (srv__cert_generate(&cert, SRV_CURVE_P256) < 0) {
			fprintf(stderr, "Cannot create the TLS certificate\n");
			goto cleanup;
		}
		b64 = util_b64_encode(cert.der, cert.der_len, true);
		if (!b64)
			goto cleanup;
	}
	if (asprintf(&addr, "unix:%s", path) < 0) {
		addr = NULL;
		goto cleanup;
	}
	if (srv__grpc_start(&srv, cfg, addr, tls ? &cert : NULL, client_pem) <
	    0) {
		fprintf(stderr, "Cannot start the gRPC server on %s\n", path);
		goto cleanup;
	}
	/* gRPC copied the key material; drop our copy now. */
	srv__cert_done(&cert);
	apply_socket_group(dir, path);
	announce(cfg, path, b64);

	if (srv__grpc_serve(srv) < 0) {
		/* Handlers still running: the server cannot be torn down
		 * safely, so leave without it. */
		unlink(path);
		rmdir(dir);
		_exit(0);
	}
	rc = 0;
cleanup:
	if (path)
		unlink(path);
	if (dir)
		rmdir(dir);
	srv__cert_done(&cert);
	free(b64);
	free(addr);
	free(path);
	free(dir);
	return rc;
}
