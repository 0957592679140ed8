/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tiny test harness for the dataplane unit tests: CHECK() prints file:line
 * of every failed check, check_done() prints the closing "N passed, N
 * failed" line and gives the exit code.  guard_copy() places test input at
 * the very end of a heap block of exactly its size, so that ASan reports
 * any read past the end.
 */
#ifndef TEST_DP_DP_CHECK_H
#define TEST_DP_DP_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned check_pass, check_fail;

/* Context printed with failures (e.g. the name of a table row). */
static const char *check_ctx = "";

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond) {                                                            \
			check_pass++;                                                  \
		} else {                                                               \
			check_fail++;                                                  \
			fprintf(stderr, "%s:%d: [%s] CHECK(%s) failed\n", __FILE__,     \
				__LINE__, check_ctx, #cond);                           \
		}                                                                      \
	} while (0)

/* CHECK() with a printf-style note, e.g. the values compared. */
#define CHECKF(cond, ...)                                                              \
	do {                                                                           \
		if (cond) {                                                            \
			check_pass++;                                                  \
		} else {                                                               \
			check_fail++;                                                  \
			fprintf(stderr, "%s:%d: [%s] CHECK(%s) failed: ", __FILE__,     \
				__LINE__, check_ctx, #cond);                           \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
		}                                                                      \
	} while (0)

static inline int check_done(void)
{
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail ? 1 : 0;
}

static inline int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (blanks ignored) into out; aborts on a malformed test vector. */
static inline size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *s = hex; *s; s++) {
		int v;

		if (*s == ' ' || *s == '\n' || *s == '\t')
			continue;
		v = hex_nibble(*s);
		if (v < 0 || (hi < 0 && n >= cap)) {
			fprintf(stderr, "bad test vector: %s\n", hex);
			abort();
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		fprintf(stderr, "odd hex digits in test vector: %s\n", hex);
		abort();
	}
	return n;
}

/* A heap copy of p[0..n) that ends exactly where the allocation ends.
 * Not inlined, so that the compiler does not second-guess the n == 0
 * pointer (one past a 1-byte block: nothing readable, by design). */
__attribute__((noinline, unused)) static uint8_t *guard_copy(const void *p, size_t n)
{
	uint8_t *g = malloc(n ? n : 1);

	if (!g) {
		perror("malloc");
		abort();
	}
	if (n)
		memcpy(g, p, n);
	return n ? g : g + 1; /* n == 0: a pointer with nothing readable */
}

static inline void guard_free(uint8_t *g, size_t n)
{
	free(n ? g : g - 1);
}

#endif /* TEST_DP_DP_CHECK_H */
