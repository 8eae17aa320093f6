/* libcurl, loaded on first use.
 *
 * Terraform starts the provider several times per command, and most of those
 * processes only answer GetProviderSchema/ValidateConfig and never make an
 * HTTP call. Linking libcurl directly makes every start map and relocate its
 * whole dependency chain (gnutls, krb5, ldap, ssh2, p11-kit, ...: about
 * 6 ms and 4 MB of RSS on Debian 12). So the binary does not link libcurl:
 * this file defines the libcurl entry points the clients use, with curl.h's
 * own prototypes, and forwards them to libcurl.so.4 opened with dlopen() the
 * first time any of them is called.
 *
 * Contract: callers use the ordinary libcurl API (curl.h and its compile-time
 * type checks stay in force for them). If libcurl cannot be loaded,
 * curl_global_init() returns CURLE_FAILED_INIT, curl_easy_init() and
 * curl_slist_append() return NULL, curl_version_info() returns NULL, and
 * curl_easy_strerror() describes the dlopen failure; nothing else is
 * reachable without a handle. Thread-safe (pthread_once).
 *
 * Adding an entry point: add a member to `fn`, a line to load(), and a
 * forwarding definition below. A missing one shows up as a link error. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CURL_SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURL *(*easy_duphandle)(CURL *);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	curl_version_info_data *(*version_info)(CURLversion);
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;           /* 1 once every symbol resolved */
static char load_error[256]; /* why not, when loaded == 0 */

#define RESOLVE(h, member, sym)                                                \
	do {                                                                   \
		*(void **)&fn.member = dlsym(h, sym);                          \
		if (!fn.member) {                                              \
			snprintf(load_error, sizeof(load_error),               \
				 "%s has no symbol %s", CURL_SONAME, sym);     \
			return;                                                \
		}                                                              \
	} while (0)

static void load(void)
{
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();

		snprintf(load_error, sizeof(load_error),
			 "cannot load %s (install the libcurl4 package): %s",
			 CURL_SONAME, e ? e : "unknown error");
		return;
	}
	RESOLVE(h, global_init, "curl_global_init");
	RESOLVE(h, easy_init, "curl_easy_init");
	RESOLVE(h, easy_cleanup, "curl_easy_cleanup");
	RESOLVE(h, easy_reset, "curl_easy_reset");
	RESOLVE(h, easy_duphandle, "curl_easy_duphandle");
	RESOLVE(h, easy_perform, "curl_easy_perform");
	RESOLVE(h, easy_setopt, "curl_easy_setopt");
	RESOLVE(h, easy_getinfo, "curl_easy_getinfo");
	RESOLVE(h, easy_strerror, "curl_easy_strerror");
	RESOLVE(h, easy_escape, "curl_easy_escape");
	RESOLVE(h, free, "curl_free");
	RESOLVE(h, slist_append, "curl_slist_append");
	RESOLVE(h, slist_free_all, "curl_slist_free_all");
	RESOLVE(h, version_info, "curl_version_info");
	loaded = 1; /* the handle stays open for the life of the process */
}

/* 1 if libcurl is usable. */
static int ready(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

CURLcode curl_global_init(long flags)
{
	return ready() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return ready() ? fn.easy_init() : NULL;
}

/* The functions below take a handle or list that only a loaded libcurl can
 * have produced, so ready() is already true; they still check, to be safe
 * with NULL. */
void curl_easy_cleanup(CURL *h)
{
	if (h && ready())
		fn.easy_cleanup(h);
}

void curl_easy_reset(CURL *h)
{
	if (h && ready())
		fn.easy_reset(h);
}

CURL *curl_easy_duphandle(CURL *h)
{
	return h && ready() ? fn.easy_duphandle(h) : NULL;
}

CURLcode curl_easy_perform(CURL *h)
{
	return ready() ? fn.easy_perform(h) : CURLE_FAILED_INIT;
}

/* curl_easy_setopt's third argument has one of five types, fixed by the
 * option number's range (CURLOPTTYPE_*): read it as that type and pass it on
 * as that type. */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT) {
		long v = va_arg(ap, long);

		rc = fn.easy_setopt(h, opt, v);
	} else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
		void *v = va_arg(ap, void *);

		rc = fn.easy_setopt(h, opt, v);
	} else if (opt < CURLOPTTYPE_OFF_T) {
		void (*v)(void) = va_arg(ap, void (*)(void));

		rc = fn.easy_setopt(h, opt, v);
	} else if (opt < CURLOPTTYPE_BLOB) {
		curl_off_t v = va_arg(ap, curl_off_t);

		rc = fn.easy_setopt(h, opt, v);
	} else {
		struct curl_blob *v = va_arg(ap, struct curl_blob *);

		rc = fn.easy_setopt(h, opt, v);
	}
	va_end(ap);
	return rc;
}

/* Every curl_easy_getinfo takes one pointer to the result. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	void *out;

	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	out = va_arg(ap, void *);
	va_end(ap);
	return fn.easy_getinfo(h, info, out);
}

const char *curl_easy_strerror(CURLcode code)
{
	return ready() ? fn.easy_strerror(code) : load_error;
}

char *curl_easy_escape(CURL *h, const char *s, int len)
{
	return ready() ? fn.easy_escape(h, s, len) : NULL;
}

void curl_free(void *p)
{
	if (p && ready())
		fn.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return ready() ? fn.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (l && ready())
		fn.slist_free_all(l);
}

curl_version_info_data *curl_version_info(CURLversion v)
{
	return ready() ? fn.version_info(v) : NULL;
}
