/* Unit tests for the libcurl the binary links: the minimal static build of
 * provider/http/curl-min/build.sh. It must be the version of the headers
 * the code compiles against, have exactly the protocols and features that
 * script promises (HTTP and HTTPS over OpenSSL, unix sockets, proxies, the
 * threaded resolver), Debian's default CA locations, and no shared libcurl
 * (nor libssl, libcrypto, libstdc++: static as well) may be mapped in the
 * process. */
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

/* 1 when the NULL-terminated list `have` holds exactly the n names of
 * `want`, in any order; prints the difference otherwise. */
static int same_names(const char *const *have, const char *const *want,
		      size_t n)
{
	size_t count = 0, i;
	int ok = 1;

	for (; have && have[count]; count++) {
		for (i = 0; i < n && strcmp(have[count], want[i]) != 0; i++)
			;
		if (i == n) {
			printf("unexpected: %s\n", have[count]);
			ok = 0;
		}
	}
	if (count != n) {
		printf("have %zu names, want %zu\n", count, n);
		ok = 0;
	}
	return ok;
}

static void test_version_matches_headers(void **state)
{
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	(void)state;
	assert_non_null(vi);
	assert_int_equal(vi->version_num, LIBCURL_VERSION_NUM);
	assert_string_equal(vi->version, LIBCURL_VERSION);
	assert_non_null(vi->ssl_version);
	assert_non_null(strstr(vi->ssl_version, "OpenSSL"));
}

static void test_only_http_and_https(void **state)
{
	static const char *const want[] = { "http", "https" };
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	(void)state;
	assert_true(same_names(vi->protocols, want, 2));
}

static void test_features(void **state)
{
	static const char *const want[] = { "AsynchDNS", "HTTPS-proxy",
					    "IPv6",      "Largefile",
					    "SSL",       "UnixSockets",
					    "threadsafe" };
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	(void)state;
	assert_true(same_names(vi->feature_names, want,
			       sizeof(want) / sizeof(want[0])));
	assert_null(vi->libz_version);
	assert_null(vi->libidn);
	assert_null(vi->libssh_version);
	assert_int_equal(vi->nghttp2_version, 0);
	assert_int_equal(vi->brotli_ver_num, 0);
	assert_int_equal(vi->zstd_ver_num, 0);
}

/* Debian's CA bundle and path are the defaults; the options the clients
 * set are built in (proxy, unix socket); a protocol that is not built in
 * fails at once. */
static void test_options_and_default_ca(void **state)
{
	char *cainfo = NULL, *capath = NULL;
	CURL *h;

	(void)state;
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_CAINFO, &cainfo),
			 CURLE_OK);
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_CAPATH, &capath),
			 CURLE_OK);
	assert_non_null(cainfo);
	assert_string_equal(cainfo, "/etc/ssl/certs/ca-certificates.crt");
	assert_non_null(capath);
	assert_string_equal(capath, "/etc/ssl/certs");
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PROXY,
					  "http://192.0.2.1:3128"),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH,
					  "/nonexistent/socket"),
			 CURLE_OK);
	curl_easy_reset(h);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, "file:///etc/passwd"),
			 CURLE_OK);
	assert_int_equal(curl_easy_perform(h), CURLE_UNSUPPORTED_PROTOCOL);
	curl_easy_cleanup(h);
}

/* dl_iterate_phdr callback: stops at the first object whose name holds
 * the substring in m->what and records that name. */
struct mapped {
	const char *what;
	const char *found;
};

static int find_mapped(struct dl_phdr_info *info, size_t size, void *ud)
{
	struct mapped *m = ud;

	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, m->what)) {
		m->found = info->dlpi_name;
		return 1;
	}
	return 0;
}

static void assert_not_mapped(const char *what)
{
	struct mapped m = { what, NULL };

	dl_iterate_phdr(find_mapped, &m);
	if (m.found)
		printf("mapped: %s\n", m.found);
	assert_null(m.found);
}

static void test_no_shared_libcurl(void **state)
{
	(void)state;
	assert_not_mapped("libcurl");
}

/* OpenSSL is linked static (Makefile, "Linking"): one copy serves gRPC and
 * libcurl. libstdc++ and libgcc_s too, except that the sanitizer runtimes
 * of an instrumented build bring their own. */
static void test_no_shared_openssl_or_cxx(void **state)
{
	(void)state;
	assert_not_mapped("libssl");
	assert_not_mapped("libcrypto");
#if !defined(__SANITIZE_ADDRESS__)
	assert_not_mapped("libstdc++");
	assert_not_mapped("libgcc_s");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_matches_headers),
		cmocka_unit_test(test_only_http_and_https),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_options_and_default_ca),
		cmocka_unit_test(test_no_shared_libcurl),
		cmocka_unit_test(test_no_shared_openssl_or_cxx),
	};
	int rc = cmocka_run_group_tests_name("curl_build", tests, NULL, NULL);

	curl_global_cleanup();
	return rc;
}
