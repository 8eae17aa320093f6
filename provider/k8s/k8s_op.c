/* Ownership markers, resume and refusal of foreign objects for the k8s
 * resources' creates (see k8s_op.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../log.h"
#include "k8s_objects.h"
#include "k8s_op.h"
#include "k8s_res.h"

void k8s_op_begin(k8s_op *op)
{
	unsigned char b[16];
	size_t i;

	memset(op, 0, sizeof(*op));
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* No entropy source: unique enough for one machine. */
		struct timespec ts;
		unsigned long long x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long long)ts.tv_sec * 1000000007ULL ^
		    (unsigned long long)ts.tv_nsec ^
		    ((unsigned long long)getpid() << 32) ^
		    (unsigned long long)(uintptr_t)op;
		for (i = 0; i < sizeof(b); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (unsigned char)(x >> 56);
		}
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(op->id + 2 * i, 3, "%02x", b[i]);
}

void k8s_op_done(k8s_op *op)
{
	for (size_t i = 0; i < op->n; i++)
		free(op->objs[i].name);
	op->n = 0;
}

static void record(k8s_op *op, const k8s_gvr *r, const char *name, bool posted)
{
	if (op->n >= K8S_OP_MAX_OBJECTS || !name)
		return;
	for (size_t i = 0; i < op->n; i++)
		if (op->objs[i].r == r && strcmp(op->objs[i].name, name) == 0)
			return;
	op->objs[op->n].name = strdup(name);
	if (!op->objs[op->n].name)
		return;
	op->objs[op->n].r = r;
	op->objs[op->n].posted = posted;
	op->n++;
}

/* ---- pure decisions ------------------------------------------------------ */

bool k8s_json_subset(const json_t *want, const json_t *live)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(want)) {
		if (!json_is_object(live))
			return false;
		json_object_foreach ((json_t *)want, k, v)
			if (!k8s_json_subset(v, json_object_get(live, k)))
				return false;
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(live) ||
		    json_array_size(live) != json_array_size(want))
			return false;
		json_array_foreach ((json_t *)want, i, v)
			if (!k8s_json_subset(v, json_array_get(live, i)))
				return false;
		return true;
	}
	return live && json_equal(want, live);
}

/* The create-id annotation of obj (annotation keys hold dots, so not
 * through k8s_jget's dotted path). */
static const char *create_id_of(const json_t *obj)
{
	return json_string_value(
		json_object_get(k8s_jget(obj, "metadata.annotations"),
				K8S_ANN_CREATE_ID));
}

k8s_ownership k8s_op_ownership(const json_t *want, const json_t *live,
			       const char *id, const char **why)
{
	const char *live_id = create_id_of(live);
	const char *mgr = json_string_value(
		json_object_get(k8s_jget(live, "metadata.labels"),
				K8S_LABEL_MANAGED));
	const char *k;
	json_t *v;

	if (why)
		*why = NULL;
	if (id && live_id && strcmp(id, live_id) == 0)
		return K8S_OWN_OURS;
	if (k8s_jstr(live, "metadata.deletionTimestamp")) {
		if (why)
			*why = "it is being deleted; apply again once it is gone";
		return K8S_OWN_FOREIGN;
	}
	if (!mgr || strcmp(mgr, K8S_MANAGER) != 0) {
		if (why)
			*why = "it was not made by this provider";
		return K8S_OWN_FOREIGN;
	}
	if (!live_id) {
		if (why)
			*why = "it was made by this provider and is recorded in a "
			       "Terraform state (this one's, if it was removed "
			       "from it, or another configuration's)";
		return K8S_OWN_FOREIGN;
	}
	/* An orphan of an interrupted create: resume it if it is what we
	 * want now (every field we send, same value; the server may add). */
	json_object_foreach ((json_t *)want, k, v) {
		if (strcmp(k, "metadata") == 0 || strcmp(k, "status") == 0 ||
		    strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0)
			continue;
		if (!k8s_json_subset(v, json_object_get(live, k)))
			goto differs;
	}
	if (!k8s_json_subset(k8s_jget(want, "metadata.labels"),
			     k8s_jget(live, "metadata.labels")) &&
	    k8s_jget(want, "metadata.labels"))
		goto differs;
	return K8S_OWN_RESUME;
differs:
	if (why)
		*why = "it was left by an interrupted create but no longer "
		       "matches the configuration";
	return K8S_OWN_FOREIGN;
}

/* ---- operations ------------------------------------------------------------ */

/* A copy of obj carrying this operation's create id. */
static json_t *marked(const k8s_op *op, const json_t *obj)
{
	json_t *o = json_deep_copy(obj), *md, *ann;

	if (!o)
		return NULL;
	md = json_object_get(o, "metadata");
	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(o, "metadata", md);
	}
	ann = json_object_get(md, "annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(md, "annotations", ann);
	}
	json_object_set_new(ann, K8S_ANN_CREATE_ID, json_string(op->id));
	return o;
}

static int post_marked(k8s_op *op, k8s_client *c, const k8s_gvr *r,
		       const char *ns, const json_t *obj, tfp_error *err)
{
	json_t *m = marked(op, obj);
	int rc;

	if (!m) {
		err->code = TFP_E_NOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return TFP_E_NOMEM;
	}
	rc = k8s_res_create(c, r, ns, m, err);
	json_decref(m);
	return rc;
}

/* Rewrite the create-id of an object we take over. */
static int take_over(k8s_op *op, k8s_client *c, const k8s_gvr *r,
		     const char *ns, const char *name, tfp_error *err)
{
	json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations",
				  K8S_ANN_CREATE_ID, op->id);
	int rc = patch ? k8s_merge_patch(c, r, ns, name, patch, 0, NULL, err) :
			 TFP_E_NOMEM;

	json_decref(patch);
	return rc;
}

int k8s_op_create(k8s_op *op, k8s_client *c, const k8s_gvr *r, const char *ns,
		  const json_t *obj, bool *resumed, tfp_error *err)
{
	const char *name = k8s_jstr(obj, "metadata.name");
	const char *why = NULL;
	json_t *live = NULL;
	tfp_error e2 = { 0 };
	int rc, tries = 0;

	if (resumed)
		*resumed = false;
again:
	rc = post_marked(op, c, r, ns, obj, err);
	if (rc == TFP_OK) {
		record(op, r, name, true);
		return TFP_OK;
	}
	if (rc != TFP_E_EXISTS)
		return rc;
	rc = k8s_get(c, r, ns, name, &live, &e2);
	if (rc == TFP_E_NOTFOUND && ++tries < 2) /* gone meanwhile: once more */
		goto again;
	if (rc != TFP_OK) {
		*err = e2;
		return rc;
	}
	switch (k8s_op_ownership(obj, live, op->id, &why)) {
	case K8S_OWN_OURS:
		record(op, r, name, true);
		rc = TFP_OK;
		break;
	case K8S_OWN_RESUME:
		tfp_info("resuming %s %s/%s left by an interrupted create",
			 r->kind, ns, name);
		rc = take_over(op, c, r, ns, name, err);
		if (rc == TFP_OK) {
			record(op, r, name, false);
			if (resumed)
				*resumed = true;
		}
		break;
	default:
		err->code = TFP_E_EXISTS;
		err->http_status = 409;
		snprintf(err->reason, sizeof(err->reason), "AlreadyExists");
		snprintf(err->message, sizeof(err->message),
			 "%s %s/%s already exists and this configuration did not "
			 "create it: %s",
			 r->kind, ns, name, why ? why : "unknown");
		err->ncauses = 0;
		rc = TFP_E_EXISTS;
	}
	json_decref(live);
	return rc;
}

int k8s_op_ensure(k8s_op *op, k8s_client *c, const k8s_gvr *r, const char *ns,
		  const json_t *obj, bool repair, tfp_error *err)
{
	const char *name = k8s_jstr(obj, "metadata.name");
	json_t *live = NULL;
	int rc = post_marked(op, c, r, ns, obj, err);

	if (rc == TFP_OK) {
		record(op, r, name, true);
		return TFP_OK;
	}
	if (rc != TFP_E_EXISTS)
		return rc;
	rc = k8s_get(c, r, ns, name, &live, err);
	if (rc)
		return rc;
	if (repair && !json_equal(json_object_get(live, "spec"),
				  json_object_get(obj, "spec"))) {
		json_object_set(live, "spec", json_object_get(obj, "spec"));
		rc = k8s_replace(c, r, ns, name, live, 0, NULL, err);
	}
	/* Still marked by a create that never reported (ours included): it
	 * goes into this state now, so release it with ours. */
	if (rc == TFP_OK && create_id_of(live))
		record(op, r, name, false);
	json_decref(live);
	return rc;
}

void k8s_op_release(k8s_op *op, k8s_client *c, const char *ns)
{
	char path[128];
	tfp_error err = { 0 };

	/* A JSON patch that removes the marker only if it is still ours. */
	snprintf(path, sizeof(path), "/metadata/annotations/%s",
		 "lxdcapi.terraform.io~1create-id");
	for (size_t i = 0; i < op->n; i++) {
		json_t *ops = json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "op",
					"test", "path", path, "value", op->id,
					"op", "remove", "path", path);
		int rc = ops ? k8s_json_patch(c, op->objs[i].r, ns,
					      op->objs[i].name, ops, 0, NULL,
					      &err) :
			       TFP_E_NOMEM;

		json_decref(ops);
		if (rc == TFP_E_CANCELLED || rc == TFP_E_TIMEOUT ||
		    rc == TFP_E_UNAVAILABLE) {
			tfp_debug("create markers left in place (%s): the objects are "
				  "in the state",
				  tfp_code_str(rc));
			return;
		}
	}
}

void k8s_op_undo(k8s_op *op, k8s_client *c, const char *ns)
{
	tfp_error err = { 0 };

	for (size_t i = op->n; i-- > 0;)
		if (op->objs[i].posted &&
		    k8s_res_delete(c, op->objs[i].r, ns, op->objs[i].name,
				   &err) != TFP_OK)
			tfp_warn("could not remove %s %s/%s after a failed create: %s",
				 op->objs[i].r->kind, ns, op->objs[i].name,
				 err.message);
}
