/* Reading small files (see file.h). */
#include "provider/util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider/util/cleanup.h"
#include "provider/util/secret.h"

/* Grow buf (capacity *cap, n bytes used) towards max + 1; -1 with errno
 * when it cannot. */
static int grow(char **buf, size_t *cap, size_t max)
{
	size_t ncap = *cap * 2 > max + 1 ? max + 1 : *cap * 2;
	char *nb;

	if (*cap > max) {
		errno = EFBIG; /* the file grew past max */
		return -1;
	}
	nb = realloc(*buf, ncap);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

int util_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t n = 0, cap;
	ssize_t r;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if ((unsigned long long)st.st_size > max) {
		errno = EFBIG;
		return -1;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		return -1;
	for (;;) {
		if (n + 1 >= cap && grow(&buf, &cap, max) < 0)
			goto fail;
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
fail : {
	int e = errno;

	util_secret_free_n(buf, n);
	errno = e;
}
	return -1;
}
