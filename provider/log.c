/* hclog-style JSON lines on stderr; see log.h for the contract.
 *
 * Every line is assembled in one heap buffer and handed to the kernel with
 * a single write(2), so lines from concurrent threads never interleave
 * (pipes guarantee that up to PIPE_BUF bytes; longer lines may be split by
 * the reader but never mixed within a write). Formatting never touches
 * stdio, so the handshake line's stdout buffer is not involved. */
#include "provider/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Messages longer than this are cut (at a UTF-8 boundary). */
#define LOG_MAX_MESSAGE (16 * 1024)

static atomic_int log_min_level = TFP_LOG_DEBUG;

static const char *const level_names[] = {
	[TFP_LOG_TRACE] = "trace", [TFP_LOG_DEBUG] = "debug",
	[TFP_LOG_INFO] = "info",   [TFP_LOG_WARN] = "warn",
	[TFP_LOG_ERROR] = "error",
};

void tfp_log_set_level(tfp_log_level lvl)
{
	if (lvl < TFP_LOG_TRACE || lvl > TFP_LOG_ERROR)
		return;
	atomic_store(&log_min_level, (int)lvl);
}

void tfp_log_init(void)
{
	const char *env = getenv("TFP_LOG_LEVEL");
	size_t i;

	if (!env || !*env)
		return;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(env, level_names[i]) == 0) {
			tfp_log_set_level((tfp_log_level)i);
			return;
		}
	}
	/* "warning" is a common spelling; anything else keeps the default. */
	if (strcasecmp(env, "warning") == 0)
		tfp_log_set_level(TFP_LOG_WARN);
}

/* A growable byte buffer; on allocation failure `failed` is set and
 * further appends are ignored (the line is then dropped). */
typedef struct log_buf {
	char *data;
	size_t len, cap;
	int failed;
} log_buf;

static void buf_reserve(log_buf *b, size_t extra)
{
	size_t want;
	char *p;

	if (b->failed)
		return;
	if (b->len + extra <= b->cap)
		return;
	want = b->cap ? b->cap : 256;
	while (want < b->len + extra)
		want *= 2;
	p = realloc(b->data, want);
	if (!p) {
		b->failed = 1;
		return;
	}
	b->data = p;
	b->cap = want;
}

static void buf_put(log_buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void buf_puts(log_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most `avail` bytes), or 0
 * if the bytes there are not well-formed UTF-8. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* The two-character JSON escapes, by ASCII character. */
static const char *const json_escapes[0x80] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n",
	['\r'] = "\\r", ['\t'] = "\\t",
};

/* Append `s` (n bytes) as a quoted JSON string. Control characters are
 * escaped; bytes that are not valid UTF-8 become U+FFFD so the line is
 * always valid JSON. */
static void buf_put_json_string(log_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	char esc[8];

	buf_put(b, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];

		const char *short_esc = c < 0x80 ? json_escapes[c] : NULL;

		if (short_esc) {
			buf_put(b, short_esc, 2);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			buf_put(b, esc, 6);
			i++;
			continue;
		}
		k = utf8_seq_len(p + i, n - i);
		if (k == 0) {
			buf_put(b, "\\ufffd", 6);
			i++;
			continue;
		}
		buf_put(b, s + i, k);
		i += k;
	}
	buf_put(b, "\"", 1);
}

/* Cut `n` so it does not end inside a UTF-8 sequence. */
static size_t utf8_trim(const char *s, size_t n)
{
	size_t back = 0;

	while (back < 4 && back < n &&
	       ((unsigned char)s[n - 1 - back] & 0xc0) == 0x80)
		back++;
	if (back < n && ((unsigned char)s[n - 1 - back] & 0x80))
		return n - 1 - back;
	return n;
}

static void buf_put_timestamp(log_buf *b)
{
	struct timespec ts;
	struct tm tm;
	char out[48];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, sizeof(out) - n, ".%06ldZ", ts.tv_nsec / 1000);
	buf_put_json_string(b, out, strlen(out));
}

/* Write all of b in (normally) one write(2); EINTR and short writes are
 * retried. Errors are ignored: there is nowhere left to report them. */
static void buf_emit(log_buf *b)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t w = write(STDERR_FILENO, b->data + off, b->len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (size_t)w;
	}
}

static int level_enabled(tfp_log_level lvl)
{
	if (lvl < TFP_LOG_TRACE || lvl > TFP_LOG_ERROR)
		return 0;
	return (int)lvl >= atomic_load(&log_min_level);
}

/* Build and write one line: level, message, timestamp, then the key/value
 * pairs from `kv` (may be NULL). */
static void log_line(tfp_log_level lvl, const char *msg, size_t msg_len,
		     va_list *kv)
{
	log_buf b = { 0 };
	const char *k, *v;

	if (msg_len > LOG_MAX_MESSAGE)
		msg_len = utf8_trim(msg, LOG_MAX_MESSAGE);
	buf_reserve(&b, msg_len + 128);
	buf_puts(&b, "{\"@level\":\"");
	buf_puts(&b, level_names[lvl]);
	buf_puts(&b, "\",\"@message\":");
	buf_put_json_string(&b, msg, msg_len);
	buf_puts(&b, ",\"@timestamp\":");
	buf_put_timestamp(&b);
	while (kv && (k = va_arg(*kv, const char *)) != NULL) {
		v = va_arg(*kv, const char *);
		buf_put(&b, ",", 1);
		buf_put_json_string(&b, k, strlen(k));
		buf_put(&b, ":", 1);
		if (v)
			buf_put_json_string(&b, v, strlen(v));
		else
			buf_puts(&b, "null");
	}
	buf_put(&b, "}\n", 2);
	if (!b.failed)
		buf_emit(&b);
	free(b.data);
}

void tfp_log(tfp_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	char *msg = small;
	int n;

	if (!level_enabled(lvl))
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (!msg)
			return;
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	log_line(lvl, msg, (size_t)n, NULL);
	if (msg != small)
		free(msg);
}

void tfp_logkv(tfp_log_level lvl, const char *msg, ...)
{
	va_list ap;

	if (!level_enabled(lvl))
		return;
	va_start(ap, msg);
	log_line(lvl, msg ? msg : "", msg ? strlen(msg) : 0, &ap);
	va_end(ap);
}
