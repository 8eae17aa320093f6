/* The lxdcapi/lxd provider type: connection settings and the table of lxd_*
 * resources and data sources. */
#include <stdlib.h>
#include <string.h>

#include "../duration.h"
#include "../log.h"
#include "../resource.h"
#include "client.h"
#include "lxd_kit.h"

/* The types of this provider, one row each (see resource.h): a new
 * resource is its file plus a row here. */
#define LXD_RESOURCES(X)                                                       \
	X(lxd_storage_pool_resource)                                           \
	X(lxd_ovn_network_resource)                                            \
	X(lxd_node_resource)
#define LXD_DATA_SOURCES(X)                                                    \
	X(lxd_network_data_source)                                             \
	X(lxd_cluster_data_source)                                             \
	X(lxd_server_data_source)

LXD_RESOURCES(TFP_EXTERN_RESOURCE)
LXD_DATA_SOURCES(TFP_EXTERN_DATA_SOURCE)

static const tf_attr_def lxd_provider_attrs[] = {
	{ "socket", "\"string\"", TF_OPTIONAL, NULL,
	  "Path of the unix socket of a local LXD or Incus server. Defaults "
	  "to `$LXD_SOCKET`, `$LXD_DIR/unix.socket`, `$INCUS_SOCKET`, "
	  "`$INCUS_DIR/unix.socket`, then LXD's snap and Debian paths and "
	  "Incus's `/var/lib/incus/unix.socket`. Ignored when `address` is "
	  "set." },
	{ "address", "\"string\"", TF_OPTIONAL, NULL,
	  "HTTPS URL of a remote LXD server or cluster member, such as "
	  "`https://203.0.113.1:8443`. Needs `client_certificate`, "
	  "`client_key` and a server pin." },
	{ "client_certificate", "\"string\"", TF_OPTIONAL, NULL,
	  "PEM client certificate trusted by the server (HTTPS only). Use "
	  "`file(\"~/.config/lxc/client.crt\")` to read it from disk." },
	{ "client_key", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL,
	  "PEM private key of `client_certificate`. Sensitive." },
	{ "server_certificate", "\"string\"", TF_OPTIONAL, NULL,
	  "PEM certificate the server must present (pin). Note that a "
	  "member's certificate changes to the cluster certificate when it "
	  "bootstraps or joins a cluster." },
	{ "server_fingerprint", "\"string\"", TF_OPTIONAL, NULL,
	  "SHA-256 fingerprint (hex) of the server certificate, as an "
	  "alternative pin to `server_certificate`." },
	{ "insecure_skip_verify", "\"bool\"", TF_OPTIONAL, NULL,
	  "Do not verify the server certificate. Only for throw-away test "
	  "servers." },
	{ "project", "\"string\"", TF_OPTIONAL, NULL,
	  "LXD project for project-scoped objects. Defaults to `default`." },
	{ "operation_timeout", "\"string\"", TF_OPTIONAL, NULL,
	  "Upper bound for one LXD operation, as a duration such as `10m` "
	  "(default `10m`).",
	  tfp_validate_duration },
	{ "request_timeout", "\"number\"", TF_OPTIONAL, NULL,
	  "Seconds one HTTP request to LXD may take (default 30, from 1 to "
	  "3600). Also the time a request keeps retrying while LXD restarts "
	  "or its cluster database is not ready. Once a request times out, "
	  "LXD is considered frozen and later requests fail at once." },
};

static const tf_block_def lxd_provider_schema = {
	.attrs = lxd_provider_attrs,
	.nattrs = TF_COUNT(lxd_provider_attrs),
	.description = "Manages an LXD cluster: members, storage pools and OVN "
		       "networks.",
};

#define REQUEST_TIMEOUT_DEFAULT_S 30
#define REQUEST_TIMEOUT_MIN_S 1
#define REQUEST_TIMEOUT_MAX_S 3600

static void lxd_provider_validate(const tf_value *config, tf_diags *d)
{
	const char *addr = tf_value_attr_string(config, "address");
	const tf_value *rt = tf_value_attr(config, "request_timeout");
	double secs;

	if (rt && tf_value_is_known(rt) && !tf_value_is_null(rt)) {
		secs = tf_value_get_double(rt);
		if (!(secs >= REQUEST_TIMEOUT_MIN_S &&
		      secs <= REQUEST_TIMEOUT_MAX_S))
			tf_diags_attr_error(
				d, "request_timeout", "Invalid request timeout",
				"`request_timeout` is %s; it must be a number "
				"of seconds from %d to %d.",
				tf_value_number_text(rt), REQUEST_TIMEOUT_MIN_S,
				REQUEST_TIMEOUT_MAX_S);
	}
	if (addr && strncmp(addr, "https://", 8) != 0)
		tf_diags_attr_error(
			d, "address", "Invalid LXD address",
			"\"%s\" is not an HTTPS URL. Use the form "
			"https://<host>:8443, or leave `address` unset "
			"and use `socket` for a local server.",
			addr);
	if (addr &&
	    tf_value_is_null(tf_value_attr(config, "client_certificate")))
		tf_diags_attr_error(d, "client_certificate",
				    "Missing client certificate",
				    "Connecting to %s over HTTPS needs "
				    "`client_certificate` and `client_key`.",
				    addr);
}

static void *lxd_configure(const tf_value *config, const char *tf_version,
			   atomic_int *stop, tf_diags *d)
{
	lxd_client_opts o = { 0 };
	lxd_client *c = NULL;
	tfp_error err = { 0 };
	const char *timeout = tf_value_attr_string(config, "operation_timeout");
	const tf_value *rt = tf_value_attr(config, "request_timeout");
	double rsecs = REQUEST_TIMEOUT_DEFAULT_S;
	long secs = 600;

	(void)tf_version;
	lxd_tls_opts(&o, config);
	o.url = tf_value_attr_string(config, "address");
	o.socket_path = o.url ? NULL : tf_value_attr_string(config, "socket");
	o.project = tf_value_attr_string(config, "project");
	if (timeout && tfp_parse_duration(timeout, &secs) != 0)
		secs = 600;
	o.operation_timeout_s = secs;
	if (rt && tf_value_is_known(rt) && !tf_value_is_null(rt))
		rsecs = tf_value_get_double(rt);
	if (!(rsecs >= REQUEST_TIMEOUT_MIN_S && rsecs <= REQUEST_TIMEOUT_MAX_S))
		rsecs = REQUEST_TIMEOUT_DEFAULT_S; /* validate() reported it */
	o.request_timeout_ms = (long)(rsecs * 1000.0 + 0.5);
	o.stop = stop;
	if (lxd_client_new(&o, &c, &err) != TFP_OK) {
		tf_diags_error(
			d, NULL, "Cannot set up the LXD connection",
			"%s. Set the provider's `socket` (or `LXD_SOCKET`, "
			"`LXD_DIR`, `INCUS_SOCKET`, `INCUS_DIR`) for a local "
			"server, or `address` with "
			"client credentials for a remote one.",
			err.message[0] ? err.message : tfp_code_str(err.code));
		return NULL;
	}
	tfp_debug("LXD client configured (%s, request timeout %ld ms)",
		  o.url ? "https" : "unix socket", o.request_timeout_ms);
	return c;
}

static void lxd_client_release(void *c)
{
	lxd_client_free(c);
}

static const tfp_resource *const lxd_resources[] = { LXD_RESOURCES(
	TFP_ADDRESS_OF) };

static const tfp_data_source *const lxd_data_sources[] = { LXD_DATA_SOURCES(
	TFP_ADDRESS_OF) };

extern const tfp_function lxd_fn_cert_fingerprint;
extern const tfp_function lxd_fn_member_config;

static const tfp_function *const lxd_functions[] = {
	&lxd_fn_cert_fingerprint,
	&lxd_fn_member_config,
};

static const tfp_provider lxd_provider = {
	.type = "lxd",
	.source_address = "registry.terraform.io/lxdcapi/lxd",
	.schema = &lxd_provider_schema,
	.validate = lxd_provider_validate,
	.configure = lxd_configure,
	.client_free = lxd_client_release,
	.resources = lxd_resources,
	.nresources = TF_COUNT(lxd_resources),
	.data_sources = lxd_data_sources,
	.ndata_sources = TF_COUNT(lxd_data_sources),
	.functions = lxd_functions,
	.nfunctions = TF_COUNT(lxd_functions),
};

const tfp_provider *tfp_provider_lxd(void)
{
	return &lxd_provider;
}
