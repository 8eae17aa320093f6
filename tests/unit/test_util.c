/* Unit tests for provider/util: base64 (OpenSSL-backed; padded, unpadded,
 * whitespace, hostile input), UTF-8 trimming and validation, secret
 * freeing, scope-bound cleanup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "provider/util/b64.h"
#include "provider/util/cleanup.h"
#include "provider/util/clock.h"
#include "provider/util/file.h"
#include "provider/util/subprocess.h"
#include "provider/util/url.h"
#include "provider/util/secret.h"
#include "provider/util/text.h"

static void roundtrip(const char *plain, const char *padded)
{
	size_t n = strlen(plain), got = 0;
	char *e = util_b64_encode(plain, n, false),
	     *u = util_b64_encode(plain, n, true);
	char *d;

	assert_string_equal(e, padded);
	assert_int_equal(strlen(u), strcspn(padded, "="));
	d = util_b64_decode(e, strlen(e), &got);
	assert_non_null(d);
	assert_int_equal(got, n);
	assert_memory_equal(d, plain, n);
	free(d);
	d = util_b64_decode(u, strlen(u), &got); /* padding optional */
	assert_non_null(d);
	assert_int_equal(got, n);
	assert_memory_equal(d, plain, n);
	free(d);
	free(e);
	free(u);
}

static void test_b64_vectors(void **state)
{
	(void)state;
	roundtrip("", "");
	roundtrip("f", "Zg==");
	roundtrip("fo", "Zm8=");
	roundtrip("foo", "Zm9v");
	roundtrip("foob", "Zm9vYg==");
	roundtrip("fooba", "Zm9vYmE=");
	roundtrip("foobar", "Zm9vYmFy");
}

static void test_b64_binary_and_whitespace(void **state)
{
	unsigned char bin[256];
	size_t got = 0;
	char *e, *d;

	(void)state;
	for (int i = 0; i < 256; i++)
		bin[i] = (unsigned char)i;
	e = util_b64_encode(bin, sizeof(bin), false);
	d = util_b64_decode(e, strlen(e), &got);
	assert_int_equal(got, sizeof(bin));
	assert_memory_equal(d, bin, sizeof(bin));
	free(d);
	free(e);
	d = util_b64_decode("Zm9v\nYmFy\r\n", 11, &got);
	assert_non_null(d);
	assert_string_equal(d, "foobar");
	free(d);
	/* len stops before the NUL */
	d = util_b64_decode("Zm9vYmFyXXXX", 8, &got);
	assert_string_equal(d, "foobar");
	free(d);
}

static void test_b64_hostile(void **state)
{
	size_t got = 0;

	(void)state;
	assert_null(util_b64_decode("Zm9v!", 5, &got)); /* bad digit */
	assert_null(
		util_b64_decode("Zg==Zg", 6, &got));    /* data after padding */
	assert_null(util_b64_decode("Z", 1, &got));     /* one digit */
	assert_null(util_b64_decode("Zg===", 5, &got)); /* too much padding */
	assert_null(util_b64_decode("Z===", 4, &got));
}

/* ---- unpadded (go-plugin's handshake certificate; was srv_base64_unpadded) */

static void check_unpadded(const char *in, const char *want)
{
	char *got = util_b64_encode(in, strlen(in), true);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_b64_unpadded_vectors(void **state)
{
	(void)state;
	/* RFC 4648 section 10 vectors without padding. */
	check_unpadded("", "");
	check_unpadded("f", "Zg");
	check_unpadded("fo", "Zm8");
	check_unpadded("foo", "Zm9v");
	check_unpadded("foob", "Zm9vYg");
	check_unpadded("fooba", "Zm9vYmE");
	check_unpadded("foobar", "Zm9vYmFy");
}

/* Random inputs of every length mod 3 against OpenSSL's padded encoder
 * with the '=' stripped. */
static void test_b64_unpadded_random(void **state)
{
	uint8_t in[300];
	unsigned char ref[420];
	size_t len, i;

	(void)state;
	srand(12345);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)rand();
	for (len = 0; len <= sizeof(in); len++) {
		char *got = util_b64_encode(in, len, true);
		int n = EVP_EncodeBlock(ref, in, (int)len);

		assert_non_null(got);
		while (n > 0 && ref[n - 1] == '=')
			ref[--n] = '\0';
		assert_string_equal(got, (const char *)ref);
		assert_null(strchr(got, '='));
		assert_int_equal(strlen(got), (len * 4 + 2) / 3);
		free(got);
	}
}

/* ---- Kubernetes Secret data (was k8s_b64_encode/decode) ---------------- */

static void test_b64_secret_data(void **state)
{
	static const char *const in[] = {
		"",     "f",     "fo",     "foo",
		"foob", "fooba", "foobar", "-----BEGIN CERTIFICATE-----\nMII\n",
		NULL
	};
	static const char *const out[] = {
		"",         "Zg==",     "Zm8=",     "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", NULL
	};

	(void)state;
	for (int i = 0; in[i]; i++) {
		char *e = util_b64_encode(in[i], strlen(in[i]), false);
		size_t n = 0;
		char *d = util_b64_decode(e, strlen(e), &n);
		if (out[i])
			assert_string_equal(e, out[i]);
		assert_int_equal(n, strlen(in[i]));
		assert_string_equal(d, in[i]);
		free(e);
		free(d);
	}
	{
		size_t n;
		assert_null(util_b64_decode("Zm9v!", 5, &n));
	}
}

/* ---- kubeconfig *-data (was kc_base64_decode) --------------------------- */

/* Decode `in`: the byte count, or -1 when refused. */
static long dec_len(const char *in, size_t len, char *want)
{
	size_t n = 0;
	char *out = util_b64_decode(in, len, &n);

	if (!out)
		return -1;
	if (want)
		assert_string_equal(out, want);
	free(out);
	return (long)n;
}

static void test_b64_kubeconfig_data(void **state)
{
	(void)state;
	assert_int_equal(dec_len("aGVsbG8=", 8, "hello"), 5);
	assert_int_equal(dec_len("aGVs\nbG8", 8, "hello"),
			 5); /* no padding, newline */
	assert_int_equal(dec_len("", 0, ""), 0);
	assert_int_equal(dec_len("a", 1, NULL), -1);
	assert_int_equal(dec_len("aGVsbG8=x", 9, NULL), -1);
	assert_int_equal(dec_len("aGV=bG8=", 8, NULL), -1);
	assert_int_equal(dec_len("aGVsbG8===", 10, NULL), -1);
	assert_int_equal(dec_len("a$Vs", 4, NULL), -1);
}

static void test_utf8(void **state)
{
	char s[16];

	(void)state;
	snprintf(s, sizeof(s), "%s", "ab\xc3\xa9"); /* "abé" */
	util_utf8_trim(s, 3);                       /* would split é */
	assert_string_equal(s, "ab");
	snprintf(s, sizeof(s), "%s", "ab\xc3\xa9");
	util_utf8_trim(s, 4);
	assert_string_equal(s, "ab\xc3\xa9");
	snprintf(s, sizeof(s), "%s", "\xe2\x82\xac\xe2\x82\xac"); /* "€€" */
	util_utf8_trim(s, 5);
	assert_string_equal(s, "\xe2\x82\xac");
	assert_true(util_utf8_valid("ab\xc3\xa9", 4));
	assert_false(util_utf8_valid("ab\xc3", 3));       /* truncated */
	assert_false(util_utf8_valid("a\0b", 3));         /* NUL */
	assert_false(util_utf8_valid("\xff", 1));         /* invalid lead */
	assert_false(util_utf8_valid("\xe2\x28\xa1", 3)); /* bad continuation */
}

static void test_secret(void **state)
{
	char *s = strdup("token");

	(void)state;
	util_secret_free(s);
	util_secret_free(NULL);
	util_secret_free_n(NULL, 3);
	util_secret_free_n(malloc(8), 8);
}

static char *take_out(void)
{
	_cleanup_free_ char *s = strdup("kept");
	_cleanup_free_ char *t = strdup("dropped"); /* freed at return */

	assert_non_null(t);
	return TAKE_PTR(s);
}

static int fd_of_scope(void)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY);
	_cleanup_close_ int none = -1;

	assert_true(fd >= 0);
	(void)none;
	return fd; /* closed when the scope ends */
}

static void test_cleanup(void **state)
{
	_cleanup_free_ char *s = take_out();
	_cleanup_secret_ char *secret = strdup("token");
	_cleanup_free_ char *never = NULL;
	char *p;
	int fd, kept;

	(void)state;
	assert_string_equal(s, "kept");
	assert_non_null(secret);
	assert_null(never);
	p = TAKE_PTR(s);
	assert_null(s);
	assert_string_equal(p, "kept");
	free(p);
	fd = fd_of_scope();
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* no longer open */
	{
		_cleanup_close_ int f = open("/dev/null", O_RDONLY);

		kept = TAKE_FD(f);
		assert_int_equal(f, -1);
	}
	assert_true(fcntl(kept, F_GETFD) >= 0);
	close(kept);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/test_util.XXXXXX", *buf = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "token\n", 6), 6);
	close(fd);
	assert_int_equal(util_read_file(path, 64, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "token\n");
	util_secret_free_n(buf, len);
	/* Larger than allowed, not a regular file, absent. */
	assert_int_equal(util_read_file(path, 5, &buf, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(util_read_file("/tmp", 64, &buf, &len), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);
	assert_int_equal(util_read_file(path, 64, &buf, &len), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_url_escape(void **state)
{
	char *e;

	(void)state;
	e = util_url_escape("a-z_0.9~");
	assert_string_equal(e, "a-z_0.9~");
	free(e);
	e = util_url_escape("a b/c?d=e&f+\xc3\xa9");
	assert_string_equal(e, "a%20b%2Fc%3Fd%3De%26f%2B%C3%A9");
	free(e);
	e = util_url_escape("");
	assert_string_equal(e, "");
	free(e);
}

static int run_sh(const char *script, size_t max_out, long timeout_ms,
		  util_run_result *r)
{
	char *const argv[] = { "sh", "-c", (char *)script, NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	util_run_opts o = { .file = "sh",
			    .argv = argv,
			    .envp = envp,
			    .timeout_ms = timeout_ms,
			    .max_stdout = max_out };

	return util_run(&o, r);
}

static void test_run(void **state)
{
	util_run_result r;
	char *const argv[] = { "no-such-program-util-test", NULL };
	util_run_opts o = { .file = argv[0],
			    .argv = argv,
			    .envp = argv + 1,
			    .timeout_ms = 1000,
			    .max_stdout = 10 };

	(void)state;
	assert_int_equal(run_sh("echo out; printf 'bad\\nthing\\n' >&2; exit 3",
				64, 5000, &r),
			 0);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 3);
	assert_string_equal(r.out, "out\n");
	assert_string_equal(r.err, "bad thing"); /* one line */
	assert_false(r.timed_out || r.too_big || r.cancelled);
	util_run_result_done(&r);
	/* Bounded: killed past the output cap, and at the deadline. */
	assert_int_equal(run_sh("while :; do echo xxxxxxxx; done", 1000, 5000,
				&r),
			 0);
	assert_true(r.too_big);
	util_run_result_done(&r);
	assert_int_equal(run_sh("exec sleep 30", 64, 200, &r), 0);
	assert_true(r.timed_out);
	util_run_result_done(&r);
	/* Not there: an errno, nothing to free. */
	assert_int_not_equal(util_run(&o, &r), 0);
	util_run_result_done(&r);
}

static void test_clock(void **state)
{
	atomic_int stop = 0;
	long long t0 = util_now_ms();

	(void)state;
	assert_true(util_sleep_ms(30, &stop));
	assert_true(util_sleep_ms(0, NULL));
	assert_true(util_now_ms() - t0 >= 30);
	atomic_store(&stop, 1);
	t0 = util_now_ms();
	assert_false(util_sleep_ms(60000, &stop)); /* at once */
	assert_false(util_sleep_ms(0, &stop));
	assert_true(util_now_ms() - t0 < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_binary_and_whitespace),
		cmocka_unit_test(test_b64_hostile),
		cmocka_unit_test(test_b64_unpadded_vectors),
		cmocka_unit_test(test_b64_unpadded_random),
		cmocka_unit_test(test_b64_secret_data),
		cmocka_unit_test(test_b64_kubeconfig_data),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_url_escape),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
