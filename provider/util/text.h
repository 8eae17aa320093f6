/* Small text helpers shared by every layer (no allocation). */
#ifndef UTIL_TEXT_H
#define UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Cut `s` back to at most `max` bytes without splitting a UTF-8 sequence
 * (messages end up in protobuf strings, which must be valid UTF-8). */
void util_utf8_trim(char *s, size_t max);

/* Is s[0..n) valid UTF-8 without NUL bytes (what a Terraform string may
 * hold)? */
bool util_utf8_valid(const char *s, size_t n);

#endif
