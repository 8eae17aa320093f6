/* client-go exec credential plugins: run users[].user.exec.command with
 * KUBERNETES_EXEC_INFO, read an ExecCredential from its stdout.
 *
 * Bounds: K8S_EXEC_TIMEOUT_S wall time (the plugin is killed after it),
 * K8S_EXEC_MAX_OUTPUT bytes of stdout, 1 KiB of stderr kept for the error
 * message. stdin is /dev/null: providers are never interactive. The plugin's
 * stdout holds secrets: it is wiped, never logged, never quoted in errors. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../log.h"
#include "../util/b64.h"
#include "../util/secret.h"
#include "k8s_internal.h"

extern char **environ;

#define STDERR_KEEP 1024

void k8s_exec_cred_done(k8s_exec_cred *ec)
{
	util_secret_free(ec->token);
	util_secret_free(ec->cert_pem);
	util_secret_free(ec->key_pem);
	memset(ec, 0, sizeof(*ec));
}

time_t k8s_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	time_t t;
	int sign, oh, om;

	memset(&tm, 0, sizeof(tm));
	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
			return -1;
		t -= sign * (oh * 3600 + om * 60);
		p += 6;
	} else {
		return -1;
	}
	return *p ? -1 : t;
}

/* The ExecCredential handed to the plugin (malloc'd JSON text). */
static char *exec_info(const k8s_client *c)
{
	json_t *root, *spec, *cl;
	char *ca, *s;

	root = json_pack("{s:s, s:s}", "apiVersion", c->exec->api_version,
			 "kind", "ExecCredential");
	spec = json_pack("{s:b}", "interactive", 0);
	if (!root || !spec) {
		json_decref(root);
		json_decref(spec);
		return NULL;
	}
	if (c->exec->provide_cluster_info) {
		cl = json_pack("{s:s}", "server", c->base_url);
		if (cl && c->tls_server_name)
			json_object_set_new(cl, "tls-server-name",
					    json_string(c->tls_server_name));
		if (cl && c->insecure)
			json_object_set_new(cl, "insecure-skip-tls-verify", json_true());
		if (cl && c->ca_pem) {
			ca = util_b64_encode(c->ca_pem, c->ca_len, false);
			if (ca)
				json_object_set_new(cl, "certificate-authority-data",
						    json_string(ca));
			free(ca);
		}
		if (cl)
			json_object_set_new(spec, "cluster", cl);
	}
	json_object_set_new(root, "spec", spec);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/* environ + the plugin's env (overriding) + KUBERNETES_EXEC_INFO. */
static char **build_env(const k8s_client *c, const char *info)
{
	size_t n = 0, i, j, k = 0;
	char **env;
	const kc_exec *e = c->exec;

	while (environ && environ[n])
		n++;
	env = calloc(n + e->nenv + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t nl = strcspn(environ[i], "=");
		bool skip = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;

		for (j = 0; j < e->nenv && !skip; j++)
			if (strlen(e->env_names[j]) == nl &&
			    strncmp(environ[i], e->env_names[j], nl) == 0)
				skip = true;
		if (!skip)
			env[k++] = environ[i]; /* borrowed */
	}
	/* Owned entries follow the borrowed ones; remember where. */
	for (j = 0; j < e->nenv; j++) {
		if (asprintf(&env[k], "%s=%s", e->env_names[j], e->env_values[j]) < 0) {
			env[k] = NULL;
			goto fail;
		}
		k++;
	}
	if (asprintf(&env[k], "KUBERNETES_EXEC_INFO=%s", info) < 0) {
		env[k] = NULL;
		goto fail;
	}
	return env;
fail:
	for (i = 0; env[i]; i++) {
		bool borrowed = false;

		for (j = 0; j < n; j++)
			if (env[i] == environ[j])
				borrowed = true;
		if (!borrowed)
			free(env[i]);
	}
	free(env);
	return NULL;
}

static void free_env(char **env)
{
	size_t i, j;
	bool borrowed;

	if (!env)
		return;
	for (i = 0; env[i]; i++) {
		borrowed = false;
		for (j = 0; environ && environ[j]; j++)
			if (env[i] == environ[j]) {
				borrowed = true;
				break;
			}
		if (!borrowed)
			util_secret_free(env[i]);
	}
	free(env);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Printable, single-line tail of the plugin's stderr for messages. */
static void clean_stderr(char *s)
{
	size_t i, n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			s[i] = ' ';
}

static int parse_output(k8s_client *c, const char *out, size_t len,
			k8s_exec_cred *cred, k8s_error *err)
{
	json_error_t jerr;
	json_t *root, *st;
	const char *kind, *av, *tok, *crt, *key, *exp;
	int rc;

	root = json_loadb(out, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				   "the exec credential plugin \"%s\" (user \"%s\" in %s) "
				   "did not print an ExecCredential JSON object on stdout",
				   c->exec->command, c->user_name ? c->user_name : "",
				   c->source);
	}
	kind = json_string_value(json_object_get(root, "kind"));
	av = json_string_value(json_object_get(root, "apiVersion"));
	st = json_object_get(root, "status");
	if (!kind || strcmp(kind, "ExecCredential") != 0 || !av ||
	    strcmp(av, c->exec->api_version) != 0 || !json_is_object(st)) {
		rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				 "the exec credential plugin \"%s\" (user \"%s\" in %s) "
				 "printed %s; expected kind ExecCredential, apiVersion "
				 "%s, with a status",
				 c->exec->command, c->user_name ? c->user_name : "",
				 c->source,
				 (!kind || strcmp(kind, "ExecCredential") != 0)
					 ? "an object of another kind"
					 : (!av || strcmp(av, c->exec->api_version) != 0)
						   ? "another apiVersion"
						   : "no status",
				 c->exec->api_version);
		json_decref(root);
		return rc;
	}
	tok = json_string_value(json_object_get(st, "token"));
	crt = json_string_value(json_object_get(st, "clientCertificateData"));
	key = json_string_value(json_object_get(st, "clientKeyData"));
	exp = json_string_value(json_object_get(st, "expirationTimestamp"));
	memset(cred, 0, sizeof(*cred));
	if ((tok && !*tok) || (!tok && (!crt || !key || !*crt || !*key))) {
		json_decref(root);
		return k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				   "the exec credential plugin \"%s\" (user \"%s\" in %s) "
				   "returned neither status.token nor both "
				   "status.clientCertificateData and status.clientKeyData",
				   c->exec->command, c->user_name ? c->user_name : "",
				   c->source);
	}
	if (exp) {
		cred->expires = k8s_parse_time(exp);
		if (cred->expires == (time_t)-1) {
			json_decref(root);
			return k8s_set_err(err, K8S_E_CREDENTIALS, 0,
					   "the exec credential plugin \"%s\" returned an "
					   "invalid status.expirationTimestamp \"%.40s\" "
					   "(want RFC 3339)", c->exec->command, exp);
		}
	}
	cred->token = tok ? strdup(tok) : NULL;
	cred->cert_pem = crt ? strdup(crt) : NULL;
	cred->key_pem = key ? strdup(key) : NULL;
	json_decref(root);
	if ((tok && !cred->token) || (crt && !cred->cert_pem) ||
	    (key && !cred->key_pem)) {
		k8s_exec_cred_done(cred);
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	}
	return K8S_OK;
}

int k8s_exec_run(k8s_client *c, k8s_exec_cred *out, k8s_error *err)
{
	const kc_exec *e = c->exec;
	char *info = NULL, **env = NULL, **argv = NULL;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	bool fa_init = false;
	pid_t pid = -1;
	char *obuf = NULL;
	size_t olen = 0, ocap = 0;
	char ebuf[STDERR_KEEP + 1];
	size_t elen = 0;
	long long deadline;
	int rc, status = 0, sp;
	bool too_big = false, timed_out = false, cancelled = false;
	size_t i;

	ebuf[0] = '\0';
	info = exec_info(c);
	env = info ? build_env(c, info) : NULL;
	argv = calloc(e->nargs + 2, sizeof(*argv));
	if (!info || !env || !argv) {
		rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
		goto done;
	}
	argv[0] = e->command;
	for (i = 0; i < e->nargs; i++)
		argv[i + 1] = e->args[i];
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				 "cannot run the exec credential plugin: pipe: %s",
				 strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
		goto done;
	}
	fa_init = true;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	sp = posix_spawnp(&pid, e->command, &fa, NULL, argv, env);
	if (sp != 0) {
		pid = -1;
		rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				 "cannot run the exec credential plugin \"%s\" of user "
				 "\"%s\" (%s): %s.%s%s",
				 e->command, c->user_name ? c->user_name : "", c->source,
				 strerror(sp), e->install_hint ? " " : "",
				 e->install_hint ? e->install_hint : "");
		goto done;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	tfp_debug("k8s: ran exec credential plugin %s (pid %d)", e->command, (int)pid);

	deadline = mono_ms() + K8S_EXEC_TIMEOUT_S * 1000LL;
	while (outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd pf[2];
		nfds_t np = 0;
		long long left = deadline - mono_ms();
		int pr;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (k8s_stopped(c)) {
			cancelled = true;
			break;
		}
		if (outp[0] >= 0)
			pf[np++] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
		if (errp[0] >= 0)
			pf[np++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		pr = poll(pf, np, left < 100 ? (int)left : 100);
		if (pr < 0 && errno != EINTR)
			break;
		for (i = 0; i < np && pr > 0; i++) {
			char tmp[4096];
			ssize_t r;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pf[i].fd, tmp, sizeof(tmp));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(pf[i].fd);
				if (pf[i].fd == outp[0])
					outp[0] = -1;
				else
					errp[0] = -1;
				continue;
			}
			if (pf[i].fd == outp[0]) {
				if (olen + (size_t)r > K8S_EXEC_MAX_OUTPUT) {
					too_big = true;
					break;
				}
				if (olen + (size_t)r + 1 > ocap) {
					size_t nc = ocap ? ocap * 2 : 8192;
					char *nb;

					while (nc < olen + (size_t)r + 1)
						nc *= 2;
					nb = malloc(nc);
					if (!nb) {
						too_big = true;
						break;
					}
					if (obuf) {
						memcpy(nb, obuf, olen);
						util_secret_free_n(obuf, ocap);
					}
					obuf = nb;
					ocap = nc;
				}
				memcpy(obuf + olen, tmp, (size_t)r);
				olen += (size_t)r;
				obuf[olen] = '\0';
				OPENSSL_cleanse(tmp, sizeof(tmp));
			} else {
				size_t keep = (size_t)r;

				if (elen + keep > STDERR_KEEP)
					keep = STDERR_KEEP - elen;
				memcpy(ebuf + elen, tmp, keep);
				elen += keep;
				ebuf[elen] = '\0';
			}
		}
		if (too_big)
			break;
	}
	/* Both pipes closed (or we gave up): reap it, still bounded: a plugin
	 * that closed its output but keeps running is killed at the deadline
	 * (or on StopProvider). */
	for (;;) {
		pid_t w;

		if (timed_out || too_big || cancelled)
			kill(pid, SIGKILL);
		w = waitpid(pid, &status, (timed_out || too_big || cancelled) ? 0 : WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0) {
			struct timespec ts = { 0, 20 * 1000000L };

			if (mono_ms() >= deadline)
				timed_out = true;
			else if (k8s_stopped(c))
				cancelled = true;
			else
				nanosleep(&ts, NULL);
		}
	}
	pid = -1;
	clean_stderr(ebuf);
	if (cancelled) {
		rc = k8s_set_err(err, K8S_E_CANCELLED, 0,
				 "cancelled while running the exec credential plugin");
	} else if (timed_out) {
		rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				 "the exec credential plugin \"%s\" of user \"%s\" (%s) "
				 "did not finish within %d s (is it waiting for input? "
				 "Providers cannot answer prompts)",
				 e->command, c->user_name ? c->user_name : "", c->source,
				 K8S_EXEC_TIMEOUT_S);
	} else if (too_big) {
		rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				 "the exec credential plugin \"%s\" printed more than %u bytes",
				 e->command, (unsigned)K8S_EXEC_MAX_OUTPUT);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
				 "the exec credential plugin \"%s\" of user \"%s\" (%s) "
				 "failed (%s %d)%s%s%s%s",
				 e->command, c->user_name ? c->user_name : "", c->source,
				 WIFEXITED(status) ? "exit status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				 ebuf[0] ? ": " : "", ebuf,
				 (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
				  e->install_hint) ? ". " : "",
				 (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
				  e->install_hint) ? e->install_hint : "");
	} else {
		rc = parse_output(c, obuf ? obuf : "", olen, out, err);
	}
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (obuf)
		util_secret_free_n(obuf, ocap);
	free(argv);
	free_env(env);
	util_secret_free(info);
	return rc;
}
