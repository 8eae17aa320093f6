/* Data source lxd_cluster: whether the provider's server is clustered, its
 * member name, the members (name, url, status, roles, groups, failure
 * domain...) and the cluster groups. On a standalone server `enabled` is
 * false and both lists are empty. */
#include <stdlib.h>
#include <string.h>

#include "../resource.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_kit.h"

#define MEMBER_T                                                                    \
	"[\"object\",{\"name\":\"string\",\"url\":\"string\","                      \
	"\"status\":\"string\",\"message\":\"string\",\"architecture\":\"string\"," \
	"\"description\":\"string\",\"failure_domain\":\"string\","                 \
	"\"database\":\"bool\",\"roles\":[\"list\",\"string\"],"                    \
	"\"groups\":[\"list\",\"string\"]}]"
#define GROUP_T                                                                \
	"[\"object\",{\"name\":\"string\",\"description\":\"string\","         \
	"\"members\":[\"list\",\"string\"]}]"

static const tf_attr_def cluster_attrs[] = {
	{ "enabled", "\"bool\"", TF_COMPUTED, NULL,
	  "Whether the server is a cluster member." },
	{ "server_name", "\"string\"", TF_COMPUTED, NULL,
	  "Member name of the server the provider talks to (empty when not "
	  "clustered)." },
	{ "members", "[\"list\"," MEMBER_T "]", TF_COMPUTED, NULL,
	  "Cluster members sorted by name: `name`, `url`, `status`, `message`, "
	  "`architecture`, `description`, `failure_domain`, `database`, `roles` "
	  "(all roles, automatic ones included) and `groups`." },
	{ "groups", "[\"list\"," GROUP_T "]", TF_COMPUTED, NULL,
	  "Cluster groups sorted by name: `name`, `description`, `members`." },
};

static const tf_block_def cluster_schema = {
	.attrs = cluster_attrs,
	.nattrs = TF_COUNT(cluster_attrs),
	.description = "Reads the LXD cluster the provider is connected to: "
		       "members and groups.",
};

static tf_value *jstrv(const json_t *o, const char *k)
{
	return tf_value_string(lxd_jstr(o, k));
}

static int by_name(const void *a, const void *b, const char *key)
{
	const char *x = json_string_value(
		json_object_get(*(json_t *const *)a, key));
	const char *y = json_string_value(
		json_object_get(*(json_t *const *)b, key));
	return strcmp(x ? x : "", y ? y : "");
}

static int by_server_name(const void *a, const void *b)
{
	return by_name(a, b, "server_name");
}

static int by_group_name(const void *a, const void *b)
{
	return by_name(a, b, "name");
}

/* A list value of objects built by `fill` from `arr` sorted by `cmp`. */
static tf_value *object_list(const tf_schema *s, const char *attr, json_t *arr,
			     int (*cmp)(const void *, const void *),
			     void (*fill)(tf_value *obj, const json_t *item))
{
	tf_type *lt =
		tf_schema_attr_type(s, (size_t)tf_schema_attr_index(s, attr));
	tf_value *l = tf_value_list_new(lt);
	size_t n = json_array_size(arr);
	json_t **items = calloc(n + 1, sizeof(*items));

	if (!l || !items) {
		free(items);
		return l;
	}
	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(arr, i);
	qsort(items, n, sizeof(*items), cmp);
	for (size_t i = 0; i < n; i++) {
		tf_value *o = tf_value_object_new(tf_type_elem(lt));
		if (!o)
			break;
		fill(o, items[i]);
		tf_value_list_append(l, o);
	}
	free(items);
	return l;
}

static void fill_member(tf_value *o, const json_t *m)
{
	tf_value_object_set(o, "name", jstrv(m, "server_name"));
	tf_value_object_set(o, "url", jstrv(m, "url"));
	tf_value_object_set(o, "status", jstrv(m, "status"));
	tf_value_object_set(o, "message", jstrv(m, "message"));
	tf_value_object_set(o, "architecture", jstrv(m, "architecture"));
	tf_value_object_set(o, "description", jstrv(m, "description"));
	tf_value_object_set(o, "failure_domain", jstrv(m, "failure_domain"));
	tf_value_object_set(o, "database",
			    tf_value_bool(json_is_true(
				    json_object_get(m, "database"))));
	tf_value_object_set(o, "roles",
			    lxd_strings(json_object_get(m, "roles"), NULL));
	tf_value_object_set(o, "groups",
			    lxd_strings(json_object_get(m, "groups"), NULL));
}

static void fill_group(tf_value *o, const json_t *g)
{
	tf_value_object_set(o, "name", jstrv(g, "name"));
	tf_value_object_set(o, "description", jstrv(g, "description"));
	tf_value_object_set(o, "members",
			    lxd_strings(json_object_get(g, "members"), NULL));
}

static void cluster_read(tfp_ctx *ctx, const tf_value *config, tf_value **out,
			 tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	json_t *cl = NULL, *members = NULL, *groups = NULL;
	tfp_error err = { 0 };
	tf_value *st;
	bool enabled;

	(void)config;
	if (!c)
		return;
	if (lxd_get(c, "/1.0/cluster", 0, &cl, NULL, &err)) {
		lxd_diag(d, NULL, "Cannot read the LXD cluster", &err,
			 "GET /1.0/cluster");
		return;
	}
	enabled = json_is_true(json_object_get(cl, "enabled"));
	if (enabled && lxd_get(c, "/1.0/cluster/members?recursion=1", 0,
			       &members, NULL, &err)) {
		lxd_diag(d, NULL, "Cannot list cluster members", &err,
			 "GET /1.0/cluster/members");
		goto out;
	}
	if (enabled && lxd_has_extension(c, "clustering_groups") &&
	    lxd_get(c, "/1.0/cluster/groups?recursion=1", 0, &groups, NULL,
		    &err)) {
		lxd_diag(d, NULL, "Cannot list cluster groups", &err,
			 "GET /1.0/cluster/groups");
		goto out;
	}
	st = tf_schema_empty_object(ctx->schema);
	if (st) {
		tf_value_object_set(st, "enabled", tf_value_bool(enabled));
		tf_value_object_set(st, "server_name",
				    jstrv(cl, "server_name"));
		tf_value_object_set(st, "members",
				    object_list(ctx->schema, "members", members,
						by_server_name, fill_member));
		tf_value_object_set(st, "groups",
				    object_list(ctx->schema, "groups", groups,
						by_group_name, fill_group));
	}
	*out = st;
out:
	json_decref(cl);
	json_decref(members);
	json_decref(groups);
}

const tfp_data_source lxd_cluster_data_source = {
	.type_name = "lxd_cluster",
	.schema = &cluster_schema,
	.read = cluster_read,
};
