/* Data source lxd_network: read any existing network (bridge, physical, ovn,
 * macvlan, ... or an unmanaged host interface) by name, e.g. to reference an
 * uplink that Terraform does not manage. Read-only; one GET. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../resource.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_kit.h"
#include "lxd_name.h"

static const tf_attr_def net_ds_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name of the network.",
	  lxd_validate_name },
	{ "project", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Project to look in. Defaults to the provider's `project`. Uplink "
	  "networks always live in `default`.",
	  lxd_validate_name },
	{ "type", "\"string\"", TF_COMPUTED, NULL,
	  "Network type: `bridge`, `ovn`, `physical`, `macvlan`, `sriov`, or "
	  "for unmanaged interfaces the kernel's type (`loopback`, `broadcast`, "
	  "...)." },
	{ "description", "\"string\"", TF_COMPUTED, NULL, "Description." },
	{ "config", "[\"map\",\"string\"]", TF_COMPUTED, NULL,
	  "All configuration keys, including the ones LXD filled in "
	  "(`volatile.*`, generated addresses)." },
	{ "managed", "\"bool\"", TF_COMPUTED, NULL,
	  "Whether LXD manages the network (false for plain host interfaces)." },
	{ "status", "\"string\"", TF_COMPUTED, NULL,
	  "Status reported by LXD (`Created`, `Pending`, `Errored`, ...); empty "
	  "for unmanaged interfaces." },
	{ "used_by", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "API URLs of the instances, profiles and networks using it." },
	{ "locations", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "Cluster members on which the network exists (sorted); empty on a "
	  "standalone server." },
};

static const tf_block_def net_ds_schema = {
	.attrs = net_ds_attrs,
	.nattrs = TF_COUNT(net_ds_attrs),
	.description = "Reads an existing LXD network of any type.",
};

static void net_ds_read(tfp_ctx *ctx, const tf_value *config, tf_value **out,
			tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, config, &name, d);
	const char *project = tf_value_attr_string(config, "project");
	json_t *net = NULL;
	tfp_error err = { 0 };
	tf_value *st = NULL;
	int rc;

	if (!c)
		return;
	if (!project)
		project = lxd_client_project(c);
	rc = lxd_get_at(c,
			lxd_url("/1.0/networks/", name, NULL, "project",
				project),
			&net, NULL, &err);
	if (rc == TFP_E_NOTFOUND) {
		tf_diags_attr_error(
			d, "name", "Network not found",
			"LXD has no network \"%s\" in project \"%s\". "
			"Check the name (`lxc network list --project "
			"%s`) and the project.",
			name, project, project);
		goto done;
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot read network", &err,
			 "Reading network \"%s\" in project \"%s\"", name,
			 project);
		goto done;
	}
	st = tf_schema_empty_object(ctx->schema);
	if (!st) {
		tf_diags_error(d, NULL, "Out of memory",
			       "Reading network \"%s\"", name);
		goto done;
	}
	tf_value_object_set(st, "name", tf_value_string(name));
	tf_value_object_set(st, "project", tf_value_string(project));
	tf_value_object_set(st, "type", tf_value_string(lxd_jstr(net, "type")));
	tf_value_object_set(st, "description",
			    tf_value_string(lxd_jstr(net, "description")));
	tf_value_object_set(st, "config",
			    lxd_config_to_map(json_object_get(net, "config"),
					      NULL, NULL));
	tf_value_object_set(st, "managed",
			    tf_value_bool(json_is_true(
				    json_object_get(net, "managed"))));
	tf_value_object_set(st, "status",
			    tf_value_string(lxd_jstr(net, "status")));
	tf_value_object_set(st, "used_by",
			    lxd_strings(json_object_get(net, "used_by"), NULL));
	tf_value_object_set(st, "locations",
			    lxd_strings(json_object_get(net, "locations"),
					&(lxd_strings_opts){ .sorted = true }));
	*out = st;
done:
	json_decref(net);
}

const tfp_data_source lxd_network_data_source = {
	.type_name = "lxd_network",
	.schema = &net_ds_schema,
	.read = net_ds_read,
};
