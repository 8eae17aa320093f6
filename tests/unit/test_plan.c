/* Unit tests for schema/plan.c: the generic planner.
 *
 * Cases are a table over one representative resource schema: each gives the
 * prior state, the configuration and the expected planned state in relaxed
 * JSON (single quotes allowed; "<unk>" is an unknown value, "<unk!>" an
 * unknown refined as not null; absent object keys are null; absent
 * LIST/SET/MAP/GROUP blocks at the top level are filled in empty, as
 * Terraform sends them). The proposed new state is computed by a small
 * independent ProposedNew below.
 *
 * Every planner output goes through check_plan(), an independent
 * implementation of Terraform's objchange.AssertPlanValid plus the
 * RequiresReplace rules, so a plan Terraform would reject fails the test
 * even when the expected value in the table is wrong too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "provider/lxd/lxd_name.h"
#include "schema/diag.h"
#include "schema/plan.h"
#include "schema/schema.h"
#include "schema/tf_err.h"
#include "schema/value.h"

/* ---- the representative schema ------------------------------------------- */

static const char *const mode_values[] = { "fast", "slow", NULL };

static const tf_attr_def timeouts_attrs[] = {
	{ .name = "create", .type = "\"string\"", .flags = TF_OPTIONAL },
};
static const tf_block_def timeouts_block = {
	.attrs = timeouts_attrs,
	.nattrs = TF_COUNT(timeouts_attrs),
};

/* LIST block with a computed attribute, a default and a force-new one. */
static const tf_attr_def member_attrs[] = {
	{ .name = "name", .type = "\"string\"", .flags = TF_REQUIRED },
	{ .name = "pool",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_FORCE_NEW },
	{ .name = "role",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .default_json = "\"worker\"" },
	{ .name = "id", .type = "\"string\"", .flags = TF_COMPUTED },
	{ .name = "token",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY },
};
static const tf_block_def member_block = {
	.attrs = member_attrs,
	.nattrs = TF_COUNT(member_attrs),
};

static const tf_attr_def rule_attrs[] = {
	{ .name = "port", .type = "\"number\"", .flags = TF_REQUIRED },
	{ .name = "proto",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .default_json = "\"tcp\"" },
	{ .name = "uid", .type = "\"string\"", .flags = TF_COMPUTED },
};
static const tf_block_def rule_block = {
	.attrs = rule_attrs,
	.nattrs = TF_COUNT(rule_attrs),
};

static const tf_attr_def volume_attrs[] = {
	{ .name = "size", .type = "\"number\"", .flags = TF_REQUIRED },
	{ .name = "path", .type = "\"string\"", .flags = TF_COMPUTED },
};
static const tf_block_def volume_block = {
	.attrs = volume_attrs,
	.nattrs = TF_COUNT(volume_attrs),
};

static const tf_attr_def settings_attrs[] = {
	{ .name = "level", .type = "\"number\"", .flags = TF_OPTIONAL },
	{ .name = "effective", .type = "\"number\"", .flags = TF_COMPUTED },
};
static const tf_block_def settings_block = {
	.attrs = settings_attrs,
	.nattrs = TF_COUNT(settings_attrs),
};

static const tf_attr_def pool_attrs[] = {
	{ .name = "name",
	  .type = "\"string\"",
	  .flags = TF_REQUIRED | TF_FORCE_NEW,
	  .validate = lxd_validate_name },
	{ .name = "description",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .default_json = "\"\"" },
	{ .name = "config",
	  .type = "[\"map\",\"string\"]",
	  .flags = TF_OPTIONAL },
	{ .name = "member_config",
	  .type = "[\"map\",[\"map\",\"string\"]]",
	  .flags = TF_OPTIONAL },
	{ .name = "status", .type = "\"string\"", .flags = TF_COMPUTED },
	{ .name = "locations",
	  .type = "[\"list\",\"string\"]",
	  .flags = TF_COMPUTED },
	{ .name = "password",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY },
	{ .name = "mode",
	  .type = "\"string\"",
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .validate = tf_validate_one_of,
	  .validate_arg = mode_values },
};
static const tf_nested_block_def pool_blocks[] = {
	{ .type_name = "timeouts",
	  .nesting = TF_NEST_SINGLE,
	  .block = &timeouts_block },
	{ .type_name = "member",
	  .nesting = TF_NEST_LIST,
	  .block = &member_block,
	  .max_items = 3 },
	{ .type_name = "rule", .nesting = TF_NEST_SET, .block = &rule_block },
	{ .type_name = "volume",
	  .nesting = TF_NEST_MAP,
	  .block = &volume_block },
	{ .type_name = "settings",
	  .nesting = TF_NEST_GROUP,
	  .block = &settings_block },
};
static const tf_block_def pool_def = {
	.attrs = pool_attrs,
	.nattrs = TF_COUNT(pool_attrs),
	.blocks = pool_blocks,
	.nblocks = TF_COUNT(pool_blocks),
};

static tf_schema *S; /* compiled pool_def, set up once for the group */

/* ---- value builder -------------------------------------------------------- */

static tf_value *build(tf_type *t, json_t *j)
{
	const char *s = json_is_string(j) ? json_string_value(j) : NULL;
	tf_value *v = NULL;

	if (json_is_null(j))
		return tf_value_null(t);
	if (s && strcmp(s, "<unk>") == 0)
		return tf_value_unknown(t);
	if (s && strcmp(s, "<unk!>") == 0) {
		tf_refinement r = { .has_nullness = true, .not_null = true };

		return tf_value_unknown_refined(t, &r);
	}
	switch (tf_type_kind_of(t)) {
	case TF_T_STRING: return s ? tf_value_string(s) : NULL;
	case TF_T_NUMBER:
		if (json_is_integer(j))
			return tf_value_int(json_integer_value(j));
		return json_is_real(j) ? tf_value_double(json_real_value(j)) :
					 NULL;
	case TF_T_BOOL:
		return json_is_boolean(j) ? tf_value_bool(json_is_true(j)) :
					    NULL;
	case TF_T_LIST:
	case TF_T_SET: {
		size_t i;
		json_t *x;

		if (!json_is_array(j))
			return NULL;
		v = tf_type_kind_of(t) == TF_T_LIST ? tf_value_list_new(t) :
						      tf_value_set_new(t);
		json_array_foreach (j, i, x) {
			tf_value *e = build(tf_type_elem(t), x);

			if (!e || tf_value_list_append(v, e) != TF_OK)
				goto fail;
		}
		return v;
	}
	case TF_T_MAP: {
		const char *k;
		json_t *x;

		if (!json_is_object(j))
			return NULL;
		v = tf_value_map_new(t);
		json_object_foreach (j, k, x) {
			tf_value *e = build(tf_type_elem(t), x);

			if (!e || tf_value_map_set(v, k, e) != TF_OK)
				goto fail;
		}
		return v;
	}
	case TF_T_OBJECT: {
		const char *k;
		json_t *x;

		if (!json_is_object(j))
			return NULL;
		v = tf_value_object_new(t);
		json_object_foreach (j, k, x) {
			long i = tf_type_attr_index(t, k);
			tf_value *e;

			if (i < 0) {
				print_error("no attribute \"%s\"\n", k);
				goto fail;
			}
			e = build(tf_type_attr_type(t, (size_t)i), x);
			if (!e || tf_value_object_set(v, k, e) != TF_OK)
				goto fail;
		}
		return v;
	}
	default: return NULL;
	}
fail:
	tf_value_unref(v);
	return NULL;
}

static json_t *relaxed_json(const char *text)
{
	char *buf = strdup(text);
	json_error_t err;
	json_t *j;

	assert_non_null(buf);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(buf, JSON_DECODE_ANY, &err);
	if (!j)
		print_error("bad test JSON %s: %s\n", buf, err.text);
	free(buf);
	assert_non_null(j);
	return j;
}

/* Value of type t from relaxed JSON; asserts success. */
static tf_value *V(tf_type *t, const char *text)
{
	json_t *j = relaxed_json(text);
	tf_value *v = build(t, j);

	json_decref(j);
	if (!v)
		print_error("cannot build value from %s\n", text);
	assert_non_null(v);
	return v;
}

/* Resource object from relaxed JSON, NULL text = null object. Top-level
 * collection and group blocks default to empty. */
static tf_value *OBJ(const char *text)
{
	json_t *j, *base;
	tf_value *v;

	if (!text)
		return tf_value_null(tf_schema_type(S));
	j = relaxed_json(text);
	base = relaxed_json(
		"{'member':[],'rule':[],'volume':{},'settings':{}}");
	assert_int_equal(json_object_update_missing(j, base), 0);
	json_decref(base);
	v = build(tf_schema_type(S), j);
	json_decref(j);
	if (!v)
		print_error("cannot build object from %s\n", text);
	assert_non_null(v);
	return v;
}

static void print_value(const char *label, const tf_value *v)
{
	char *s = tf_value_debug_string(v);

	print_error("%s: %s\n", label, s ? s : "(null)");
	free(s);
}

static bool is_nullish(const tf_value *v)
{
	return !v || tf_value_is_null(v);
}

/* Equality where NULL (absent) equals a null value. */
static bool eq(const tf_value *a, const tf_value *b)
{
	if (!a || !b)
		return is_nullish(a) && is_nullish(b);
	return tf_value_equal(a, b);
}

static const tf_value *known(const tf_value *v)
{
	return v && tf_value_is_known(v) ? v : NULL;
}

static const tf_value *get(const tf_value *obj, const char *name)
{
	return obj && tf_value_is_known(obj) ? tf_value_attr(obj, name) : NULL;
}

/* ---- independent ProposedNew -------------------------------------------- */

/* Does prior set element pe correspond to config element ce? Compared on
 * the attributes the configuration decides. */
static bool set_elem_matches(const tf_block_def *b, const tf_value *pe,
			     const tf_value *ce)
{
	for (size_t i = 0; i < b->nattrs; i++) {
		const tf_attr_def *a = &b->attrs[i];
		const tf_value *cv = get(ce, a->name);

		if ((a->flags & (TF_COMPUTED | TF_OPTIONAL)) == TF_COMPUTED)
			continue;
		if ((a->flags & TF_COMPUTED) && is_nullish(cv))
			continue;
		if (!eq(cv, get(pe, a->name)))
			return false;
	}
	return true;
}

static tf_value *proposed_obj(const tf_block_def *b, const tf_value *prior,
			      const tf_value *config)
{
	tf_value *o = tf_value_object_new(tf_value_type(config));

	prior = known(prior);
	for (size_t i = 0; i < b->nattrs; i++) {
		const tf_attr_def *a = &b->attrs[i];
		const tf_value *cv = get(config, a->name), *v = cv;

		if ((a->flags & TF_COMPUTED) && tf_value_is_null(cv) && prior)
			v = get(prior, a->name);
		assert_int_equal(tf_value_object_set(o, a->name,
						     tf_value_ref(
							     (tf_value *)v)),
				 TF_OK);
	}
	for (size_t i = 0; i < b->nblocks; i++) {
		const tf_nested_block_def *nb = &b->blocks[i];
		const tf_value *cv = get(config, nb->type_name);
		const tf_value *pv = get(prior, nb->type_name);
		tf_type *t = tf_value_type(cv);
		tf_value *r = NULL;

		if (!tf_value_is_known(cv)) {
			r = tf_value_ref((tf_value *)cv);
		} else if (nb->nesting == TF_NEST_SINGLE ||
			   nb->nesting == TF_NEST_GROUP) {
			r = proposed_obj(nb->block, pv, cv);
		} else if (nb->nesting == TF_NEST_LIST ||
			   nb->nesting == TF_NEST_SET) {
			r = nb->nesting == TF_NEST_LIST ? tf_value_list_new(t) :
							  tf_value_set_new(t);
			for (size_t k = 0; k < tf_value_len(cv); k++) {
				const tf_value *ce = tf_value_index(cv, k),
					       *pe = NULL;

				if (nb->nesting == TF_NEST_LIST && known(pv) &&
				    k < tf_value_len(pv))
					pe = tf_value_index(pv, k);
				for (size_t m = 0;
				     nb->nesting == TF_NEST_SET && known(pv) &&
				     m < tf_value_len(pv) && !pe;
				     m++)
					if (set_elem_matches(nb->block,
							     tf_value_index(pv,
									    m),
							     ce))
						pe = tf_value_index(pv, m);
				assert_int_equal(tf_value_list_append(
							 r,
							 proposed_obj(nb->block,
								      pe, ce)),
						 TF_OK);
			}
		} else {
			r = tf_value_map_new(t);
			for (size_t k = 0; k < tf_value_len(cv); k++) {
				const char *key = tf_value_map_key(cv, k);
				const tf_value *pe =
					known(pv) ? tf_value_map_get(pv, key) :
						    NULL;

				assert_int_equal(
					tf_value_map_set(
						r, key,
						proposed_obj(nb->block, pe,
							     tf_value_map_value(
								     cv, k))),
					TF_OK);
			}
		}
		assert_int_equal(tf_value_object_set(o, nb->type_name, r),
				 TF_OK);
	}
	return o;
}

static tf_value *proposed_new(const tf_value *prior, const tf_value *config)
{
	if (tf_value_is_null(config))
		return tf_value_null(tf_schema_type(S));
	if (!tf_value_is_known(config))
		return tf_value_ref((tf_value *)config);
	return proposed_obj(&pool_def, prior, config);
}

/* ---- independent AssertPlanValid ------------------------------------------ */

static char chk_msgs[8192];
static size_t chk_len;
static int chk_count;

static void chk_err(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void chk_err(const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	chk_count++;
	if (chk_len >= sizeof(chk_msgs))
		return;
	n = snprintf(chk_msgs + chk_len, sizeof(chk_msgs) - chk_len,
		     "  %s: ", path[0] ? path : "(root)");
	if (n > 0)
		chk_len += (size_t)n;
	if (chk_len >= sizeof(chk_msgs))
		return;
	va_start(ap, fmt);
	n = vsnprintf(chk_msgs + chk_len, sizeof(chk_msgs) - chk_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		chk_len += (size_t)n;
	if (chk_len < sizeof(chk_msgs) - 1)
		chk_msgs[chk_len++] = '\n';
	chk_msgs[chk_len < sizeof(chk_msgs) ? chk_len : sizeof(chk_msgs) - 1] =
		'\0';
}

static void check_block(const tf_block_def *b, const tf_value *prior,
			const tf_value *config, const tf_value *planned,
			const char *path);

/* snprintf for checker paths; truncation of absurdly deep paths is fine. */
static void fmt_path(char *dst, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fmt_path(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

/* assertPlannedValueValid for one attribute. */
static void check_attr(const tf_attr_def *a, const tf_value *pv,
		       const tf_value *cv, const tf_value *nv, const char *path)
{
	bool computed = a->flags & TF_COMPUTED,
	     optional = a->flags & TF_OPTIONAL;

	if (a->flags & TF_WRITE_ONLY) {
		if (!is_nullish(nv))
			chk_err(path, "planned value for write-only attribute "
				      "must be null");
		return;
	}
	if (eq(nv, cv))
		return;
	if (eq(nv, pv) && !is_nullish(pv) && !is_nullish(cv))
		return;
	if (computed && !optional)
		return;
	if (is_nullish(cv) && computed)
		return;
	if (is_nullish(cv) && !is_nullish(nv)) {
		chk_err(path, "planned value for a non-computed attribute");
		return;
	}
	chk_err(path, "planned value does not match config value%s",
		is_nullish(pv) ? "" : " nor prior value");
}

static void check_nested(const tf_nested_block_def *nb, const tf_value *pv,
			 const tf_value *cv, const tf_value *nv,
			 const char *path)
{
	char sub[512];

	if (eq(nv, cv))
		return;
	if (cv && tf_value_is_unknown(cv)) {
		chk_err(path, "planned value for unknown dynamic block");
		return;
	}
	if (!nv || tf_value_is_unknown(nv)) {
		chk_err(path,
			"attribute representing nested block must not be unknown");
		return;
	}
	switch (nb->nesting) {
	case TF_NEST_SINGLE:
	case TF_NEST_GROUP: check_block(nb->block, pv, cv, nv, path); return;
	case TF_NEST_LIST:
	case TF_NEST_MAP:
	case TF_NEST_SET: {
		size_t nl, cl;

		if (tf_value_is_null(nv)) {
			chk_err(path,
				"nested block collection must be empty, not null");
			return;
		}
		nl = tf_value_len(nv);
		cl = is_nullish(cv) ? 0 : tf_value_len(cv);
		if (nb->nesting != TF_NEST_SET && nl != cl) {
			chk_err(path,
				"block count in plan (%zu) disagrees with count "
				"in config (%zu)",
				nl, cl);
			return;
		}
		for (size_t k = 0; k < nl; k++) {
			const tf_value *ne = nb->nesting == TF_NEST_MAP ?
						     tf_value_map_value(nv, k) :
						     tf_value_index(nv, k);
			const tf_value *ce, *pe = NULL;

			if (nb->nesting == TF_NEST_MAP)
				fmt_path(sub, sizeof(sub), "%s[\"%s\"]", path,
					 tf_value_map_key(nv, k));
			else
				fmt_path(sub, sizeof(sub), "%s[%zu]", path, k);
			if (!tf_value_is_known(ne)) {
				chk_err(sub,
					"element representing nested block must "
					"not be unknown itself");
				continue;
			}
			if (nb->nesting == TF_NEST_SET)
				continue; /* Terraform cannot correlate set elements */
			if (nb->nesting == TF_NEST_MAP) {
				ce = tf_value_map_get(cv,
						      tf_value_map_key(nv, k));
				if (!ce) {
					chk_err(sub,
						"block key from plan is not present "
						"in config");
					continue;
				}
				if (known(pv))
					pe = tf_value_map_get(
						pv, tf_value_map_key(nv, k));
			} else {
				ce = tf_value_index(cv, k);
				if (known(pv) && k < tf_value_len(pv))
					pe = tf_value_index(pv, k);
			}
			check_block(nb->block, pe, ce, ne, sub);
		}
		return;
	}
	}
}

static void check_block(const tf_block_def *b, const tf_value *prior,
			const tf_value *config, const tf_value *planned,
			const char *path)
{
	char sub[512];

	if (is_nullish(planned) && !is_nullish(config)) {
		chk_err(path, "planned for absence but config wants existence");
		return;
	}
	if (is_nullish(config) && !is_nullish(planned)) {
		chk_err(path, "planned for existence but config wants absence");
		return;
	}
	if (is_nullish(planned))
		return;
	if (!tf_value_is_known(planned)) {
		if (tf_value_is_known(config))
			chk_err(path,
				"planned object is unknown but config is known");
		return;
	}
	for (size_t i = 0; i < b->nattrs; i++) {
		const char *n = b->attrs[i].name;

		fmt_path(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			 n);
		if (!tf_value_attr(planned, n)) {
			chk_err(sub, "attribute missing from plan");
			continue;
		}
		check_attr(&b->attrs[i], get(prior, n), get(config, n),
			   get(planned, n), sub);
	}
	for (size_t i = 0; i < b->nblocks; i++) {
		const char *n = b->blocks[i].type_name;

		fmt_path(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			 n);
		check_nested(&b->blocks[i], get(prior, n), get(config, n),
			     get(planned, n), sub);
	}
}

/* Value at `p` inside v, or NULL when the path does not resolve. */
static const tf_value *resolve(const tf_value *v, const tf_path *p)
{
	for (size_t i = 0; v && i < p->n; i++) {
		const tf_path_step *st = &p->steps[i];

		if (!tf_value_is_known(v))
			return NULL;
		switch (st->kind) {
		case TF_STEP_ATTR: v = tf_value_attr(v, st->name); break;
		case TF_STEP_KEY_STRING:
			v = tf_value_map_get(v, st->name);
			break;
		case TF_STEP_KEY_INT:
			v = (st->index >= 0 &&
			     (size_t)st->index < tf_value_len(v)) ?
				    tf_value_index(v, (size_t)st->index) :
				    NULL;
			break;
		}
	}
	return v;
}

/* The whole check: conformance, AssertPlanValid, RequiresReplace and our
 * replacement rule. Fails the test with every problem listed. */
static void check_plan(const tf_value *prior, const tf_value *config,
		       const tf_value *planned, const tf_paths *replace)
{
	tf_type *t = tf_schema_type(S);

	chk_len = 0;
	chk_count = 0;
	chk_msgs[0] = '\0';
	if (!tf_value_conforms(planned, t))
		chk_err("",
			"planned value does not conform to the schema type");
	check_block(&pool_def, prior, config, planned, "");
	if (tf_value_is_null(prior) && replace->n)
		chk_err("", "requires_replace on create");
	for (size_t i = 0; i < replace->n; i++) {
		const tf_value *a = resolve(prior, &replace->items[i]);
		const tf_value *b = resolve(planned, &replace->items[i]);
		char *ps = tf_path_to_string(&replace->items[i]);

		if (!a && !b)
			chk_err(ps ? ps : "?",
				"requires_replace path absent in both");
		else if (b && tf_value_is_wholly_known(b) && eq(a, b))
			chk_err(ps ? ps : "?",
				"requires_replace path did not change");
		free(ps);
	}
	/* After a replacement every computed attribute not set in config and
	 * without a default is unknown. */
	if (replace->n && tf_value_is_known(planned)) {
		for (size_t i = 0; i < pool_def.nattrs; i++) {
			const tf_attr_def *a = &pool_def.attrs[i];

			if ((a->flags & TF_COMPUTED) && !a->default_json &&
			    is_nullish(get(config, a->name)) &&
			    !tf_value_is_unknown(get(planned, a->name)))
				chk_err(a->name,
					"computed attribute not unknown "
					"after replacement");
		}
	}
	if (chk_count) {
		print_error("plan rejected by checker:\n%s", chk_msgs);
		print_value("prior", prior);
		print_value("config", config);
		print_value("planned", planned);
		fail();
	}
}

/* ---- running the planner ----------------------------------------------- */

typedef struct plan_out {
	tf_value *prior, *config, *proposed, *planned;
	tf_paths replace;
	tf_diags diags;
	int rc;
} plan_out;

static void plan_run(plan_out *o, const char *prior, const char *config)
{
	memset(o, 0, sizeof(*o));
	o->prior = OBJ(prior);
	o->config = OBJ(config);
	o->proposed = proposed_new(o->prior, o->config);
	o->rc = tf_plan_resource(S, o->prior, o->proposed, o->config,
				 &o->planned, &o->replace, &o->diags);
	if (o->rc != TF_OK && o->diags.n)
		print_error("planner: %s: %s\n", o->diags.items[0].summary,
			    o->diags.items[0].detail);
	assert_int_equal(o->rc, TF_OK);
	assert_false(tf_diags_has_error(&o->diags));
	assert_non_null(o->planned);
	check_plan(o->prior, o->config, o->planned, &o->replace);
}

static void plan_done(plan_out *o)
{
	tf_value_unref(o->prior);
	tf_value_unref(o->config);
	tf_value_unref(o->proposed);
	tf_value_unref(o->planned);
	tf_paths_done(&o->replace);
	tf_diags_done(&o->diags);
}

static void assert_value_eq(const tf_value *want, const tf_value *got)
{
	if (!tf_value_equal(want, got)) {
		print_value("expected", want);
		print_value("got     ", got);
		fail();
	}
}

/* Comma-separated rendering of the replace paths. */
static void assert_paths(const tf_paths *ps, const char *want)
{
	char buf[1024] = "";
	size_t len = 0;

	for (size_t i = 0; i < ps->n; i++) {
		char *s = tf_path_to_string(&ps->items[i]);

		assert_non_null(s);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? "," : "", s);
		free(s);
		assert_true(len < sizeof(buf));
	}
	assert_string_equal(buf, want);
}

/* ---- table ------------------------------------------------------------- */

/* An existing pool as stored in state, and the configuration that produced
 * it. */
#define PRIOR0                                                                           \
	"{'name':'pool1','description':'','config':{'size':'10GB','x':'1'},"             \
	"'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}}," \
	"'status':'Created','locations':['node1','node2'],'mode':'fast',"                \
	"'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"               \
	"'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"                                \
	"'volume':{'v1':{'size':5,'path':'/v1'}},"                                       \
	"'settings':{'effective':3}}"

#define CONFIG0_ATTRS                                                                    \
	"'config':{'size':'10GB','x':'1'},"                                              \
	"'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}}," \
	"'password':'s3cret'"
#define CONFIG0_BLOCKS                                                         \
	"'member':[{'name':'m1','pool':'p','token':'t'}],"                     \
	"'rule':[{'port':22}],'volume':{'v1':{'size':5}}"
#define CONFIG0_BODY CONFIG0_ATTRS "," CONFIG0_BLOCKS

#define CONFIG0 "{'name':'pool1'," CONFIG0_BODY "}"

/* Everything computed is unknown: the shape of a brand new object. */
#define FRESH_BODY                                                                       \
	"'description':'','status':'<unk>','locations':'<unk>','mode':'<unk>',"          \
	"'config':{'size':'10GB','x':'1'},"                                              \
	"'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}}," \
	"'member':[{'name':'m1','pool':'p','role':'worker','id':'<unk>'}],"              \
	"'rule':[{'port':22,'proto':'tcp','uid':'<unk>'}],"                              \
	"'volume':{'v1':{'size':5,'path':'<unk>'}},"                                     \
	"'settings':{'effective':'<unk>'}"

typedef struct plan_case {
	const char *name;
	const char *prior;   /* NULL: create */
	const char *config;  /* NULL: destroy */
	const char *expect;  /* NULL: null plan */
	const char *replace; /* rendered paths, comma-separated */
	bool changes;
} plan_case;

static const plan_case cases[] = {
	{ .name = "create: computed unknown, defaults applied, write-only null",
	  .prior = NULL,
	  .config = CONFIG0,
	  .expect = "{'name':'pool1'," FRESH_BODY "}",
	  .replace = "",
	  .changes = true },
	{ .name = "create: unknown config values stay unknown",
	  .prior = NULL,
	  .config =
		  "{'name':'<unk!>','description':'<unk>','config':{'size':'<unk>'},"
		  "'member_config':'<unk>','password':'<unk>',"
		  "'member':[{'name':'<unk>','role':'<unk!>'}],'rule':'<unk>'}",
	  .expect =
		  "{'name':'<unk>','description':'<unk>','config':{'size':'<unk>'},"
		  "'member_config':'<unk>','status':'<unk>','locations':'<unk>',"
		  "'mode':'<unk>','member':[{'name':'<unk>','role':'<unk>','id':'<unk>'}],"
		  "'rule':'<unk>','settings':{'effective':'<unk>'}}",
	  .replace = "",
	  .changes = true },
	{ .name = "create: empty config, blocks empty not null",
	  .prior = NULL,
	  .config = "{'name':'p'}",
	  .expect =
		  "{'name':'p','description':'','status':'<unk>','locations':'<unk>',"
		  "'mode':'<unk>','settings':{'effective':'<unk>'}}",
	  .replace = "",
	  .changes = true },
	{ .name = "no-op update: planned equals prior",
	  .prior = PRIOR0,
	  .config = CONFIG0,
	  .expect = PRIOR0,
	  .replace = "",
	  .changes = false },
	{ .name = "in-place update: description, computed keep prior",
	  .prior = PRIOR0,
	  .config =
		  "{'name':'pool1','description':'hello','mode':'slow'," CONFIG0_BODY
		  "}",
	  .expect =
		  "{'name':'pool1','description':'hello','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'status':'Created','locations':['node1','node2'],'mode':'slow',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"
		  "'volume':{'v1':{'size':5,'path':'/v1'}},'settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	{ .name = "removing an optional+computed attribute with a default",
	  .prior = "{'name':'pool1','description':'old','status':'Created',"
		   "'locations':[],'mode':'fast','settings':{'effective':3}}",
	  .config = "{'name':'pool1'}",
	  .expect = "{'name':'pool1','description':'','status':'Created',"
		    "'locations':[],'mode':'fast','settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	{ .name = "force-new change: replace, computed unknown",
	  .prior = PRIOR0,
	  .config = "{'name':'pool2'," CONFIG0_BODY "}",
	  .expect = "{'name':'pool2'," FRESH_BODY "}",
	  .replace = "name",
	  .changes = true },
	{ .name = "force-new change to an unknown value",
	  .prior = PRIOR0,
	  .config = "{'name':'<unk>'," CONFIG0_BODY "}",
	  .expect = "{'name':'<unk>'," FRESH_BODY "}",
	  .replace = "name",
	  .changes = true },
	{ .name = "force-new attribute inside a LIST block element",
	  .prior = PRIOR0,
	  .config =
		  "{'name':'pool1','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'member':[{'name':'m1','pool':'q'}],"
		  "'rule':[{'port':22}],'volume':{'v1':{'size':5}}}",
	  .expect =
		  "{'name':'pool1','description':'','status':'<unk>','locations':'<unk>',"
		  "'mode':'<unk>','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'member':[{'name':'m1','pool':'q','role':'worker','id':'<unk>'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'<unk>'}],"
		  "'volume':{'v1':{'size':5,'path':'<unk>'}},'settings':{'effective':'<unk>'}}",
	  .replace = "member[0].pool",
	  .changes = true },
	{ .name = "destroy: null plan",
	  .prior = PRIOR0,
	  .config = NULL,
	  .expect = NULL,
	  .replace = "",
	  .changes = true },
	{ .name = "map key removal",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1','config':{'size':'10GB'},"
		    "'member_config':{'node1':{'source':'/dev/sdb'}},"
		    "'member':[{'name':'m1','pool':'p'}],"
		    "'rule':[{'port':22}],'volume':{'v1':{'size':5}}}",
	  .expect =
		  "{'name':'pool1','description':'','config':{'size':'10GB'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'}},"
		  "'status':'Created','locations':['node1','node2'],'mode':'fast',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"
		  "'volume':{'v1':{'size':5,'path':'/v1'}},'settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	{ .name = "optional map removed from config plans null",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1','member':[{'name':'m1','pool':'p'}],"
		    "'rule':[{'port':22}],'volume':{'v1':{'size':5}}}",
	  .expect =
		  "{'name':'pool1','description':'','status':'Created',"
		  "'locations':['node1','node2'],'mode':'fast',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"
		  "'volume':{'v1':{'size':5,'path':'/v1'}},'settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	{ .name = "blocks: add list element, set element and map key",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1'," CONFIG0_ATTRS ","
		    "'member':[{'name':'m1','pool':'p'},{'name':'m2'}],"
		    "'rule':[{'port':22},{'port':80,'proto':'udp'}],"
		    "'volume':{'v1':{'size':5},'v2':{'size':7}}}",
	  .expect =
		  "{'name':'pool1','description':'','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'status':'Created','locations':['node1','node2'],'mode':'fast',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'},"
		  "{'name':'m2','role':'worker','id':'<unk>'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'},"
		  "{'port':80,'proto':'udp','uid':'<unk>'}],"
		  "'volume':{'v1':{'size':5,'path':'/v1'},'v2':{'size':7,'path':'<unk>'}},"
		  "'settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	{ .name = "blocks: remove set and map blocks, collections empty not null",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1','member':[{'name':'m1','pool':'p'}]}",
	  .expect =
		  "{'name':'pool1','description':'','status':'Created',"
		  "'locations':['node1','node2'],'mode':'fast',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	/* Force-new inside a block element follows SDK ForceNew semantics:
	 * removing (or adding) an element whose force-new attribute is set
	 * changes that value, so the object is replaced. */
	{ .name = "removing a LIST element with a force-new value replaces",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1'}",
	  .expect =
		  "{'name':'pool1','description':'','status':'<unk>',"
		  "'locations':'<unk>','mode':'<unk>','settings':{'effective':'<unk>'}}",
	  .replace = "member[0].pool",
	  .changes = true },
	{ .name = "blocks: null collections in config plan empty",
	  .prior = NULL,
	  .config = "{'name':'p','member':null,'rule':null,'volume':null}",
	  .expect =
		  "{'name':'p','description':'','status':'<unk>','locations':'<unk>',"
		  "'mode':'<unk>','settings':{'effective':'<unk>'}}",
	  .replace = "",
	  .changes = true },
	{ .name = "dynamic MAP block with unknown for_each stays unknown",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1'," CONFIG0_ATTRS
		    ",'member':[{'name':'m1','pool':'p'}],"
		    "'rule':[{'port':22}],'volume':'<unk>'}",
	  .expect =
		  "{'name':'pool1','description':'','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'status':'Created','locations':['node1','node2'],'mode':'fast',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"
		  "'volume':'<unk>','settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	/* member has a force-new attribute (pool): an unknown collection
	 * may change it, so the object is replaced. */
	{ .name = "unknown LIST block with a force-new attribute replaces",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1'," CONFIG0_ATTRS ",'member':'<unk>',"
		    "'rule':[{'port':22}],'volume':{'v1':{'size':5}}}",
	  .expect =
		  "{'name':'pool1','description':'','status':'<unk>','locations':'<unk>',"
		  "'mode':'<unk>','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'member':'<unk>','rule':[{'port':22,'proto':'tcp','uid':'<unk>'}],"
		  "'volume':{'v1':{'size':5,'path':'<unk>'}},'settings':{'effective':'<unk>'}}",
	  .replace = "member",
	  .changes = true },
	{ .name = "single block timeouts added in place",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1'," CONFIG0_BODY
		    ",'timeouts':{'create':'10m'}}",
	  .expect =
		  "{'name':'pool1','description':'','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'status':'Created','locations':['node1','node2'],'mode':'fast',"
		  "'timeouts':{'create':'10m'},"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"
		  "'volume':{'v1':{'size':5,'path':'/v1'}},'settings':{'effective':3}}",
	  .replace = "",
	  .changes = true },
	{ .name = "group block: optional set, computed keeps prior",
	  .prior = PRIOR0,
	  .config = "{'name':'pool1'," CONFIG0_BODY ",'settings':{'level':2}}",
	  .expect =
		  "{'name':'pool1','description':'','config':{'size':'10GB','x':'1'},"
		  "'member_config':{'node1':{'source':'/dev/sdb'},'node2':{'source':'/dev/sdc'}},"
		  "'status':'Created','locations':['node1','node2'],'mode':'fast',"
		  "'member':[{'name':'m1','pool':'p','role':'worker','id':'id-1'}],"
		  "'rule':[{'port':22,'proto':'tcp','uid':'u22'}],"
		  "'volume':{'v1':{'size':5,'path':'/v1'}},"
		  "'settings':{'level':2,'effective':3}}",
	  .replace = "",
	  .changes = true },
};

static void test_plan_case(void **state)
{
	const plan_case *c = *state;
	plan_out o;
	tf_value *want;

	plan_run(&o, c->prior, c->config);
	want = c->expect ? OBJ(c->expect) : tf_value_null(tf_schema_type(S));
	assert_value_eq(want, o.planned);
	assert_paths(&o.replace, c->replace);
	assert_int_equal(tf_plan_has_changes(o.prior, o.planned), c->changes);
	tf_value_unref(want);
	plan_done(&o);
}

/* ---- focused tests ------------------------------------------------------- */

static void test_plan_refinement_kept(void **state)
{
	plan_out o;
	const tf_refinement *r;

	(void)state;
	plan_run(&o, NULL, "{'name':'<unk!>'}");
	r = tf_value_refinement(tf_value_attr(o.planned, "name"));
	assert_non_null(r);
	assert_true(r->has_nullness && r->not_null);
	plan_done(&o);
}

static void test_plan_refcount_one(void **state)
{
	plan_out o;

	(void)state;
	/* The hook API needs a planned object it may modify in place. */
	plan_run(&o, PRIOR0, CONFIG0);
	assert_int_equal(tf_plan_mark_unknown(S, o.planned, "status"), TF_OK);
	assert_true(tf_value_is_unknown(tf_value_attr(o.planned, "status")));
	assert_true(tf_plan_attr_changed(o.prior, o.planned, "status"));
	assert_false(tf_plan_attr_changed(o.prior, o.planned, "name"));
	assert_true(tf_plan_has_changes(o.prior, o.planned));
	check_plan(o.prior, o.config, o.planned, &o.replace);
	assert_int_equal(tf_plan_set(o.planned, "locations",
				     V(tf_schema_attr_type(S, 5), "['a']")),
			 TF_OK);
	assert_true(tf_plan_attr_changed(o.prior, o.planned, "locations"));
	/* Refusals. */
	assert_int_equal(tf_plan_mark_unknown(S, o.planned, "nope"),
			 TF_E_NOTFOUND);
	assert_int_equal(tf_plan_mark_unknown(S, o.planned, "name"),
			 TF_E_INVALID);
	assert_int_equal(tf_plan_mark_unknown(S, o.planned, "member"),
			 TF_E_NOTFOUND);
	assert_int_equal(tf_plan_set(o.planned, "nope", tf_value_string("x")),
			 TF_E_NOTFOUND);
	assert_false(tf_plan_attr_changed(NULL, o.planned, "name"));
	plan_done(&o);
}

static void test_plan_attr_changed_create(void **state)
{
	plan_out o;

	(void)state;
	plan_run(&o, NULL, CONFIG0);
	assert_false(tf_plan_attr_changed(o.prior, o.planned, "name"));
	assert_false(tf_plan_attr_changed(o.prior, o.planned, "status"));
	plan_done(&o);
}

static void test_plan_write_only_null_everywhere(void **state)
{
	plan_out o;

	(void)state;
	plan_run(&o, PRIOR0, CONFIG0);
	assert_true(tf_value_is_null(tf_value_attr(o.planned, "password")));
	assert_true(tf_value_is_null(
		tf_value_attr(tf_value_index(tf_value_attr(o.planned, "member"),
					     0),
			      "token")));
	plan_done(&o);
}

/* Fill unknowns like a successful apply would. */
static tf_value *apply_fill(const tf_value *v)
{
	tf_type *t = tf_value_type(v);
	tf_value *r = NULL;

	if (tf_value_is_unknown(v)) {
		switch (tf_type_kind_of(t)) {
		case TF_T_STRING: return tf_value_string("applied");
		case TF_T_NUMBER: return tf_value_int(7);
		case TF_T_BOOL: return tf_value_bool(true);
		case TF_T_LIST: return tf_value_list_new(t);
		case TF_T_SET: return tf_value_set_new(t);
		case TF_T_MAP: return tf_value_map_new(t);
		default: return tf_value_object_new(t);
		}
	}
	if (!tf_value_is_known(v))
		return tf_value_ref((tf_value *)v);
	switch (tf_type_kind_of(t)) {
	case TF_T_LIST:
	case TF_T_SET:
		r = tf_type_kind_of(t) == TF_T_LIST ? tf_value_list_new(t) :
						      tf_value_set_new(t);
		for (size_t i = 0; i < tf_value_len(v); i++)
			assert_int_equal(tf_value_list_append(
						 r,
						 apply_fill(
							 tf_value_index(v, i))),
					 TF_OK);
		return r;
	case TF_T_MAP:
		r = tf_value_map_new(t);
		for (size_t i = 0; i < tf_value_len(v); i++)
			assert_int_equal(
				tf_value_map_set(
					r, tf_value_map_key(v, i),
					apply_fill(tf_value_map_value(v, i))),
				TF_OK);
		return r;
	case TF_T_OBJECT:
		r = tf_value_object_new(t);
		for (size_t i = 0; i < tf_type_attr_count(t); i++) {
			const char *n = tf_type_attr_name(t, i);

			assert_int_equal(tf_value_object_set(
						 r, n,
						 apply_fill(
							 tf_value_attr(v, n))),
					 TF_OK);
		}
		return r;
	default: return tf_value_ref((tf_value *)v);
	}
}

/* create -> apply -> plan again with the same config: no changes. And the
 * same after an update and after a replacement. */
static void test_plan_converges(void **state)
{
	static const char *const configs[] = {
		CONFIG0,
		"{'name':'pool1','description':'d','mode':'slow'," CONFIG0_ATTRS
		",'timeouts':{'create':'1m'},'settings':{'level':1},"
		"'member':[{'name':'a'},{'name':'b','pool':'x','role':'lead'}],"
		"'rule':[{'port':1},{'port':2,'proto':'udp'}],"
		"'volume':{'a':{'size':1},'b':{'size':2}}}",
		"{'name':'pool9'}",
	};
	tf_value *state_v = tf_value_null(tf_schema_type(S));

	(void)state;
	for (size_t i = 0; i < TF_COUNT(configs); i++) {
		tf_value *config = OBJ(configs[i]), *proposed, *planned = NULL,
			 *next;
		tf_paths replace = { 0 };
		tf_diags d = TF_DIAGS_INIT;

		proposed = proposed_new(state_v, config);
		assert_int_equal(tf_plan_resource(S, state_v, proposed, config,
						  &planned, &replace, &d),
				 TF_OK);
		check_plan(state_v, config, planned, &replace);
		next = apply_fill(planned);
		tf_value_unref(proposed);
		tf_value_unref(planned);
		tf_paths_done(&replace);
		tf_value_unref(state_v);
		state_v = next;

		/* Re-plan: nothing to do. */
		proposed = proposed_new(state_v, config);
		assert_int_equal(tf_plan_resource(S, state_v, proposed, config,
						  &planned, &replace, &d),
				 TF_OK);
		check_plan(state_v, config, planned, &replace);
		assert_value_eq(state_v, planned);
		assert_false(tf_plan_has_changes(state_v, planned));
		assert_int_equal(replace.n, 0);
		assert_false(tf_diags_has_error(&d));
		tf_value_unref(proposed);
		tf_value_unref(planned);
		tf_value_unref(config);
		tf_paths_done(&replace);
		tf_diags_done(&d);
	}
	tf_value_unref(state_v);
}

static void test_plan_rejects_bad_input(void **state)
{
	tf_value *prior = OBJ(NULL), *config = tf_value_string("x"),
		 *planned = NULL;
	tf_value *unk = tf_value_unknown(tf_schema_type(S)),
		 *good = OBJ(CONFIG0);
	tf_paths replace = { 0 };
	tf_diags d = TF_DIAGS_INIT;

	(void)state;
	assert_int_equal(tf_plan_resource(S, prior, config, config, &planned,
					  &replace, &d),
			 TF_E_INVALID);
	assert_null(planned);
	assert_true(tf_diags_has_error(&d));
	tf_diags_done(&d);
	/* Unknown prior state. */
	assert_int_equal(tf_plan_resource(S, unk, good, good, &planned,
					  &replace, &d),
			 TF_E_INVALID);
	assert_null(planned);
	tf_diags_done(&d);
	/* Null config with non-null proposed. */
	assert_int_equal(tf_plan_resource(S, prior, good, prior, &planned,
					  &replace, &d),
			 TF_E_INVALID);
	assert_null(planned);
	assert_int_equal(replace.n, 0);
	tf_diags_done(&d);
	/* Wholly unknown config plans a wholly unknown object. */
	assert_int_equal(tf_plan_resource(S, prior, unk, unk, &planned,
					  &replace, &d),
			 TF_OK);
	assert_true(tf_value_is_unknown(planned));
	tf_value_unref(planned);
	tf_diags_done(&d);
	tf_value_unref(prior);
	tf_value_unref(config);
	tf_value_unref(unk);
	tf_value_unref(good);
}

/* The checker must itself catch invalid plans, or it proves nothing. */
static void test_checker_catches_bad_plans(void **state)
{
	static const struct {
		const char *prior, *config, *planned;
	} bad[] = {
		/* non-computed attribute changed */
		{ NULL, "{'name':'a'}",
		  "{'name':'b','description':'',"
		  "'status':'<unk>','locations':'<unk>','mode':'<unk>'}" },
		/* planned value for optional non-computed with null config */
		{ NULL, "{'name':'a'}",
		  "{'name':'a','config':{},"
		  "'status':'<unk>','locations':'<unk>','mode':'<unk>'}" },
		/* write-only not null */
		{ NULL, "{'name':'a','password':'p'}",
		  "{'name':'a','password':'p'}" },
		/* list block element count differs */
		{ NULL, "{'name':'a','member':[{'name':'m'}]}",
		  "{'name':'a'}" },
		/* nested block collection null */
		{ NULL, "{'name':'a'}", "{'name':'a','member':null}" },
		/* block element unknown */
		{ NULL, "{'name':'a','member':[{'name':'m'}]}",
		  "{'name':'a','member':['<unk>']}" },
		/* map block key mismatch */
		{ NULL, "{'name':'a','volume':{'x':{'size':1}}}",
		  "{'name':'a','volume':{'y':{'size':1}}}" },
		/* single block present but absent in config */
		{ NULL, "{'name':'a'}", "{'name':'a','timeouts':{}}" },
		/* unknown for a non-computed attribute with known config */
		{ PRIOR0, CONFIG0, "{'name':'<unk>'}" },
	};

	(void)state;
	for (size_t i = 0; i < TF_COUNT(bad); i++) {
		tf_value *prior = OBJ(bad[i].prior),
			 *config = OBJ(bad[i].config);
		tf_value *planned = OBJ(bad[i].planned);

		chk_len = 0;
		chk_count = 0;
		check_block(&pool_def, prior, config, planned, "");
		if (chk_count == 0)
			print_error("bad plan %zu not caught\n", i);
		assert_true(chk_count > 0);
		tf_value_unref(prior);
		tf_value_unref(config);
		tf_value_unref(planned);
	}
}

static void test_paths(void **state)
{
	tf_paths ps = { 0 };
	tf_path a = { 0 }, b = { 0 };

	(void)state;
	assert_int_equal(tf_path_push_attr(&a, "member"), TF_OK);
	assert_int_equal(tf_path_push_index(&a, 0), TF_OK);
	assert_int_equal(tf_path_push_attr(&b, "name"), TF_OK);
	assert_int_equal(tf_paths_add(&ps, &a), TF_OK);
	assert_int_equal(tf_paths_add(&ps, &b), TF_OK);
	assert_int_equal(tf_paths_add(&ps, &a), TF_OK); /* dedupe */
	for (int i = 0; i < 10; i++) {
		tf_path c = { 0 };

		assert_int_equal(tf_path_push_index(&c, i), TF_OK);
		assert_int_equal(tf_paths_add(&ps, &c), TF_OK);
		tf_path_done(&c);
	}
	assert_int_equal(ps.n, 12);
	assert_true(tf_paths_contains(&ps, &a));
	assert_true(tf_paths_contains(&ps, &b));
	tf_path_pop(&a);
	assert_false(tf_paths_contains(&ps, &a));
	tf_paths_done(&ps);
	tf_paths_done(&ps); /* idempotent */
	tf_path_done(&a);
	tf_path_done(&b);
}

/* ---- main ------------------------------------------------------------------ */

static int group_setup(void **state)
{
	char err[256];

	(void)state;
	if (tf_schema_compile(&pool_def, 1, &S, err, sizeof(err)) != TF_OK) {
		print_error("compile: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tf_schema_free(S);
	S = NULL;
	return 0;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_plan_refinement_kept),
		cmocka_unit_test(test_plan_refcount_one),
		cmocka_unit_test(test_plan_attr_changed_create),
		cmocka_unit_test(test_plan_write_only_null_everywhere),
		cmocka_unit_test(test_plan_converges),
		cmocka_unit_test(test_plan_rejects_bad_input),
		cmocka_unit_test(test_checker_catches_bad_plans),
		cmocka_unit_test(test_paths),
	};
	struct CMUnitTest tests[TF_COUNT(cases) + TF_COUNT(fixed)];
	size_t n = 0;

	for (size_t i = 0; i < TF_COUNT(cases); i++) {
		tests[n] = (struct CMUnitTest){
			.name = cases[i].name,
			.test_func = test_plan_case,
			.initial_state = (void *)&cases[i],
		};
		n++;
	}
	for (size_t i = 0; i < TF_COUNT(fixed); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("plan", tests, n, group_setup,
				       group_teardown);
}
