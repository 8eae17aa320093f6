/* terraform-provider-lxdcapi: entry point.
 *
 * Usage: started by Terraform (no arguments), or by a developer with -debug
 * to run standalone and print the TF_REATTACH_PROVIDERS value. The provider
 * type (lxd or k8s) comes from the executable's name. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <openssl/crypto.h>

#include "log.h"
#include "resource.h"
#include "rpc/rpc.h"
#include "server/server.h"

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"This binary is a plugin for Terraform and OpenTofu: it serves the\n"
		"lxdcapi/lxd provider when installed as terraform-provider-lxd_<version>\n"
		"and lxdcapi/k8s when installed as terraform-provider-k8s_<version>.\n"
		"It is not meant to be run directly; `make install` places it where\n"
		"`terraform init` finds it.\n\n"
		"Usage: %s [-debug]\n"
		"  -debug   serve standalone and print TF_REATTACH_PROVIDERS to use\n",
		argv0);
}

/* This process's own peak RSS in KiB from VmHWM in /proc/self/status, or -1.
 * (getrusage's ru_maxrss is not usable here: Linux carries the parent's
 * high-water mark across fork+execve, so it reports Terraform's own RSS.) */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* One debug line at exit with this process's peak RSS and CPU time
 * (read by `make bench`). */
static void log_usage(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	tfp_debug(
		"Provider exiting: peak_rss_kib=%ld cpu_user_s=%ld.%06ld cpu_sys_s=%ld.%06ld",
		peak_rss_kib(), (long)ru.ru_utime.tv_sec,
		(long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
		(long)ru.ru_stime.tv_usec);
}

int main(int argc, char **argv)
{
	const tfp_provider *provider;
	srv_config cfg = { 0 };
	char err[512];
	rpc_app *app;
	int rc;

	/* OpenSSL must not free its state from an atexit handler: a thread that
	 * is still ending then (gRPC's, libcurl's, a worker) would lose its
	 * per-thread error state, which LeakSanitizer reports. The process
	 * frees everything by exiting. This first init call fixes the option. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	tfp_log_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-debug") == 0 ||
		    strcmp(argv[i], "--debug") == 0) {
			cfg.debug = 1;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			usage(stderr, argv[0]);
			return 1;
		}
	}

	provider = tfp_provider_for_argv0(argv[0]);
	if (!provider) {
		fprintf(stderr,
			"%s: cannot tell which provider to serve from the program name;\n"
			"install it as terraform-provider-lxd_<version> or "
			"terraform-provider-k8s_<version> (see `make install`)\n",
			argv[0]);
		return 1;
	}

	app = rpc_app_new(provider, err, sizeof(err));
	if (!app) {
		fprintf(stderr, "%s: internal schema error: %s\n", argv[0],
			err);
		return 1;
	}
	rpc_server_config(app, &cfg);
	cfg.reattach_address = provider->source_address;
	rc = srv_run(&cfg);
	rpc_app_free(app);
	log_usage();
	return rc;
}
