/* Conditions and readiness of Cluster API objects (see k8s_status.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_json.h"
#include "k8s_status.h"
#include "k8s_version.h"

/* ---- status -------------------------------------------------------------------- */

static const json_t *find_condition(const json_t *obj, const char *type)
{
	const json_t *conds = k8s_jget(obj, "status.conditions");
	size_t i;
	json_t *c;

	json_array_foreach (conds, i, c) {
		const char *t = k8s_jstr(c, "type");
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

int k8s_condition(const json_t *obj, const char *type)
{
	const char *s = k8s_jstr(find_condition(obj, type), "status");

	if (!s)
		return -1;
	if (strcmp(s, "True") == 0)
		return 1;
	if (strcmp(s, "False") == 0)
		return 0;
	return -1;
}

tf_value *k8s_conditions_value(const json_t *obj)
{
	tf_type *mt = tf_type_map(tf_type_string());
	tf_value *m = tf_value_map_new(mt);
	const json_t *conds = k8s_jget(obj, "status.conditions");
	size_t i;
	json_t *c;

	tf_type_unref(mt);
	json_array_foreach (conds, i, c) {
		const char *t = k8s_jstr(c, "type"), *s = k8s_jstr(c, "status");
		const char *msg = k8s_jstr(c, "message");
		char *v = NULL;

		if (!t || !m)
			continue;
		if (s && strcmp(s, "False") == 0 && msg && *msg)
			k8s_appendf(&v, "False: %s", msg);
		else
			k8s_appendf(&v, "%s", s ? s : "Unknown");
		if (v)
			tf_value_map_set(m, t, tf_value_string(v));
		free(v);
	}
	return m;
}

/* One line out of a multi-line condition message: "* A: x\n* B: y" ->
 * "A: x; B: y". Malloc'd. */
static char *flatten(const char *msg)
{
	size_t n = strlen(msg);
	char *out = malloc(n * 2 + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = msg; *p; p++) {
		bool line_start = p == msg || p[-1] == '\n';
		if (line_start && p[0] == '*' && p[1] == ' ') {
			p++;
			continue;
		}
		if (*p == '\n') {
			if (o > out && p[1]) {
				*o++ = ';';
				*o++ = ' ';
			}
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* Bound on the report: enough for dozens of machines. */
#define MAX_REPORT 12000

int k8s_false_conditions(const json_t *obj, const char *const *skip, char **buf)
{
	const json_t *conds = k8s_jget(obj, "status.conditions");
	const char *kind = k8s_jstr(obj, "kind"),
		   *name = k8s_jstr(obj, "metadata.name");
	int n = 0;
	size_t i;
	json_t *c;

	json_array_foreach (conds, i, c) {
		const char *t = k8s_jstr(c, "type"), *s = k8s_jstr(c, "status");
		const char *reason = k8s_jstr(c, "reason"),
			   *msg = k8s_jstr(c, "message");
		bool skipped = false;

		if (!t || !s || strcmp(s, "False") != 0)
			continue;
		for (const char *const *k = skip; k && *k; k++)
			skipped |= strcmp(*k, t) == 0;
		/* Negative-polarity conditions: False is the healthy state. */
		skipped |= strcmp(t, "RollingOut") == 0 ||
			   strcmp(t, "ScalingUp") == 0 ||
			   strcmp(t, "ScalingDown") == 0 ||
			   strcmp(t, "Deleting") == 0 ||
			   strcmp(t, "Paused") == 0 ||
			   strcmp(t, "Remediating") == 0;
		if (skipped)
			continue;
		if (*buf && strlen(*buf) > MAX_REPORT) {
			if (!strstr(*buf, "\n  (more conditions omitted)"))
				k8s_appendf(buf,
					    "\n  (more conditions omitted)");
			break;
		}
		k8s_appendf(buf, "\n  %s %s: %s=False%s%s%s%s",
			    kind ? kind : "object", name ? name : "", t,
			    reason ? " (" : "", reason ? reason : "",
			    reason ? ")" : "", "");
		if (msg && *msg) {
			char *flat = flatten(msg);
			k8s_appendf(buf, ": %s", flat ? flat : msg);
			free(flat);
		}
		n++;
	}
	return n;
}

bool k8s_cluster_paused(const json_t *cluster)
{
	return json_is_true(k8s_jget(cluster, "spec.paused")) ||
	       json_object_get(k8s_jget(cluster, "metadata.annotations"),
			       "cluster.x-k8s.io/paused") != NULL;
}

static bool generation_seen(const json_t *obj, const char *what, char **why)
{
	long gen = k8s_jint(obj, "metadata.generation", 0);
	long seen = k8s_jint(obj, "status.observedGeneration", -1);

	if (gen > 0 && seen != gen) {
		k8s_appendf(why,
			    "%s has not observed its latest spec yet "
			    "(generation %ld, observed %ld)",
			    what, gen, seen);
		return false;
	}
	return true;
}

bool k8s_cluster_ready(const json_t *cluster, const json_t *kcp,
		       const char *version, long replicas, char **why)
{
	static const char *const need[] = {
		"InfrastructureReady",
		"ControlPlaneAvailable",
		"RemoteConnectionProbe",
	};
	const json_t *versions;
	size_t i;
	json_t *v;

	*why = NULL;
	if (!cluster || !kcp) {
		k8s_appendf(why, "%s does not exist",
			    cluster ? "the KubeadmControlPlane" :
				      "the Cluster");
		return false;
	}
	if (!generation_seen(cluster, "the Cluster", why) ||
	    !generation_seen(kcp, "the KubeadmControlPlane", why))
		return false;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (k8s_condition(cluster, need[i]) != 1) {
			k8s_appendf(why, "Cluster condition %s is not True",
				    need[i]);
			return false;
		}
	if (k8s_jint(kcp, "status.readyReplicas", 0) != replicas ||
	    k8s_jint(kcp, "status.upToDateReplicas", 0) != replicas ||
	    k8s_jint(kcp, "status.replicas", 0) != replicas) {
		k8s_appendf(why,
			    "control plane has %ld/%ld/%ld replicas "
			    "(total/ready/up to date), want %ld",
			    k8s_jint(kcp, "status.replicas", 0),
			    k8s_jint(kcp, "status.readyReplicas", 0),
			    k8s_jint(kcp, "status.upToDateReplicas", 0),
			    replicas);
		return false;
	}
	if (k8s_condition(kcp, "RollingOut") == 1) {
		k8s_appendf(why, "control plane is rolling out");
		return false;
	}
	versions = k8s_jget(kcp, "status.versions");
	if (json_array_size(versions) == 0 && version) {
		k8s_appendf(why, "control plane reports no versions yet");
		return false;
	}
	json_array_foreach (versions, i, v) {
		const char *vv = k8s_jstr(v, "version");
		if (version && (!vv || !k8s_version_same(vv, version))) {
			k8s_appendf(why,
				    "control plane still runs %s (target %s)",
				    vv ? vv : "an unknown version", version);
			return false;
		}
	}
	return true;
}

bool k8s_pool_ready(const json_t *md, long replicas, char **why)
{
	static const char *const busy[] = { "RollingOut", "ScalingUp",
					    "ScalingDown" };
	const char *strategy;
	bool on_delete;

	*why = NULL;
	if (!md) {
		k8s_appendf(why, "the MachineDeployment does not exist");
		return false;
	}
	/* OnDelete: Cluster API replaces a machine only when someone deletes
	 * it, so out-of-date machines are the expected end state. */
	strategy = k8s_jstr(md, "spec.rollout.strategy.type");
	on_delete = strategy && strcmp(strategy, "OnDelete") == 0;
	if (!generation_seen(md, "the MachineDeployment", why))
		return false;
	if (replicas < 0)
		replicas = k8s_jint(md, "spec.replicas", 1);
	if (k8s_jint(md, "status.replicas", 0) != replicas ||
	    k8s_jint(md, "status.readyReplicas", 0) != replicas ||
	    k8s_jint(md, "status.availableReplicas", 0) != replicas ||
	    (!on_delete &&
	     k8s_jint(md, "status.upToDateReplicas", 0) != replicas)) {
		k8s_appendf(why,
			    "machines %ld/%ld/%ld/%ld (total/ready/available/up "
			    "to date), want %ld",
			    k8s_jint(md, "status.replicas", 0),
			    k8s_jint(md, "status.readyReplicas", 0),
			    k8s_jint(md, "status.availableReplicas", 0),
			    k8s_jint(md, "status.upToDateReplicas", 0),
			    replicas);
		return false;
	}
	if (k8s_condition(md, "Available") != 1) {
		k8s_appendf(why,
			    "MachineDeployment condition Available is not True");
		return false;
	}
	for (size_t i = on_delete ? 1 : 0; i < sizeof(busy) / sizeof(busy[0]);
	     i++)
		if (k8s_condition(md, busy[i]) == 1) {
			k8s_appendf(why, "MachineDeployment is %s", busy[i]);
			return false;
		}
	return true;
}
