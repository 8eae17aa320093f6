/* cty values: refcounted immutable values, builders, accessors, ordering and
 * equality, canonical numbers, debug rendering.
 *
 * Invariants kept by every constructor and builder:
 *  - a known value never has the dynamic type;
 *  - a known number is in its canonical representation (value_internal.h),
 *    so numeric equality is representation equality;
 *  - the elements of a known set are sorted by tfv__cmp and hold no two
 *    equal wholly known elements (duplicates merge), so set equality is a
 *    linear walk and never needs to re-sort nested sets;
 *  - map entries are sorted by key (strcmp, i.e. byte order);
 *  - `wk` caches "no unknown at any depth". */
#include "value.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tf_err.h"
#include "value_internal.h"

struct tf_value {
	atomic_size_t refs;
	tf_type *type;
	unsigned char state;    /* tf_value_state */
	unsigned char num_kind; /* enum tfv_num_kind, numbers only */
	bool wk;                /* wholly known */
	union {
		bool b;
		struct {
			char *s; /* NUL-terminated copy */
			size_t len;
		} str;
		struct {
			int64_t i;
			double d;
			char *text; /* canonical text; the payload of DECIMAL */
		} num;
		struct {
			tf_value **items; /* list/set/tuple elements, object
					   * attributes, map values */
			char **keys;      /* map keys */
			size_t n, cap;
		} c;
		tf_refinement *refine; /* unknown: NULL when plain */
	} u;
};

/* Largest |decimal exponent| accepted; go's big.Float cannot go further. */
#define DEC_MAX_EXP 100000000LL
/* Exact decimal expansions of doubles have at most 767 significant digits. */
#define DBL_MAX_DIGITS 767

/* ---- string buffer ---------------------------------------------------- */

static bool buf_grow(tfv__buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX - b->len - 1)
		goto oom;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		goto oom;
	b->p = p;
	b->cap = cap;
	return true;
oom:
	b->oom = true;
	return false;
}

void tfv__buf_add(tfv__buf *b, const void *s, size_t n)
{
	if (!buf_grow(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tfv__buf_str(tfv__buf *b, const char *s)
{
	tfv__buf_add(b, s, strlen(s));
}

void tfv__buf_printf(tfv__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void tfv__buf_json_string(tfv__buf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	tfv__buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c >= 0x20)
				continue;
		}
		tfv__buf_add(b, s + run, i - run);
		run = i + 1;
		if (esc)
			tfv__buf_str(b, esc);
		else
			tfv__buf_printf(b, "\\u%04x", c);
	}
	tfv__buf_add(b, s + run, n - run);
	tfv__buf_add(b, "\"", 1);
}

char *tfv__buf_take(tfv__buf *b, size_t *len)
{
	char *p;

	if (!b->oom && !b->p)
		tfv__buf_add(b, "", 0);
	if (b->oom) {
		tfv__buf_done(b);
		return NULL;
	}
	p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void tfv__buf_done(tfv__buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/* ---- text checks ------------------------------------------------------ */

bool tfv__utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

bool tfv__json_number_ok(const char *s, size_t len)
{
	size_t i = 0, start;

	if (i < len && s[i] == '-')
		i++;
	if (i >= len)
		return false;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	} else {
		return false;
	}
	if (i < len && s[i] == '.') {
		start = ++i;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start)
			return false;
	}
	return i == len;
}

/* ---- decimal arithmetic-free number handling ------------------------- */

/* A parsed decimal: value = (neg ? -1 : 1) * digits * 10^exp, where digits
 * has no leading or trailing zeros (n == 0 means zero). */
struct dec {
	bool neg;
	char *d;
	size_t n;
	long long exp;
};

/* Parse [+-]? (D+ [. D*] | . D+) ([eE] [+-]? D+)? of exactly len bytes.
 * Returns TF_OK, TF_E_INVALID or TF_E_NOMEM. */
static int dec_parse(const char *s, size_t len, struct dec *x)
{
	size_t i = 0, mant = 0, frac = 0, ndig;
	long long e = 0;
	bool eneg = false, seen_point = false;
	char *d;

	memset(x, 0, sizeof(*x));
	if (i < len && (s[i] == '+' || s[i] == '-'))
		x->neg = s[i++] == '-';
	d = malloc(len + 1);
	if (!d)
		return TF_E_NOMEM;
	ndig = 0;
	for (; i < len; i++) {
		if (isdigit((unsigned char)s[i])) {
			mant++;
			if (seen_point)
				frac++;
			if (ndig == 0 && s[i] == '0')
				continue; /* leading zero */
			d[ndig++] = s[i];
		} else if (s[i] == '.' && !seen_point) {
			seen_point = true;
		} else {
			break;
		}
	}
	if (mant == 0)
		goto bad;
	if (i < len) {
		size_t start;

		if (s[i] != 'e' && s[i] != 'E')
			goto bad;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		start = i;
		for (; i < len && isdigit((unsigned char)s[i]); i++)
			if (e < 1000000000000LL)
				e = e * 10 + (s[i] - '0');
		if (i == start || i != len)
			goto bad;
		if (eneg)
			e = -e;
	}
	/* strip trailing zeros into the exponent */
	e -= (long long)frac;
	while (ndig > 0 && d[ndig - 1] == '0') {
		ndig--;
		e++;
	}
	if (ndig == 0) {
		x->neg = false;
		e = 0;
	}
	if (e > DEC_MAX_EXP || e < -DEC_MAX_EXP ||
	    e + (long long)ndig > DEC_MAX_EXP)
		goto bad;
	d[ndig] = '\0';
	x->d = d;
	x->n = ndig;
	x->exp = e;
	return TF_OK;
bad:
	free(d);
	return TF_E_INVALID;
}

/* Canonical text: positional when it stays short ("123", "0.5",
 * "0.000123", up to 20 trailing zeros), else scientific with an explicit
 * exponent sign ("1.5e+400", "-2e-30"). */
static char *dec_format(const struct dec *x)
{
	tfv__buf b = { 0 };
	long long sci; /* exponent of the leading digit */
	size_t i;

	if (x->n == 0)
		return strdup("0");
	sci = x->exp + (long long)x->n - 1;
	if (x->neg)
		tfv__buf_add(&b, "-", 1);
	if (x->exp >= 0 && x->exp <= 20) {
		tfv__buf_add(&b, x->d, x->n);
		for (i = 0; i < (size_t)x->exp; i++)
			tfv__buf_add(&b, "0", 1);
	} else if (x->exp < 0 && sci >= 0) {
		size_t ip = (size_t)(sci + 1);

		tfv__buf_add(&b, x->d, ip);
		tfv__buf_add(&b, ".", 1);
		tfv__buf_add(&b, x->d + ip, x->n - ip);
	} else if (x->exp < 0 && sci >= -7) {
		tfv__buf_add(&b, "0.", 2);
		for (i = 0; i < (size_t)(-sci - 1); i++)
			tfv__buf_add(&b, "0", 1);
		tfv__buf_add(&b, x->d, x->n);
	} else {
		tfv__buf_add(&b, x->d, 1);
		if (x->n > 1) {
			tfv__buf_add(&b, ".", 1);
			tfv__buf_add(&b, x->d + 1, x->n - 1);
		}
		tfv__buf_printf(&b, "e%c%lld", sci < 0 ? '-' : '+',
				sci < 0 ? -sci : sci);
	}
	return tfv__buf_take(&b, NULL);
}

/* Exact int64 value of x, if it has one. */
static bool dec_to_int(const struct dec *x, int64_t *out)
{
	uint64_t v = 0;
	size_t i;
	long long k;

	if (x->n == 0) {
		*out = 0;
		return true;
	}
	if (x->exp < 0 || (long long)x->n + x->exp > 19)
		return false;
	for (i = 0; i < x->n; i++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(x->d[i] - '0'), &v))
			return false;
	for (k = 0; k < x->exp; k++)
		if (__builtin_mul_overflow(v, 10, &v))
			return false;
	if (x->neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)v;
	}
	return true;
}

/* Parse glibc's exact "%.Ne" rendering of a finite double into a dec. */
static int dec_of_double_text(const char *s, struct dec *x)
{
	return dec_parse(s, strlen(s), x);
}

/* Is x exactly a finite double? Sets *out when it is. */
static int dec_to_double(const struct dec *x, double *out, bool *exact)
{
	char sci[DBL_MAX_DIGITS + 64], *txt;
	struct dec y;
	double d;
	int rc;

	*exact = false;
	if (x->n == 0 || x->n > DBL_MAX_DIGITS)
		return TF_OK;
	/* beyond these the double is 0 or inf anyway */
	if (x->exp + (long long)x->n > 310 || x->exp + (long long)x->n < -330)
		return TF_OK;
	txt = malloc(x->n + 32);
	if (!txt)
		return TF_E_NOMEM;
	snprintf(txt, x->n + 32, "%s%se%lld", x->neg ? "-" : "", x->d, x->exp);
	d = strtod(txt, NULL);
	free(txt);
	if (!isfinite(d) || d == 0)
		return TF_OK;
	snprintf(sci, sizeof(sci), "%.*e", DBL_MAX_DIGITS + 16, d);
	rc = dec_of_double_text(sci, &y);
	if (rc)
		return rc;
	*exact = y.neg == x->neg && y.n == x->n && y.exp == x->exp &&
		 memcmp(y.d, x->d, x->n) == 0;
	free(y.d);
	if (*exact)
		*out = d;
	return TF_OK;
}

/* ---- allocation and release ------------------------------------------ */

static tf_value *val_alloc(tf_type *t, tf_value_state st)
{
	tf_value *v;

	if (!t)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	atomic_init(&v->refs, 1);
	v->type = tf_type_ref(t);
	v->state = (unsigned char)st;
	v->wk = st != TF_V_UNKNOWN;
	return v;
}

static void refine_free(tf_refinement *r)
{
	if (!r)
		return;
	free(r->prefix);
	tf_value_unref(r->lower);
	tf_value_unref(r->upper);
	free(r);
}

static bool is_seq_kind(tf_type_kind k)
{
	return k == TF_T_LIST || k == TF_T_SET || k == TF_T_TUPLE ||
	       k == TF_T_OBJECT;
}

static void val_free(tf_value *v)
{
	tf_type_kind k = tf_type_kind_of(v->type);
	size_t i;

	if (v->state == TF_V_UNKNOWN) {
		refine_free(v->u.refine);
	} else if (v->state == TF_V_KNOWN) {
		if (k == TF_T_STRING) {
			free(v->u.str.s);
		} else if (k == TF_T_NUMBER) {
			free(v->u.num.text);
		} else if (is_seq_kind(k) || k == TF_T_MAP) {
			for (i = 0; i < v->u.c.n; i++) {
				tf_value_unref(v->u.c.items[i]);
				if (v->u.c.keys)
					free(v->u.c.keys[i]);
			}
			free(v->u.c.items);
			free(v->u.c.keys);
		}
	}
	tf_type_unref(v->type);
	free(v);
}

tf_value *tf_value_ref(tf_value *v)
{
	if (v)
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
	return v;
}

void tf_value_unref(tf_value *v)
{
	if (v &&
	    atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
		val_free(v);
}

/* ---- constructors ---------------------------------------------------- */

tf_value *tf_value_null(tf_type *t)
{
	return val_alloc(t, TF_V_NULL);
}

tf_value *tf_value_unknown(tf_type *t)
{
	return val_alloc(t, TF_V_UNKNOWN);
}

static bool is_known_number(const tf_value *v)
{
	return v && v->state == TF_V_KNOWN &&
	       tf_type_kind_of(v->type) == TF_T_NUMBER;
}

/* Copy of the parts of r that apply to type t, in *out (NULL when nothing
 * applies). */
static int refine_copy(const tf_type *t, const tf_refinement *r,
		       tf_refinement **out)
{
	tf_type_kind k = tf_type_kind_of(t);
	tf_refinement *c;
	bool any = false;

	*out = NULL;
	if (!r)
		return TF_OK;
	c = calloc(1, sizeof(*c));
	if (!c)
		return TF_E_NOMEM;
	if (r->has_nullness) {
		c->has_nullness = true;
		c->not_null = r->not_null;
		any = true;
	}
	if (k == TF_T_STRING && r->prefix && r->prefix[0]) {
		c->prefix = strdup(r->prefix);
		if (!c->prefix)
			goto nomem;
		any = true;
	}
	if (k == TF_T_NUMBER && is_known_number(r->lower)) {
		c->lower = tf_value_ref(r->lower);
		c->lower_inclusive = r->lower_inclusive;
		any = true;
	}
	if (k == TF_T_NUMBER && is_known_number(r->upper)) {
		c->upper = tf_value_ref(r->upper);
		c->upper_inclusive = r->upper_inclusive;
		any = true;
	}
	if (k == TF_T_LIST || k == TF_T_SET || k == TF_T_MAP) {
		if (r->has_len_min) {
			c->has_len_min = true;
			c->len_min = r->len_min;
			any = true;
		}
		if (r->has_len_max) {
			c->has_len_max = true;
			c->len_max = r->len_max;
			any = true;
		}
	}
	if (!any) {
		refine_free(c);
		return TF_OK;
	}
	*out = c;
	return TF_OK;
nomem:
	refine_free(c);
	return TF_E_NOMEM;
}

tf_value *tf_value_unknown_refined(tf_type *t, const tf_refinement *r)
{
	tf_refinement *c;
	tf_value *v;

	if (!t || refine_copy(t, r, &c))
		return NULL;
	v = val_alloc(t, TF_V_UNKNOWN);
	if (!v) {
		refine_free(c);
		return NULL;
	}
	v->u.refine = c;
	return v;
}

tf_value *tf_value_bool(bool b)
{
	tf_value *v = val_alloc(tf_type_bool(), TF_V_KNOWN);

	if (v)
		v->u.b = b;
	return v;
}

tf_value *tf_value_string_n(const char *s, size_t len)
{
	tf_value *v;

	if (!s && len)
		return NULL;
	v = val_alloc(tf_type_string(), TF_V_KNOWN);
	if (!v)
		return NULL;
	v->u.str.s = malloc(len + 1);
	if (!v->u.str.s) {
		val_free(v);
		return NULL;
	}
	if (len)
		memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
	return v;
}

tf_value *tf_value_string(const char *s)
{
	return s ? tf_value_string_n(s, strlen(s)) : NULL;
}

/* Takes `text` (malloc'd); frees it on failure. */
static tf_value *num_new(enum tfv_num_kind kind, int64_t i, double d,
			 char *text)
{
	tf_value *v;

	if (!text)
		return NULL;
	v = val_alloc(tf_type_number(), TF_V_KNOWN);
	if (!v) {
		free(text);
		return NULL;
	}
	v->num_kind = (unsigned char)kind;
	v->u.num.i = i;
	v->u.num.d = d;
	v->u.num.text = text;
	return v;
}

tf_value *tf_value_int(int64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return num_new(TFV_NUM_INT, n, (double)n, strdup(buf));
}

/* Exact decimal expansion of a finite double (glibc prints exact digits). */
static char *double_text(double d)
{
	char sci[DBL_MAX_DIGITS + 64], *text;
	struct dec x;

	snprintf(sci, sizeof(sci), "%.*e", DBL_MAX_DIGITS + 16, d);
	if (dec_parse(sci, strlen(sci), &x))
		return NULL;
	text = dec_format(&x);
	free(x.d);
	return text;
}

tf_value *tf_value_double(double d)
{
	if (isnan(d))
		return NULL;
	if (isinf(d))
		return num_new(TFV_NUM_DOUBLE, 0, d,
			       strdup(d > 0 ? "+Inf" : "-Inf"));
	if (d == trunc(d) && d >= -9223372036854775808.0 &&
	    d < 9223372036854775808.0)
		return tf_value_int((int64_t)d);
	return num_new(TFV_NUM_DOUBLE, 0, d, double_text(d));
}

static bool ieq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

tf_value *tfv__decimal_n(const char *s, size_t len, bool *bad)
{
	struct dec x;
	int64_t i;
	double d;
	bool exact;
	tf_value *v = NULL;
	const char *p = s;
	size_t plen = len;
	int rc;

	*bad = false;
	if (!s) {
		*bad = true;
		return NULL;
	}
	/* Infinity as go's big.Float accepts it ("Inf", "+Inf", "-inf") */
	if (plen > 0 && (p[0] == '+' || p[0] == '-')) {
		p++;
		plen--;
	}
	if (ieq(p, plen, "inf") || ieq(p, plen, "infinity"))
		return tf_value_double(s[0] == '-' ? -INFINITY : INFINITY);
	rc = dec_parse(s, len, &x);
	if (rc) {
		*bad = rc == TF_E_INVALID;
		return NULL;
	}
	if (dec_to_int(&x, &i)) {
		v = tf_value_int(i);
		goto out;
	}
	if (dec_to_double(&x, &d, &exact))
		goto out;
	if (exact) {
		v = tf_value_double(d);
		goto out;
	}
	v = num_new(TFV_NUM_DECIMAL, 0, 0, dec_format(&x));
out:
	free(x.d);
	return v;
}

tf_value *tf_value_decimal(const char *text)
{
	bool bad;

	return text ? tfv__decimal_n(text, strlen(text), &bad) : NULL;
}

static tf_value *coll_new(tf_type *t, tf_type_kind want)
{
	if (!t || tf_type_kind_of(t) != want)
		return NULL;
	return val_alloc(t, TF_V_KNOWN);
}

tf_value *tf_value_list_new(tf_type *t)
{
	return coll_new(t, TF_T_LIST);
}
tf_value *tf_value_set_new(tf_type *t)
{
	return coll_new(t, TF_T_SET);
}
tf_value *tf_value_map_new(tf_type *t)
{
	return coll_new(t, TF_T_MAP);
}

/* Known tuple/object with every element null. */
static tf_value *nulls_new(tf_type *t, tf_type_kind want)
{
	tf_value *v = coll_new(t, want);
	size_t i, n;

	if (!v)
		return NULL;
	n = want == TF_T_OBJECT ? tf_type_attr_count(t) : tf_type_tuple_len(t);
	if (n == 0)
		return v;
	v->u.c.items = calloc(n, sizeof(*v->u.c.items));
	if (!v->u.c.items)
		goto fail;
	v->u.c.cap = n;
	for (i = 0; i < n; i++) {
		tf_type *et = want == TF_T_OBJECT ? tf_type_attr_type(t, i) :
						    tf_type_tuple_elem(t, i);

		v->u.c.items[i] = tf_value_null(et);
		if (!v->u.c.items[i])
			goto fail;
		v->u.c.n = i + 1;
	}
	return v;
fail:
	val_free(v);
	return NULL;
}

tf_value *tf_value_tuple_new(tf_type *t)
{
	return nulls_new(t, TF_T_TUPLE);
}
tf_value *tf_value_object_new(tf_type *t)
{
	return nulls_new(t, TF_T_OBJECT);
}

/* ---- bulk constructors ------------------------------------------------ */

static int cmp_ptr(const void *a, const void *b)
{
	return tfv__cmp(*(tf_value *const *)a, *(tf_value *const *)b);
}

static void recompute_wk(tf_value *v)
{
	size_t i;

	v->wk = true;
	for (i = 0; i < v->u.c.n && v->wk; i++)
		v->wk = v->u.c.items[i]->wk;
}

tf_value *tfv__seq_from(tf_type *t, tf_value **items, size_t n)
{
	tf_value *v = val_alloc(t, TF_V_KNOWN);
	size_t i, w;

	if (!v) {
		for (i = 0; i < n; i++)
			tf_value_unref(items[i]);
		free(items);
		return NULL;
	}
	if (n == 0) {
		free(items);
		return v;
	}
	if (tf_type_kind_of(t) == TF_T_SET) {
		qsort(items, n, sizeof(*items), cmp_ptr);
		for (i = 1, w = 1; i < n; i++) {
			if (items[i]->wk &&
			    tfv__cmp(items[w - 1], items[i]) == 0)
				tf_value_unref(items[i]);
			else
				items[w++] = items[i];
		}
		n = w;
	}
	v->u.c.items = items;
	v->u.c.n = v->u.c.cap = n;
	recompute_wk(v);
	return v;
}

tf_value *tfv__object_from(tf_type *t, tf_value **items)
{
	return tfv__seq_from(t, items, tf_type_attr_count(t));
}

struct kv {
	char *k;
	tf_value *v;
	size_t pos;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

tf_value *tfv__map_from(tf_type *t, char **keys, tf_value **vals, size_t n)
{
	tf_value *v = val_alloc(t, TF_V_KNOWN);
	struct kv *kv = NULL;
	size_t i, w;

	if (!v || n == 0)
		goto fail_or_empty;
	kv = calloc(n, sizeof(*kv));
	if (!kv)
		goto fail_or_empty;
	for (i = 0; i < n; i++)
		kv[i] = (struct kv){ keys[i], vals[i], i };
	qsort(kv, n, sizeof(*kv), cmp_kv);
	for (i = 0, w = 0; i < n; i++) {
		/* last occurrence of a key wins */
		if (i + 1 < n && strcmp(kv[i].k, kv[i + 1].k) == 0) {
			free(kv[i].k);
			tf_value_unref(kv[i].v);
			continue;
		}
		keys[w] = kv[i].k;
		vals[w] = kv[i].v;
		w++;
	}
	free(kv);
	v->u.c.keys = keys;
	v->u.c.items = vals;
	v->u.c.n = v->u.c.cap = w;
	recompute_wk(v);
	return v;
fail_or_empty:
	for (i = 0; i < n; i++) {
		free(keys[i]);
		tf_value_unref(vals[i]);
	}
	free(keys);
	free(vals);
	if (v && n == 0)
		return v;
	tf_value_unref(v);
	return NULL;
}

/* ---- builders -------------------------------------------------------- */

static void check_mut(const tf_value *v)
{
	if (!v || atomic_load(&v->refs) != 1) {
		fprintf(stderr, "tf_value: builder used on a shared value\n");
		abort();
	}
}

static int grow(tf_value *v, bool keys)
{
	size_t cap;
	void *p;

	if (v->u.c.n < v->u.c.cap)
		return TF_OK;
	if (v->u.c.n >= TF_MAX_ELEMS)
		return TF_E_LIMIT;
	cap = v->u.c.cap ? v->u.c.cap * 2 : 4;
	p = realloc(v->u.c.items, cap * sizeof(*v->u.c.items));
	if (!p)
		return TF_E_NOMEM;
	v->u.c.items = p;
	if (keys) {
		p = realloc(v->u.c.keys, cap * sizeof(*v->u.c.keys));
		if (!p)
			return TF_E_NOMEM;
		v->u.c.keys = p;
	}
	v->u.c.cap = cap;
	return TF_OK;
}

/* First index whose element is >= x (set order). */
static size_t lower_bound(tf_value *const *items, size_t n, const tf_value *x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tfv__cmp(items[mid], x) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Put `take` (and, for a map, its key, taken) at pos of a collection
 * with room for one more (grow()), shifting the rest. */
static void insert_at(tf_value *v, size_t pos, tf_value *take, char *key)
{
	size_t after = v->u.c.n - pos;

	memmove(v->u.c.items + pos + 1, v->u.c.items + pos,
		after * sizeof(*v->u.c.items));
	v->u.c.items[pos] = take;
	if (key) {
		memmove(v->u.c.keys + pos + 1, v->u.c.keys + pos,
			after * sizeof(*v->u.c.keys));
		v->u.c.keys[pos] = key;
	}
	v->u.c.n++;
	v->wk = v->wk && take->wk;
}

int tf_value_list_append(tf_value *v, tf_value *take)
{
	tf_type_kind k;
	size_t pos;
	int rc;

	check_mut(v);
	if (!take)
		return TF_E_NOMEM;
	k = tf_type_kind_of(v->type);
	rc = TF_E_TYPE;
	if (v->state != TF_V_KNOWN || (k != TF_T_LIST && k != TF_T_SET) ||
	    !tf_value_conforms(take, tf_type_elem(v->type)))
		goto fail;
	if (k == TF_T_SET) {
		pos = lower_bound(v->u.c.items, v->u.c.n, take);
		if (pos < v->u.c.n && take->wk &&
		    tfv__cmp(v->u.c.items[pos], take) == 0) {
			tf_value_unref(take); /* duplicate merges */
			return TF_OK;
		}
	} else {
		pos = v->u.c.n;
	}
	rc = grow(v, false);
	if (rc)
		goto fail;
	insert_at(v, pos, take, NULL);
	return TF_OK;
fail:
	tf_value_unref(take);
	return rc;
}

int tf_value_map_set(tf_value *v, const char *key, tf_value *take)
{
	size_t lo = 0, hi;
	char *k;
	int rc, c;

	check_mut(v);
	if (!take)
		return TF_E_NOMEM;
	rc = TF_E_TYPE;
	if (v->state != TF_V_KNOWN || tf_type_kind_of(v->type) != TF_T_MAP ||
	    !tf_value_conforms(take, tf_type_elem(v->type)))
		goto fail;
	rc = TF_E_INVALID;
	if (!key)
		goto fail;
	hi = v->u.c.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		c = strcmp(key, v->u.c.keys[mid]);
		if (c == 0) {
			tf_value_unref(v->u.c.items[mid]);
			v->u.c.items[mid] = take;
			recompute_wk(v);
			return TF_OK;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	rc = grow(v, true);
	if (rc)
		goto fail;
	rc = TF_E_NOMEM;
	k = strdup(key);
	if (!k)
		goto fail;
	insert_at(v, lo, take, k);
	return TF_OK;
fail:
	tf_value_unref(take);
	return rc;
}

/* Replace element i of a known object/tuple after a conformance check. */
static int slot_set(tf_value *v, size_t i, tf_type *want, tf_value *take)
{
	if (!tf_value_conforms(take, want)) {
		tf_value_unref(take);
		return TF_E_TYPE;
	}
	tf_value_unref(v->u.c.items[i]);
	v->u.c.items[i] = take;
	recompute_wk(v);
	return TF_OK;
}

int tf_value_object_set(tf_value *v, const char *name, tf_value *take)
{
	long i;

	check_mut(v);
	if (!take)
		return TF_E_NOMEM;
	if (v->state != TF_V_KNOWN || tf_type_kind_of(v->type) != TF_T_OBJECT) {
		tf_value_unref(take);
		return TF_E_TYPE;
	}
	i = tf_type_attr_index(v->type, name);
	if (i < 0) {
		tf_value_unref(take);
		return TF_E_NOTFOUND;
	}
	return slot_set(v, (size_t)i, tf_type_attr_type(v->type, (size_t)i),
			take);
}

int tf_value_tuple_set(tf_value *v, size_t i, tf_value *take)
{
	check_mut(v);
	if (!take)
		return TF_E_NOMEM;
	if (v->state != TF_V_KNOWN || tf_type_kind_of(v->type) != TF_T_TUPLE) {
		tf_value_unref(take);
		return TF_E_TYPE;
	}
	if (i >= v->u.c.n) {
		tf_value_unref(take);
		return TF_E_INVALID;
	}
	return slot_set(v, i, tf_type_tuple_elem(v->type, i), take);
}

static tf_value *shallow_copy(const tf_value *v)
{
	tf_type_kind k = tf_type_kind_of(v->type);
	tf_value *c;
	size_t i, n;

	if (v->state == TF_V_NULL)
		return tf_value_null(v->type);
	if (v->state == TF_V_UNKNOWN)
		return tf_value_unknown_refined(v->type, v->u.refine);
	if (k == TF_T_BOOL)
		return tf_value_bool(v->u.b);
	if (k == TF_T_STRING)
		return tf_value_string_n(v->u.str.s, v->u.str.len);
	if (k == TF_T_NUMBER)
		return num_new(v->num_kind, v->u.num.i, v->u.num.d,
			       strdup(v->u.num.text));
	c = val_alloc(v->type, TF_V_KNOWN);
	if (!c)
		return NULL;
	n = v->u.c.n;
	if (n == 0)
		return c;
	c->u.c.items = calloc(n, sizeof(*c->u.c.items));
	if (!c->u.c.items)
		goto fail;
	if (k == TF_T_MAP) {
		c->u.c.keys = calloc(n, sizeof(*c->u.c.keys));
		if (!c->u.c.keys)
			goto fail;
	}
	c->u.c.cap = n;
	for (i = 0; i < n; i++) {
		if (k == TF_T_MAP) {
			c->u.c.keys[i] = strdup(v->u.c.keys[i]);
			if (!c->u.c.keys[i])
				goto fail;
		}
		c->u.c.items[i] = tf_value_ref(v->u.c.items[i]);
		c->u.c.n = i + 1;
	}
	c->wk = v->wk;
	return c;
fail:
	val_free(c);
	return NULL;
}

tf_value *tf_value_mut(tf_value *take)
{
	tf_value *c;

	if (!take || atomic_load(&take->refs) == 1)
		return take;
	c = shallow_copy(take);
	tf_value_unref(take);
	return c;
}

/* ---- inspection ------------------------------------------------------- */

tf_type *tf_value_type(const tf_value *v)
{
	return v->type;
}
tf_value_state tf_value_state_of(const tf_value *v)
{
	return v->state;
}
bool tf_value_is_null(const tf_value *v)
{
	return v->state == TF_V_NULL;
}
bool tf_value_is_unknown(const tf_value *v)
{
	return v->state == TF_V_UNKNOWN;
}
bool tf_value_is_known(const tf_value *v)
{
	return v && v->state == TF_V_KNOWN;
}
bool tf_value_is_wholly_known(const tf_value *v)
{
	return v->wk;
}

const tf_refinement *tf_value_refinement(const tf_value *v)
{
	return v && v->state == TF_V_UNKNOWN ? v->u.refine : NULL;
}

static bool is_known_kind(const tf_value *v, tf_type_kind k)
{
	return v && v->state == TF_V_KNOWN && tf_type_kind_of(v->type) == k;
}

bool tf_value_get_bool(const tf_value *v)
{
	return is_known_kind(v, TF_T_BOOL) && v->u.b;
}

const char *tf_value_get_string(const tf_value *v)
{
	return is_known_kind(v, TF_T_STRING) ? v->u.str.s : NULL;
}

size_t tf_value_string_len(const tf_value *v)
{
	return is_known_kind(v, TF_T_STRING) ? v->u.str.len : 0;
}

int tfv__num_kind(const tf_value *v, int64_t *i, double *d)
{
	if (!is_known_number(v))
		return 0;
	if (i)
		*i = v->u.num.i;
	if (d)
		*d = v->u.num.d;
	return v->num_kind;
}

int tf_value_get_int(const tf_value *v, int64_t *out)
{
	if (!is_known_number(v))
		return TF_E_TYPE;
	if (v->num_kind != TFV_NUM_INT)
		return TF_E_INVALID;
	*out = v->u.num.i;
	return TF_OK;
}

double tf_value_get_double(const tf_value *v)
{
	if (!is_known_number(v))
		return NAN;
	switch (v->num_kind) {
	case TFV_NUM_INT: return (double)v->u.num.i;
	case TFV_NUM_DOUBLE: return v->u.num.d;
	default: return strtod(v->u.num.text, NULL);
	}
}

const char *tf_value_number_text(const tf_value *v)
{
	return is_known_number(v) ? v->u.num.text : NULL;
}

static bool has_items(const tf_value *v)
{
	tf_type_kind k;

	if (!v || v->state != TF_V_KNOWN)
		return false;
	k = tf_type_kind_of(v->type);
	return is_seq_kind(k) || k == TF_T_MAP;
}

size_t tf_value_len(const tf_value *v)
{
	return has_items(v) ? v->u.c.n : 0;
}

tf_value *tf_value_index(const tf_value *v, size_t i)
{
	return has_items(v) && i < v->u.c.n ? v->u.c.items[i] : NULL;
}

const char *tf_value_map_key(const tf_value *v, size_t i)
{
	return is_known_kind(v, TF_T_MAP) && i < v->u.c.n ? v->u.c.keys[i] :
							    NULL;
}

tf_value *tf_value_map_value(const tf_value *v, size_t i)
{
	return is_known_kind(v, TF_T_MAP) && i < v->u.c.n ? v->u.c.items[i] :
							    NULL;
}

tf_value *tf_value_map_get(const tf_value *v, const char *key)
{
	size_t lo = 0, hi;

	if (!is_known_kind(v, TF_T_MAP) || !key)
		return NULL;
	hi = v->u.c.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, v->u.c.keys[mid]);

		if (c == 0)
			return v->u.c.items[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

tf_value *tf_value_attr(const tf_value *v, const char *name)
{
	long i;

	if (!is_known_kind(v, TF_T_OBJECT))
		return NULL;
	i = tf_type_attr_index(v->type, name);
	return i < 0 ? NULL : v->u.c.items[i];
}

const char *tf_value_attr_string(const tf_value *obj, const char *name)
{
	return tf_value_get_string(tf_value_attr(obj, name));
}

/* ---- comparison ------------------------------------------------------- */

static int cmp3(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_number(const tf_value *a, const tf_value *b)
{
	int c;

	if (a->num_kind != b->num_kind)
		return a->num_kind < b->num_kind ? -1 : 1;
	switch (a->num_kind) {
	case TFV_NUM_INT: return cmp3(a->u.num.i, b->u.num.i);
	case TFV_NUM_DOUBLE:
		return a->u.num.d < b->u.num.d ? -1 : a->u.num.d > b->u.num.d;
	default:
		c = strcmp(a->u.num.text, b->u.num.text);
		return c < 0 ? -1 : c > 0;
	}
}

int tfv__cmp(const tf_value *a, const tf_value *b)
{
	tf_type_kind k;
	size_t i, n;
	int c;

	if (a == b)
		return 0;
	if (a->state != b->state)
		return a->state < b->state ? -1 : 1;
	c = tft__cmp(a->type, b->type);
	if (c || a->state != TF_V_KNOWN)
		return c;
	k = tf_type_kind_of(a->type);
	switch (k) {
	case TF_T_BOOL: return (int)a->u.b - (int)b->u.b;
	case TF_T_NUMBER: return cmp_number(a, b);
	case TF_T_STRING:
		n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
		c = n ? memcmp(a->u.str.s, b->u.str.s, n) : 0;
		if (c)
			return c < 0 ? -1 : 1;
		return cmp3((int64_t)a->u.str.len, (int64_t)b->u.str.len);
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_TUPLE:
	case TF_T_OBJECT:
	case TF_T_MAP:
		if (a->u.c.n != b->u.c.n)
			return a->u.c.n < b->u.c.n ? -1 : 1;
		for (i = 0; i < a->u.c.n; i++) {
			if (k == TF_T_MAP) {
				c = strcmp(a->u.c.keys[i], b->u.c.keys[i]);
				if (c)
					return c < 0 ? -1 : 1;
			}
			c = tfv__cmp(a->u.c.items[i], b->u.c.items[i]);
			if (c)
				return c;
		}
		return 0;
	default: return 0;
	}
}

bool tf_value_equal(const tf_value *a, const tf_value *b)
{
	if (!a || !b)
		return a == b;
	return tfv__cmp(a, b) == 0;
}

/* Type conformance with dynamic as a wildcard on either side. */
static bool type_conforms(const tf_type *vt, const tf_type *t)
{
	tf_type_kind k = tf_type_kind_of(t);
	size_t i, n;

	if (k == TF_T_DYNAMIC || tf_type_kind_of(vt) == TF_T_DYNAMIC)
		return true;
	if (k != tf_type_kind_of(vt))
		return false;
	switch (k) {
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_MAP: return type_conforms(tf_type_elem(vt), tf_type_elem(t));
	case TF_T_TUPLE:
		n = tf_type_tuple_len(t);
		if (n != tf_type_tuple_len(vt))
			return false;
		for (i = 0; i < n; i++)
			if (!type_conforms(tf_type_tuple_elem(vt, i),
					   tf_type_tuple_elem(t, i)))
				return false;
		return true;
	case TF_T_OBJECT:
		n = tf_type_attr_count(t);
		if (n != tf_type_attr_count(vt))
			return false;
		for (i = 0; i < n; i++)
			if (strcmp(tf_type_attr_name(vt, i),
				   tf_type_attr_name(t, i)) ||
			    !type_conforms(tf_type_attr_type(vt, i),
					   tf_type_attr_type(t, i)))
				return false;
		return true;
	default: return true;
	}
}

bool tf_value_conforms(const tf_value *v, const tf_type *t)
{
	tf_type_kind k;
	size_t i;

	if (!v || !t)
		return false;
	k = tf_type_kind_of(t);
	if (k == TF_T_DYNAMIC)
		return true;
	if (v->state != TF_V_KNOWN || tf_type_is_primitive(t))
		return type_conforms(v->type, t);
	if (tf_type_kind_of(v->type) != k)
		return false;
	switch (k) {
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_MAP:
		for (i = 0; i < v->u.c.n; i++)
			if (!tf_value_conforms(v->u.c.items[i],
					       tf_type_elem(t)))
				return false;
		return true;
	case TF_T_TUPLE:
		if (v->u.c.n != tf_type_tuple_len(t))
			return false;
		for (i = 0; i < v->u.c.n; i++)
			if (!tf_value_conforms(v->u.c.items[i],
					       tf_type_tuple_elem(t, i)))
				return false;
		return true;
	case TF_T_OBJECT:
		if (v->u.c.n != tf_type_attr_count(t))
			return false;
		for (i = 0; i < v->u.c.n; i++)
			if (strcmp(tf_type_attr_name(v->type, i),
				   tf_type_attr_name(t, i)) ||
			    !tf_value_conforms(v->u.c.items[i],
					       tf_type_attr_type(t, i)))
				return false;
		return true;
	default: return false;
	}
}

/* ---- debug rendering --------------------------------------------------- */

static void debug_render(tfv__buf *b, const tf_value *v)
{
	tf_type_kind k = tf_type_kind_of(v->type);
	size_t i;

	if (v->state == TF_V_NULL) {
		tfv__buf_str(b, "null");
		return;
	}
	if (v->state == TF_V_UNKNOWN) {
		tfv__buf_str(b, "(known after apply)");
		return;
	}
	switch (k) {
	case TF_T_BOOL: tfv__buf_str(b, v->u.b ? "true" : "false"); return;
	case TF_T_NUMBER: tfv__buf_str(b, v->u.num.text); return;
	case TF_T_STRING:
		tfv__buf_json_string(b, v->u.str.s, v->u.str.len);
		return;
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_TUPLE:
		tfv__buf_str(b, k == TF_T_SET ? "toset([" : "[");
		for (i = 0; i < v->u.c.n; i++) {
			if (i)
				tfv__buf_str(b, ", ");
			debug_render(b, v->u.c.items[i]);
		}
		tfv__buf_str(b, k == TF_T_SET ? "])" : "]");
		return;
	case TF_T_MAP:
	case TF_T_OBJECT:
		if (v->u.c.n == 0) {
			tfv__buf_str(b, "{}");
			return;
		}
		tfv__buf_str(b, "{ ");
		for (i = 0; i < v->u.c.n; i++) {
			if (i)
				tfv__buf_str(b, ", ");
			if (k == TF_T_MAP)
				tfv__buf_json_string(b, v->u.c.keys[i],
						     strlen(v->u.c.keys[i]));
			else
				tfv__buf_str(b, tf_type_attr_name(v->type, i));
			tfv__buf_str(b, " = ");
			debug_render(b, v->u.c.items[i]);
		}
		tfv__buf_str(b, " }");
		return;
	default: tfv__buf_str(b, "?");
	}
}

char *tf_value_debug_string(const tf_value *v)
{
	tfv__buf b = { 0 };

	if (!v)
		return strdup("(nil)");
	debug_render(&b, v);
	return tfv__buf_take(&b, NULL);
}
