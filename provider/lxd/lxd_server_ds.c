/* Data source lxd_server: facts from GET /1.0 of the provider's server, or
 * of one cluster member with `target`. Always a fresh request (not the
 * client's cached copy), so it reflects a bootstrap or join in the same
 * run. */
#include <stdlib.h>
#include <string.h>

#include "../resource.h"
#include "client.h"
#include "lxd_common.h"

static const tf_attr_def server_attrs[] = {
	{ "target", "\"string\"", TF_OPTIONAL, NULL,
	  "Cluster member to ask (`?target=`). Defaults to the member the "
	  "provider is connected to.", tf_validate_lxd_name },
	{ "server_name", "\"string\"", TF_COMPUTED, NULL,
	  "Server (member) name; for a standalone server usually `none`." },
	{ "server_version", "\"string\"", TF_COMPUTED, NULL,
	  "LXD version, e.g. `5.0.2`." },
	{ "server", "\"string\"", TF_COMPUTED, NULL, "Server implementation (`lxd`)." },
	{ "api_version", "\"string\"", TF_COMPUTED, NULL, "REST API version (`1.0`)." },
	{ "api_status", "\"string\"", TF_COMPUTED, NULL, "API status (`stable`)." },
	{ "api_extensions", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "API extensions the server supports, in server order." },
	{ "auth", "\"string\"", TF_COMPUTED, NULL,
	  "`trusted` or `untrusted` (this client's standing)." },
	{ "clustered", "\"bool\"", TF_COMPUTED, NULL,
	  "Whether the server is a cluster member." },
	{ "addresses", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "Addresses the server listens on." },
	{ "certificate", "\"string\"", TF_COMPUTED, NULL,
	  "PEM server certificate (the cluster certificate on a cluster)." },
	{ "certificate_fingerprint", "\"string\"", TF_COMPUTED, NULL,
	  "SHA-256 fingerprint of `certificate`." },
	{ "storage_drivers", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "Storage drivers this server supports (usable in lxd_storage_pool)." },
	{ "kernel", "\"string\"", TF_COMPUTED, NULL, "Kernel name (`Linux`)." },
	{ "kernel_version", "\"string\"", TF_COMPUTED, NULL, "Kernel version." },
	{ "kernel_architecture", "\"string\"", TF_COMPUTED, NULL,
	  "Kernel architecture, e.g. `x86_64`." },
	{ "architectures", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "Instance architectures the server supports." },
	{ "os_name", "\"string\"", TF_COMPUTED, NULL, "Host OS name." },
	{ "os_version", "\"string\"", TF_COMPUTED, NULL, "Host OS version." },
	{ "firewall", "\"string\"", TF_COMPUTED, NULL,
	  "Firewall driver (`nftables` or `xtables`)." },
};

static const tf_block_def server_schema = {
	.attrs = server_attrs,
	.nattrs = TF_COUNT(server_attrs),
	.description = "Reads facts about the LXD server: version, API "
		       "extensions, clustering, certificate, storage drivers "
		       "and kernel.",
};

static tf_value *str_list(const json_t *arr, const char *field)
{
	tf_type *lt = tf_type_list(tf_type_string());
	tf_value *l = tf_value_list_new(lt);
	size_t i;
	json_t *v;

	tf_type_unref(lt);
	json_array_foreach(arr, i, v) {
		const json_t *s = field ? json_object_get(v, field) : v;
		if (l && json_is_string(s))
			tf_value_list_append(l, tf_value_string(json_string_value(s)));
	}
	return l;
}

static void set_str(tf_value *st, const char *attr, const json_t *o,
		    const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	tf_value_object_set(st, attr, tf_value_string(s ? s : ""));
}

static void server_read(tfp_ctx *ctx, const tf_value *config, tf_value **out,
			tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *target = tf_value_attr_string(config, "target");
	json_t *info = NULL;
	const json_t *env;
	tfp_error err = {0};
	char *path = NULL, *et = NULL;
	tf_value *st;
	int rc;

	if (!c)
		return;
	if (target) {
		et = lxd_escape(target);
		if (!et || asprintf(&path, "/1.0?target=%s", et) < 0)
			path = NULL;
		free(et);
		if (!path) {
			tf_diags_error(d, NULL, "Out of memory", "%s", "");
			return;
		}
	}
	rc = lxd_get(c, path ? path : "/1.0", 0, &info, NULL, &err);
	free(path);
	if (rc) {
		tf_path p = {0};
		tf_path_push_attr(&p, "target");
		lxd_diag(d, target ? &p : NULL, "Cannot read LXD server info", &err,
			 "GET /1.0%s%s", target ? " on member " : "",
			 target ? target : "");
		tf_path_done(&p);
		return;
	}
	env = json_object_get(info, "environment");
	st = tf_schema_empty_object(ctx->schema);
	if (st) {
		if (target)
			tf_value_object_set(st, "target", tf_value_string(target));
		set_str(st, "server_name", env, "server_name");
		set_str(st, "server_version", env, "server_version");
		set_str(st, "server", env, "server");
		set_str(st, "api_version", info, "api_version");
		set_str(st, "api_status", info, "api_status");
		tf_value_object_set(st, "api_extensions",
				    str_list(json_object_get(info, "api_extensions"), NULL));
		set_str(st, "auth", info, "auth");
		tf_value_object_set(st, "clustered", tf_value_bool(json_is_true(
					    json_object_get(env, "server_clustered"))));
		tf_value_object_set(st, "addresses",
				    str_list(json_object_get(env, "addresses"), NULL));
		set_str(st, "certificate", env, "certificate");
		set_str(st, "certificate_fingerprint", env, "certificate_fingerprint");
		tf_value_object_set(st, "storage_drivers",
				    str_list(json_object_get(env, "storage_supported_drivers"),
					     "Name"));
		set_str(st, "kernel", env, "kernel");
		set_str(st, "kernel_version", env, "kernel_version");
		set_str(st, "kernel_architecture", env, "kernel_architecture");
		tf_value_object_set(st, "architectures",
				    str_list(json_object_get(env, "architectures"), NULL));
		set_str(st, "os_name", env, "os_name");
		set_str(st, "os_version", env, "os_version");
		set_str(st, "firewall", env, "firewall");
	}
	*out = st;
	json_decref(info);
}

const tfp_data_source lxd_server_data_source = {
	.type_name = "lxd_server",
	.schema = &server_schema,
	.read = server_read,
};
