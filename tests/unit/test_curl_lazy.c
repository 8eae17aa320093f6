/* Unit tests for provider/http/curl_lazy.c: libcurl loaded on first use.
 * Every argument class of curl_easy_setopt (long, pointer, function
 * pointer, curl_off_t, blob) must reach libcurl intact; a file:// transfer
 * proves the callbacks and user pointers arrive, getinfo proves results
 * come back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

struct sink {
	char buf[64];
	size_t n;
};

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t len = size * nmemb;

	if (len > sizeof(s->buf) - 1 - s->n)
		return 0;
	memcpy(s->buf + s->n, p, len);
	s->n += len;
	s->buf[s->n] = '\0';
	return len;
}

static void test_version_and_init(void **state)
{
	curl_version_info_data *vi;

	(void)state;
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	vi = curl_version_info(CURLVERSION_NOW);
	assert_non_null(vi);
	assert_non_null(vi->version);
	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
}

static void test_file_transfer_through_every_arg_class(void **state)
{
	char path[] = "/tmp/tfp-curl-lazy-XXXXXX";
	char url[64];
	struct sink s = { .n = 0 };
	static const char ca[] = "not a certificate";
	struct curl_blob blob = { (void *)ca, sizeof(ca) - 1, CURL_BLOB_COPY };
	char *scheme = NULL;
	curl_off_t size = -1;
	CURLcode rc;
	int fd;
	CURL *h;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello lazy curl", 15), 15);
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);

	h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, &s), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
					  (curl_off_t)1024),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob),
			 CURLE_OK);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	assert_string_equal(s.buf, "hello lazy curl");
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_SCHEME, &scheme),
			 CURLE_OK);
	assert_non_null(scheme);
	assert_string_equal(scheme, "FILE");
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &size),
			 CURLE_OK);
	assert_int_equal(size, 15);

	/* Resuming at an offset proves the curl_off_t argument arrived. */
	curl_easy_reset(h);
	s.n = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)6);
	rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	unlink(path);
	assert_int_equal(rc, CURLE_OK);
	assert_string_equal(s.buf, "lazy curl");
}

static void test_slist_and_escape(void **state)
{
	struct curl_slist *l = NULL;
	char *e;
	CURL *h;

	(void)state;
	l = curl_slist_append(l, "A: 1");
	l = curl_slist_append(l, "B: 2");
	assert_non_null(l);
	assert_string_equal(l->data, "A: 1");
	assert_string_equal(l->next->data, "B: 2");
	curl_slist_free_all(l);
	h = curl_easy_init();
	assert_non_null(h);
	e = curl_easy_escape(h, "a b/c", 0);
	assert_non_null(e);
	assert_string_equal(e, "a%20b%2Fc");
	curl_free(e);
	curl_easy_cleanup(h);
	curl_easy_cleanup(NULL); /* tolerated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_init),
		cmocka_unit_test(test_file_transfer_through_every_arg_class),
		cmocka_unit_test(test_slist_and_escape),
	};

	return cmocka_run_group_tests_name("curl_lazy", tests, NULL, NULL);
}
