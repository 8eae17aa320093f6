/* provider/rpc helper: raw JSON from Terraform's state file (a resource's
 * state or identity) brought to the current version and decoded; shared
 * by UpgradeResourceState (rpc_resource.c) and UpgradeResourceIdentity
 * (rpc_identity.c). See rpc_identity.h. */
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "rpc_identity.h"

/* Run the hook over the JSON text; returns the new text (malloc'd) or
 * NULL with a diagnostic. */
static char *upgrade_text(const char *type_name, const char *what,
			  int64_t version,
			  int (*hook)(int64_t, json_t *, tf_diags *),
			  const ProtobufCBinaryData *raw, tf_diags *d)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)raw->data, raw->len, 0, &jerr);
	char *text = NULL;

	if (!j) {
		tf_diags_error(d, NULL, "Corrupt state",
			       "The stored %s of this %s is not valid JSON: %s "
			       "(line %d).",
			       what, type_name, jerr.text, jerr.line);
		return NULL;
	}
	if (!json_is_object(j)) {
		tf_diags_error(d, NULL, "Corrupt state",
			       "The stored %s of this %s is not a JSON object. "
			       "Remove it with `terraform state rm` and import "
			       "the object again.",
			       what, type_name);
		json_decref(j);
		return NULL;
	}
	if (hook(version, j, d) == 0 && !tf_diags_has_error(d)) {
		text = json_dumps(j, JSON_COMPACT);
		if (!text)
			abort();
	}
	json_decref(j);
	return text;
}

tf_value *rpc_upgrade_raw(const char *type_name, const char *what,
			  int64_t version, int64_t current,
			  int (*hook)(int64_t, json_t *, tf_diags *),
			  tf_type *t, const ProtobufCBinaryData *raw,
			  tf_diags *d)
{
	char err[256] = "", *text = NULL;
	const char *buf = (const char *)raw->data;
	size_t blen = raw->len;
	tf_value *v = NULL;

	if (version > current) {
		tf_diags_error(d, NULL, "State written by a newer provider",
			       "The %s of this %s was written with version "
			       "%lld, but this provider only knows up to "
			       "version %lld. Upgrade the provider.",
			       what, type_name, (long long)version,
			       (long long)current);
		return NULL;
	}
	if (version < current) {
		if (!hook || version < 0) {
			tf_diags_error(d, NULL, "Unsupported state version",
				       "The %s of this %s has version %lld, "
				       "which this provider cannot upgrade (it "
				       "knows %s%lld). Remove it with "
				       "`terraform state rm` and import the "
				       "object again.",
				       what, type_name, (long long)version,
				       hook ? "versions 0 to " :
					      "only version ",
				       (long long)current);
			return NULL;
		}
		text = upgrade_text(type_name, what, version, hook, raw, d);
		if (!text)
			return NULL;
		buf = text;
		blen = strlen(text);
	}
	if (tf_json_decode(buf, blen, t, 1, &v, err, sizeof(err)) != TF_OK)
		tf_diags_error(d, NULL, "Corrupt state",
			       "The stored %s of this %s does not match its "
			       "schema: %s. Remove it with `terraform state rm` "
			       "and import the object again.",
			       what, type_name, err);
	free(text);
	return v;
}
