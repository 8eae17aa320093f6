/* Data source lxd_server: facts from GET /1.0 of the provider's server, or
 * of one cluster member with `target`. Always a fresh request (not the
 * client's cached copy), so it reflects a bootstrap or join in the same
 * run. */
#include <stdlib.h>
#include <string.h>

#include "../resource.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_kit.h"
#include "lxd_name.h"

static const tf_attr_def server_attrs[] = {
	{ "target", "\"string\"", TF_OPTIONAL, NULL,
	  "Cluster member to ask (`?target=`). Defaults to the member the "
	  "provider is connected to.",
	  lxd_validate_name },
	{ "server_name", "\"string\"", TF_COMPUTED, NULL,
	  "Server (member) name; for a standalone server usually `none`." },
	{ "server_version", "\"string\"", TF_COMPUTED, NULL,
	  "Server version, e.g. `5.0.2` (LXD) or `6.0.4` (Incus)." },
	{ "server", "\"string\"", TF_COMPUTED, NULL,
	  "Server implementation: `lxd` or `incus`." },
	{ "api_version", "\"string\"", TF_COMPUTED, NULL,
	  "REST API version (`1.0`)." },
	{ "api_status", "\"string\"", TF_COMPUTED, NULL,
	  "API status (`stable`)." },
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
	{ "kernel_version", "\"string\"", TF_COMPUTED, NULL,
	  "Kernel version." },
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

/* Where each computed attribute comes from in GET /1.0 (the reply itself,
 * or its `environment`) and how it is read. */
enum { FROM_INFO, FROM_ENV };
enum { AS_STRING, AS_LIST, AS_BOOL };

struct fact {
	const char *attr;
	int from, as;
	const char *key;
	const char *field; /* AS_LIST of objects: the member to list */
};

static const struct fact facts[] = {
	{ "server_name", FROM_ENV, AS_STRING, "server_name", NULL },
	{ "server_version", FROM_ENV, AS_STRING, "server_version", NULL },
	{ "server", FROM_ENV, AS_STRING, "server", NULL },
	{ "api_version", FROM_INFO, AS_STRING, "api_version", NULL },
	{ "api_status", FROM_INFO, AS_STRING, "api_status", NULL },
	{ "api_extensions", FROM_INFO, AS_LIST, "api_extensions", NULL },
	{ "auth", FROM_INFO, AS_STRING, "auth", NULL },
	{ "clustered", FROM_ENV, AS_BOOL, "server_clustered", NULL },
	{ "addresses", FROM_ENV, AS_LIST, "addresses", NULL },
	{ "certificate", FROM_ENV, AS_STRING, "certificate", NULL },
	{ "certificate_fingerprint", FROM_ENV, AS_STRING,
	  "certificate_fingerprint", NULL },
	{ "storage_drivers", FROM_ENV, AS_LIST, "storage_supported_drivers",
	  "Name" },
	{ "kernel", FROM_ENV, AS_STRING, "kernel", NULL },
	{ "kernel_version", FROM_ENV, AS_STRING, "kernel_version", NULL },
	{ "kernel_architecture", FROM_ENV, AS_STRING, "kernel_architecture",
	  NULL },
	{ "architectures", FROM_ENV, AS_LIST, "architectures", NULL },
	{ "os_name", FROM_ENV, AS_STRING, "os_name", NULL },
	{ "os_version", FROM_ENV, AS_STRING, "os_version", NULL },
	{ "firewall", FROM_ENV, AS_STRING, "firewall", NULL },
};

static tf_value *fact_value(const struct fact *f, const json_t *info)
{
	const json_t *o = f->from == FROM_ENV ?
				  json_object_get(info, "environment") :
				  info;
	const json_t *v = json_object_get(o, f->key);

	switch (f->as) {
	case AS_LIST:
		return lxd_strings(v, &(lxd_strings_opts){ .field = f->field });
	case AS_BOOL: return tf_value_bool(json_is_true(v));
	default: return tf_value_string(lxd_jstr(o, f->key));
	}
}

static void server_read(tfp_ctx *ctx, const tf_value *config, tf_value **out,
			tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *target = tf_value_attr_string(config, "target");
	json_t *info = NULL;
	tfp_error err = { 0 };
	tf_value *st;
	int rc;

	if (!c)
		return;
	rc = lxd_get_at(c, lxd_url("/1.0", NULL, NULL, "target", target), &info,
			NULL, &err);
	if (rc) {
		tf_path p = { 0 };
		tf_path_push_attr(&p, "target");
		lxd_diag(d, target ? &p : NULL, "Cannot read LXD server info",
			 &err, "GET /1.0%s%s", target ? " on member " : "",
			 target ? target : "");
		tf_path_done(&p);
		return;
	}
	st = tf_schema_empty_object(ctx->schema);
	if (st && target)
		tf_value_object_set(st, "target", tf_value_string(target));
	for (size_t i = 0; st && i < TF_COUNT(facts); i++)
		tf_value_object_set(st, facts[i].attr,
				    fact_value(&facts[i], info));
	*out = st;
	json_decref(info);
}

const tfp_data_source lxd_server_data_source = {
	.type_name = "lxd_server",
	.schema = &server_schema,
	.read = server_read,
};
