/* Provider functions of the lxd provider (provider::lxd::<name>):
 *  - cert_fingerprint(pem): the SHA-256 fingerprint (lowercase hex of the
 *    DER) that `server_fingerprint` and join_target pins want;
 *  - member_config(object): a nested { ENTITY = { NAME = { KEY = VALUE } } }
 *    object or map as the flat "ENTITY/NAME/KEY" map lxd_node's
 *    member_config takes.
 * Pure functions (provider/resource.h, tfp_function). */
#include <stdio.h>
#include <string.h>

#include "../http/http_tls.h"
#include "../resource.h"

static const tfp_func_param fp_params[] = {
	{ "pem", "\"string\"",
	  "PEM text holding an X.509 certificate (the first one is used), "
	  "e.g. `file(\"server.crt\")` or `data.lxd_server.s.certificate`.",
	  false },
};

static int fingerprint_call(const tf_value *const *args, tf_value **result,
			    char *errbuf, size_t errlen, int64_t *err_arg)
{
	char fp[HTTP_FP_HEX_LEN + 1];

	if (http_pem_fingerprint(tf_value_get_string(args[0]), fp) != 0) {
		snprintf(errbuf, errlen,
			 "pem: no PEM certificate found (expected "
			 "a \"-----BEGIN CERTIFICATE-----\" block)");
		*err_arg = 0;
		return -1;
	}
	*result = tf_value_string(fp);
	return *result ? 0 : -1;
}

const tfp_function lxd_fn_cert_fingerprint = {
	.name = "cert_fingerprint",
	.summary = "SHA-256 fingerprint of a PEM certificate",
	.description = "Returns the SHA-256 fingerprint of the certificate in "
		       "`pem`, as lowercase hex of its DER encoding: the form "
		       "LXD shows (`lxc info`, `certificate_fingerprint`) and "
		       "that `server_fingerprint` expects.",
	.params = fp_params,
	.nparams = 1,
	.return_type = "\"string\"",
	.call = fingerprint_call,
};

static const tfp_func_param mc_params[] = {
	{ "config", "\"dynamic\"",
	  "An object or map nested three deep: entity (`storage-pool` or "
	  "`network`), then the pool or network name, then key = value, e.g. "
	  "`{ storage-pool = { local = { source = \"/srv/local\" } } }`.",
	  false },
};

/* Entry i of a known object (attribute i) or map (i-th key, sorted). */
static const char *entry_key(const tf_value *v, size_t i)
{
	if (tf_type_kind_of(tf_value_type(v)) == TF_T_OBJECT)
		return tf_type_attr_name(tf_value_type(v), i);
	return tf_value_map_key(v, i);
}

static const tf_value *entry_value(const tf_value *v, size_t i)
{
	if (tf_type_kind_of(tf_value_type(v)) == TF_T_OBJECT)
		return tf_value_index(v, i);
	return tf_value_map_value(v, i);
}

/* Add the ENTITY/NAME/KEY entries of one level-3 value. */
static int add_leaves(tf_value *out, const char *entity, const char *name,
		      const tf_value *keys, char *errbuf, size_t errlen)
{
	size_t n = tf_value_len(keys);

	for (size_t i = 0; i < n; i++) {
		const char *k = entry_key(keys, i);
		const tf_value *v = entry_value(keys, i);
		char path[512];

		if (!tf_value_get_string(v)) {
			snprintf(errbuf, errlen,
				 "config[\"%s\"][\"%s\"][\"%s\"]: must "
				 "be a string",
				 entity, name, k);
			return -1;
		}
		if (snprintf(path, sizeof(path), "%s/%s/%s", entity, name, k) >=
		    (int)sizeof(path)) {
			snprintf(errbuf, errlen, "config: key path too long");
			return -1;
		}
		if (tf_value_map_set(out, path,
				     tf_value_string(tf_value_get_string(v))))
			return -1;
	}
	return 0;
}

/* Is v a known object or map (the two ways HCL writes `{ ... }`)? */
static bool is_mapping(const tf_value *v)
{
	tf_type_kind k;

	if (!v || !tf_value_is_known(v))
		return false;
	k = tf_type_kind_of(tf_value_type(v));
	return k == TF_T_OBJECT || k == TF_T_MAP;
}

static int member_config_call(const tf_value *const *args, tf_value **result,
			      char *errbuf, size_t errlen, int64_t *err_arg)
{
	const tf_value *top = args[0];
	tf_type *mt = tf_type_map(tf_type_string());
	tf_value *out = mt ? tf_value_map_new(mt) : NULL;

	tf_type_unref(mt);
	*err_arg = 0;
	if (!out)
		return -1;
	if (!is_mapping(top)) {
		snprintf(errbuf, errlen,
			 "config: must be an object such as "
			 "{ storage-pool = { NAME = { KEY = VALUE } } }");
		goto fail;
	}
	for (size_t i = 0; i < tf_value_len(top); i++) {
		const char *entity = entry_key(top, i);
		const tf_value *names = entry_value(top, i);

		if (!is_mapping(names)) {
			snprintf(errbuf, errlen,
				 "config[\"%s\"]: must be an object "
				 "of names",
				 entity);
			goto fail;
		}
		for (size_t j = 0; j < tf_value_len(names); j++) {
			const tf_value *keys = entry_value(names, j);

			if (!is_mapping(keys)) {
				snprintf(errbuf, errlen,
					 "config[\"%s\"][\"%s\"]: must "
					 "be an object of keys",
					 entity, entry_key(names, j));
				goto fail;
			}
			if (add_leaves(out, entity, entry_key(names, j), keys,
				       errbuf, errlen))
				goto fail;
		}
	}
	*result = out;
	*err_arg = -1;
	return 0;
fail:
	tf_value_unref(out);
	return -1;
}

const tfp_function lxd_fn_member_config = {
	.name = "member_config",
	.summary = "Flatten a nested object into lxd_node's member_config map",
	.description =
		"Returns the `ENTITY/NAME/KEY` map `lxd_node.member_config` "
		"takes from a nested object, e.g. `{ storage-pool = { local "
		"= { source = \"/srv\" } } }` becomes "
		"`{ \"storage-pool/local/source\" = \"/srv\" }`.",
	.params = mc_params,
	.nparams = 1,
	.return_type = "[\"map\",\"string\"]",
	.call = member_config_call,
};
