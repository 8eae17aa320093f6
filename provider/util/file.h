/* Reading small files that may hold secrets. */
#ifndef UTIL_FILE_H
#define UTIL_FILE_H

#include <stddef.h>

/* Read a regular file of at most `max` bytes into a malloc'd NUL-terminated
 * buffer (*out, *outlen bytes; the caller frees it, with util_secret_free_n
 * when it is a secret). 0, or -1 with errno: EINVAL (not a regular file),
 * EFBIG (larger than max, also when it grows while being read), or what
 * open/read said. A partial read is wiped before it is freed. */
int util_read_file(const char *path, size_t max, char **out, size_t *outlen);

#endif
