/* The contract between the RPC layer (provider/rpc) and the code for each
 * provider type, resource and data source (provider/lxd, provider/k8s).
 *
 * A resource file never touches protobuf or msgpack: it receives decoded
 * tf_values (config, prior, planned), returns tf_values, and reports problems
 * as diagnostics with attribute paths. All handlers may run concurrently on
 * different threads; the configured client must be safe for that.
 *
 * Value ownership follows schema/value.h: inputs are borrowed; *out values
 * are new references handed to the caller. */
#ifndef TFP_RESOURCE_H
#define TFP_RESOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "../schema/diag.h"
#include "../schema/plan.h"
#include "../schema/schema.h"
#include "../schema/value.h"

/* Per-call context handed to every handler. */
typedef struct tfp_ctx {
	void *client; /* the provider's configured client; NULL if
				   * ConfigureProvider has not run */
	const tf_schema
		*schema; /* compiled schema of this resource/data source */
	const char *type_name; /* e.g. "lxd_storage_pool" */
	atomic_int *stop;      /* non-zero once StopProvider was called: abort
				   * waits promptly with an error diagnostic */
	/* Private state: private_in is what Terraform handed back (borrowed,
	 * may be NULL). A handler that wants to store something else sets
	 * private_out to a malloc'd buffer (ownership passes to the RPC layer);
	 * if left NULL the RPC layer echoes private_in. */
	const uint8_t *private_in;
	size_t private_in_len;
	uint8_t *private_out;
	size_t private_out_len;
} tfp_ctx;

struct tfp_lister;
/* Where a state written by another provider comes from: a `moved` block
 * across providers or types (MoveResourceState, Terraform 1.8+), or a
 * state taken over with `terraform state replace-provider` and then
 * upgraded (UpgradeResourceState, any version). */
typedef struct tfp_foreign {
	const char *provider;  /* source provider address as sent: a full
				* address, or OpenTofu 1.10's local name;
				* NULL when not known (an upgrade) */
	const char *type_name; /* source resource type */
	int64_t version;       /* source schema version */
	bool moved;            /* a `moved` block, else an upgrade */
} tfp_foreign;

/* Results of tfp_resource.adopt. */
enum {
	TFP_ADOPT_REFUSED = -1,    /* a foreign state that cannot be taken over:
				 * an error diagnostic says why and what to do */
	TFP_ADOPT_NOT_FOREIGN = 0, /* not a shape it knows: the state is
				    * treated as the resource's own */
	TFP_ADOPT_DONE = 1,        /* rewritten into the current shape */
};

typedef struct tfp_resource {
	const char *type_name;
	int64_t version; /* schema version */
	const tf_block_def *schema;

	/* Optional extra validation (no client available). */
	void (*validate)(tfp_ctx *ctx, const tf_value *config, tf_diags *d);

	/* Optional hook after the generic planner (schema/plan.h), not called
	 * for destroy. prior is a null value on create. *planned has refcount
	 * 1 and may be modified in place or replaced. May consult the server
	 * (ctx->client) for plan-time errors. */
	void (*modify_plan)(tfp_ctx *ctx, const tf_value *prior,
			    const tf_value *config, tf_value **planned,
			    tf_paths *replace, tf_diags *d);

	/* Create the object. On success *new_state is the wholly known state.
	 * On failure after something real was created, set *new_state to a
	 * wholly known state describing what exists AND add an error: Terraform
	 * records it (tainted) so the object is never lost. */
	void (*create)(tfp_ctx *ctx, const tf_value *planned,
		       const tf_value *config, tf_value **new_state,
		       tf_diags *d);

	/* Refresh. Leave *new_state NULL when the object no longer exists. */
	void (*read)(tfp_ctx *ctx, const tf_value *state, tf_value **new_state,
		     tf_diags *d);

	/* Update in place. As for create, a partial failure returns the state
	 * that is now true together with an error. */
	void (*update)(tfp_ctx *ctx, const tf_value *prior,
		       const tf_value *planned, const tf_value *config,
		       tf_value **new_state, tf_diags *d);

	/* Delete. Treat "already gone" as success. */
	void (*remove)(tfp_ctx *ctx, const tf_value *prior, tf_diags *d);

	/* Import by user-supplied id. *state may be mostly null; ReadResource
	 * runs afterwards with the same private state. Import by identity
	 * (Terraform 1.12+) calls this too, with the id made of the
	 * identity's string attributes in identity-schema order, joined by
	 * '/' (an identity value containing '/' is refused first); a null
	 * optional attribute takes its identity-schema default
	 * (TF_OPTIONAL | TF_COMPUTED with default_json) or is left out, so
	 * `{project = "p", name = "n"}` imports as "p/n" and `{name = "n"}`
	 * as "default/n" with a "default" default. */
	void (*import)(tfp_ctx *ctx, const char *id, tf_value **state,
		       tf_diags *d);

	/* Optional: rewrite raw JSON state written by schema version
	 * `from_version` into the current shape, in place. Called only with
	 * 0 <= from_version < version and `state` a JSON object
	 * (rpc_upgrade_raw refuses anything else, naming the resource
	 * type and the way out). Without it, only the current version is
	 * accepted. */
	int (*upgrade)(int64_t from_version, json_t *state, tf_diags *d);

	/* Optional: take over a state another provider wrote (`src` says
	 * what is known of it). `state` is its raw JSON attributes object,
	 * rewritten in place into this resource's current shape, wholly
	 * known; no client is available (a move runs on an unconfigured
	 * provider), so the first refresh completes it. Returns one of
	 * TFP_ADOPT_*: decided on src->type_name and the attributes present,
	 * never on the provider address alone. */
	int (*adopt)(const tfp_foreign *src, json_t *state, tf_diags *d);
	/* Identity (Terraform 1.12+): NULL identity_schema = no identity. */
	const tf_block_def *identity_schema; /* attributes only, all
					      * required_for_import or
					      * optional_for_import:
					      * TF_REQUIRED marks the first,
					      * TF_OPTIONAL the second (with
					      * TF_COMPUTED and a default
					      * when one applies) */
	int64_t identity_version;
	/* Build the identity object from a wholly known state. *identity is a
	 * new value. The RPC layer also calls it on a planned state (unknowns
	 * then stay unknown: a create's identity may be unknown) and on the
	 * state import returns (identity attributes set, others may be
	 * null); provider/identity.h builds it from same-named attributes. */
	void (*identity)(tfp_ctx *ctx, const tf_value *state,
			 tf_value **identity, tf_diags *d);
	/* Optional: rewrite raw JSON identity of an older version in place
	 * (same pattern as upgrade). */
	int (*upgrade_identity)(int64_t from_version, json_t *identity,
				tf_diags *d);

	/* Optional (GenerateResourceConfig, Terraform 1.14+): the
	 * configuration a user would write for `state` (wholly known,
	 * non-null). *config is a new object of the schema type; attributes
	 * left null are not written. Without it, the RPC layer keeps the
	 * required and optional attributes of the state, drops computed-only
	 * ones and empty optional values (tf_schema_config_of_state). */
	void (*generate_config)(tfp_ctx *ctx, const tf_value *state,
				tf_value **config, tf_diags *d);

	/* Optional listing (Terraform 1.14+ `list` blocks, `terraform
	 * query`): only for a resource with an identity (Terraform refuses a
	 * list resource without one). list_schema is the `config` block of a
	 * `list` block (version 0, attributes only). `list` is called with a
	 * configured client and a wholly known config object of list_schema
	 * (never null: all-null attributes when the block is absent); it
	 * reports each object through l->emit as it finds it and stops as
	 * soon as emit says so. Errors go to d (the RPC layer sends them
	 * after the objects already emitted, and Terraform stops there). */
	const tf_block_def *list_schema;
	void (*list)(tfp_ctx *ctx, const tf_value *config, struct tfp_lister *l,
		     tf_diags *d);
} tfp_resource;

/* Where a resource's `list` hook sends the objects it finds: the RPC
 * layer's side of a ListResource stream (provider/rpc/rpc_list.c). */
typedef struct tfp_lister {
	/* The caller wants each object's full state. */
	bool include_resource;
	/* The most objects emit will take (> 0): a hint for page sizes. */
	int64_t limit;
	/* One object found. `display_name` is for humans ("project/name").
	 * `state` (borrowed) is an object of the resource's schema: when
	 * include_resource, the full state, exactly what `import` followed
	 * by `read` return (tfp_import_read), so importing the object later
	 * plans empty; otherwise at least the attributes its identity is
	 * built from (the others may be null). The lister derives the
	 * identity with the resource's `identity` hook.
	 * Returns 0 to go on, non-zero when the listing must end now: the
	 * request's limit reached, StopProvider, the client gone, or an
	 * error it already reported. The hook then returns at once, adding
	 * no diagnostics. A list that needs many requests checks it between
	 * them, so memory and time stay bounded by what is still wanted. */
	int (*emit)(struct tfp_lister *l, const char *display_name,
		    const tf_value *state);
	void *data; /* the lister's own */
} tfp_lister;

/* The state `terraform import` gives an object: the resource's `import`
 * of `id`, then its `read` with the private state import produced (what
 * Terraform does: ImportResourceState, then ReadResource). *out stays
 * NULL when the object is gone (no diagnostic) or on an error (in d).
 * ctx->private_in/out are left as they were. */
static inline void tfp_import_read(
	void (*import)(tfp_ctx *, const char *, tf_value **, tf_diags *),
	void (*read)(tfp_ctx *, const tf_value *, tf_value **, tf_diags *),
	const tfp_ctx *ctx, const char *id, tf_value **out, tf_diags *d)
{
	tfp_ctx sub = *ctx;
	tf_value *imported = NULL;
	uint8_t *priv;

	sub.private_in = NULL;
	sub.private_in_len = 0;
	sub.private_out = NULL;
	import(&sub, id, &imported, d);
	priv = sub.private_out;
	if (imported && !tf_diags_has_error(d)) {
		sub.private_in = priv;
		sub.private_in_len = sub.private_out_len;
		sub.private_out = NULL;
		read(&sub, imported, out, d);
		free(sub.private_out);
	}
	free(priv);
	tf_value_unref(imported);
}

/* The state that is true after an update failed half-way: the resource's
 * own `read` of `prior`, its diagnostics dropped (the failure itself was
 * reported). *out stays NULL when nothing can be read; the RPC layer then
 * keeps the prior state. */
static inline void tfp_reread(void (*read)(tfp_ctx *, const tf_value *,
					   tf_value **, tf_diags *),
			      tfp_ctx *ctx, const tf_value *prior,
			      tf_value **out)
{
	tf_diags ignore = TF_DIAGS_INIT;

	read(ctx, prior, out, &ignore);
	tf_diags_done(&ignore);
}

/* What a list hook does with each object it finds, `id` being the
 * object's import ID: with include_resource, the state of
 * tfp_import_read(import, read, id) (an object gone in the meantime is
 * skipped); otherwise `stub` (the identity attributes, the rest null).
 * Returns emit's answer (non-zero: stop listing), 0 for a skipped object,
 * 1 after an error (in d). `stub` is borrowed. */
static inline int tfp_list_object(tfp_lister *l, const tfp_ctx *ctx,
				  void (*import)(tfp_ctx *, const char *,
						 tf_value **, tf_diags *),
				  void (*read)(tfp_ctx *, const tf_value *,
					       tf_value **, tf_diags *),
				  const char *id, const char *display_name,
				  const tf_value *stub, tf_diags *d)
{
	tf_value *full = NULL;
	int rc;

	if (!l->include_resource)
		return l->emit(l, display_name, stub);
	tfp_import_read(import, read, ctx, id, &full, d);
	if (tf_diags_has_error(d)) {
		tf_value_unref(full);
		return 1;
	}
	if (!full)
		return 0;
	rc = l->emit(l, display_name, full);
	tf_value_unref(full);
	return rc;
}

typedef struct tfp_data_source {
	const char *type_name;
	const tf_block_def *schema;
	void (*validate)(tfp_ctx *ctx, const tf_value *config, tf_diags *d);
	/* Must return a wholly known, non-null state. */
	void (*read)(tfp_ctx *ctx, const tf_value *config, tf_value **state,
		     tf_diags *d);
} tfp_data_source;

/* An ephemeral resource (Terraform 1.10+ `ephemeral` blocks): opened during
 * every plan and apply that uses it, never stored in plan or state files.
 * `open` is only called with a configured client and a wholly known
 * configuration; before that the RPC layer answers with unknown computed
 * attributes (see provider/rpc/rpc_ephemeral.c). */
typedef struct tfp_ephemeral {
	const char *type_name;
	const tf_block_def *schema; /* version 0 */
	/* Optional extra validation (no client available). */
	void (*validate)(tfp_ctx *ctx, const tf_value *config, tf_diags *d);
	/* Open: set *result to a non-null object of the schema type, wholly
	 * known except, when the object cannot be read yet (it will exist at
	 * apply), top-level computed attributes the configuration leaves null,
	 * which may be unknown (the RPC layer rejects anything else with an
	 * error). Optionally
	 * set *renew_at (Unix seconds; 0 = never) to be called back through
	 * renew, and ctx->private_out: bytes handed to renew and close. */
	void (*open)(tfp_ctx *ctx, const tf_value *config, tf_value **result,
		     int64_t *renew_at, tf_diags *d);
	/* Optional renew: ctx->private_in is the latest private; may set a new
	 * private_out (else private_in is kept) and *renew_at (0 = stop). */
	void (*renew)(tfp_ctx *ctx, int64_t *renew_at, tf_diags *d);
	/* Optional close, with ctx->private_in. */
	void (*close)(tfp_ctx *ctx, tf_diags *d);
} tfp_ephemeral;

/* A provider function (Terraform 1.8+, OpenTofu 1.7+), called as
 * provider::<type>::<name>(...). Functions are pure: no client, no state.
 * Types are cty type JSON (e.g. "\"string\"", "\"dynamic\""). */
typedef struct tfp_func_param {
	const char *name;
	const char *type;
	const char *description; /* Markdown */
	bool allow_null;         /* else Terraform rejects null first */
} tfp_func_param;

typedef struct tfp_function {
	const char *name;
	const char *summary;
	const char *description; /* Markdown */
	const tfp_func_param *params;
	size_t nparams;
	const char *return_type;
	/* args[i] has params[i]'s type, wholly known (Terraform does not
	 * call a function with unknown arguments it does not allow). On
	 * success set *result (a new value of return_type) and return 0. On
	 * failure return -1 after writing a message into errbuf and, when it
	 * is one argument's fault, its index into *err_arg (else leave -1). */
	int (*call)(const tf_value *const *args, tf_value **result,
		    char *errbuf, size_t errlen, int64_t *err_arg);
} tfp_function;

/* One provider type served by this binary. */
typedef struct tfp_provider {
	const char *type;           /* "lxd" or "k8s" */
	const char *source_address; /* "registry.terraform.io/lxdcapi/lxd" */
	const tf_block_def *schema; /* provider configuration block */
	void (*validate)(const tf_value *config, tf_diags *d);
	/* Build the client from the provider config (may hold unknowns).
	 * Returns an opaque client owned by the RPC layer, or NULL with an
	 * error diagnostic. */
	void *(*configure)(const tf_value *config,
			   const char *terraform_version, atomic_int *stop,
			   tf_diags *d);
	void (*client_free)(void *client);
	const tfp_resource *const *resources;
	size_t nresources;
	const tfp_data_source *const *data_sources;
	size_t ndata_sources;
	const tfp_ephemeral *const *ephemerals; /* may be NULL */
	size_t nephemerals;
	const tfp_function *const *functions; /* may be NULL */
	size_t nfunctions;
} tfp_provider;

/* A provider type's tables (lxd_provider.c, k8s_provider.c) come from one
 * X-macro list of its types: each row names a tfp_resource (data source,
 * ephemeral) defined in its own file, and gives both the extern
 * declaration and the table entry:
 *	#define LXD_RESOURCES(X) X(lxd_storage_pool_resource) ...
 *	LXD_RESOURCES(TFP_EXTERN_RESOURCE)
 *	static const tfp_resource *const lxd_resources[] = {
 *		LXD_RESOURCES(TFP_ADDRESS_OF)
 *	};
 * so a new type is its file plus one row. */
#define TFP_EXTERN_RESOURCE(name) extern const tfp_resource name;
#define TFP_EXTERN_DATA_SOURCE(name) extern const tfp_data_source name;
#define TFP_EXTERN_EPHEMERAL(name) extern const tfp_ephemeral name;
#define TFP_ADDRESS_OF(name) &name,

/* Registered provider types (provider/registry.c). */
const tfp_provider *tfp_provider_lxd(void);
const tfp_provider *tfp_provider_k8s(void);
/* Pick the provider type from the executable name: basename starting with
 * "terraform-provider-lxd" -> lxd, "terraform-provider-k8s" -> k8s.
 * NULL if neither. */
const tfp_provider *tfp_provider_for_argv0(const char *argv0);

#endif
