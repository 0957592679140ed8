/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RADIUS shared secrets per NAS, longest-prefix match.
 *
 * Format (secrets.h): `ADDRESS[/PREFIX] SECRET` per line.  Details this
 * file decides:
 *  - a line whose first non-blank character is `#` is a comment; a `#`
 *    after the address is part of the secret (secrets may contain `#`);
 *  - blanks are spaces and tabs; a trailing CR (CRLF files) is a blank;
 *  - host bits beyond PREFIX are ignored (10.1.2.3/8 means 10.0.0.0/8);
 *  - the same ADDRESS/PREFIX twice is an error (which secret would win?).
 *
 * Parsing runs twice over the buffer: once to validate and count, once to
 * fill an array allocated exactly once, so that no secret is ever left
 * behind in memory freed by a realloc.  The array is sorted by prefix
 * length, longest first, so a lookup returns the first entry that covers
 * the address.  Error messages name the line and the reason, never the
 * secret.
 */
#include "secrets.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRETS_FILE_MAX (16u << 20)

/* The sort key of an entry; the secret itself lives apart (sec[idx]) so
 * that sorting, which may copy entries through temporary memory, never
 * copies a secret. */
struct secret_entry {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t a[16]; /* masked to plen */
	uint32_t line;
	uint32_t idx;
};

struct dp_secrets {
	size_t n;
	struct secret_entry *e; /* longest prefix first */
	struct dp_secret *sec;  /* in file order */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static void mask_prefix(uint8_t a[16], unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = i * 8;

		if (bits >= plen)
			a[i] = 0;
		else if (plen - bits < 8)
			a[i] &= (uint8_t)(0xff00u >> (plen - bits));
	}
}

/* Parses "ADDRESS[/PREFIX]" from [s, s + n).  Returns NULL or a reason. */
static const char *parse_addr(const char *s, size_t n, struct secret_entry *e)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	unsigned max, plen;

	if (alen == 0 || alen >= sizeof(buf))
		return "bad address";
	for (size_t i = 0; i < alen; i++) {
		/* inet_pton() stops at a NUL: reject anything that is not part
		 * of an address before handing it a copy. */
		if (!strchr("0123456789abcdefABCDEF.:", s[i]) || s[i] == '\0')
			return "bad address";
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(e->a, 0, sizeof(e->a));
	if (memchr(buf, ':', alen)) {
		if (inet_pton(AF_INET6, buf, e->a) != 1)
			return "bad address";
		e->family = 6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, buf, e->a) != 1)
			return "bad address";
		e->family = 4;
		max = 32;
	}

	plen = max;
	if (slash) {
		const char *d = slash + 1;
		size_t dlen = n - alen - 1;

		if (dlen == 0)
			return "bad prefix";
		plen = 0;
		for (size_t i = 0; i < dlen; i++) {
			if (d[i] < '0' || d[i] > '9')
				return "bad prefix";
			if (plen <= max) /* saturates: 0099999 is still > max */
				plen = plen * 10 + (unsigned)(d[i] - '0');
		}
		if (plen > max)
			return "prefix out of range";
	}
	e->plen = (uint8_t)plen;
	mask_prefix(e->a, plen);
	return NULL;
}

/*
 * Parses one line (without its '\n').  Returns 1 and fills e for an entry,
 * 0 for a blank or comment line, -1 with *why set for a bad line.
 */
static int parse_line(const char *s, size_t n, struct secret_entry *e, struct dp_secret *sec,
		      const char **why)
{
	size_t i = 0, tok, slen;

	while (n > 0 && is_blank(s[n - 1]))
		n--;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	tok = i;
	while (i < n && !is_blank(s[i]))
		i++;
	*why = parse_addr(s + tok, i - tok, e);
	if (*why)
		return -1;
	while (i < n && is_blank(s[i]))
		i++;
	slen = n - i;
	if (slen == 0) {
		*why = "missing secret";
		return -1;
	}
	if (slen > DP_SECRET_MAX) {
		*why = "secret longer than 128 bytes";
		return -1;
	}
	sec->len = (uint8_t)slen;
	memcpy(sec->v, s + i, slen);
	return 1;
}

/* Longest prefix first; ties broken so that duplicates end up adjacent and
 * the earlier line first. */
static int entry_cmp(const void *x, const void *y)
{
	const struct secret_entry *a = x, *b = y;
	int r;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->a, b->a, sizeof(a->a));
	if (r)
		return r;
	return a->line < b->line ? -1 : a->line > b->line;
}

static bool same_prefix(const struct secret_entry *a, const struct secret_entry *b)
{
	return a->plen == b->plen && a->family == b->family &&
	       memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

/*
 * Walks the lines of buf.  With out == NULL only validates and counts;
 * otherwise fills out[0..count) and out_sec[0..count).  Returns the number
 * of entries, or -1 with *bad_line and *why set.
 */
static long walk(const char *buf, size_t len, struct secret_entry *out,
		 struct dp_secret *out_sec, uint32_t *bad_line, const char **why)
{
	struct secret_entry scratch;
	struct dp_secret scratch_sec;
	size_t pos = 0;
	uint32_t line = 0;
	long count = 0;

	while (pos < len) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		struct secret_entry *e = out ? &out[count] : &scratch;
		struct dp_secret *sec = out ? &out_sec[count] : &scratch_sec;
		int r;

		line++;
		pos += n + (nl ? 1 : 0);
		r = parse_line(s, n, e, sec, why);
		if (r < 0) {
			*bad_line = line;
			count = -1;
			break;
		}
		if (r > 0) {
			e->line = line;
			e->idx = (uint32_t)count;
			count++;
		}
	}
	explicit_bzero(&scratch_sec, sizeof(scratch_sec));
	return count;
}

int dp_secrets_parse(const char *buf, size_t len, dp_secrets **ret, char *err, size_t errlen)
{
	struct dp_secrets *s;
	const char *why = NULL;
	uint32_t bad_line = 0;
	long n = walk(buf, len, NULL, NULL, &bad_line, &why);

	if (n < 0) {
		set_err(err, errlen, "line %u: %s", (unsigned)bad_line, why);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (n > 0) {
		s->e = calloc((size_t)n, sizeof(*s->e));
		s->sec = calloc((size_t)n, sizeof(*s->sec));
		if (!s->e || !s->sec) {
			dp_secrets_free(s);
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		long filled = walk(buf, len, s->e, s->sec, &bad_line, &why);
		assert(filled == n); /* same buffer, same verdicts */
		s->n = (size_t)n;
		(void)filled;
		qsort(s->e, s->n, sizeof(*s->e), entry_cmp);

		/* Equal ADDRESS/PREFIX entries are adjacent, earliest line
		 * first: report the earliest line that repeats another. */
		uint32_t dup = 0, orig = 0;
		size_t start = 0;
		for (size_t i = 1; i < s->n; i++) {
			if (!same_prefix(&s->e[start], &s->e[i])) {
				start = i;
				continue;
			}
			if (!dup || s->e[i].line < dup) {
				dup = s->e[i].line;
				orig = s->e[start].line;
			}
		}
		if (dup) {
			set_err(err, errlen, "line %u: same address and prefix as line %u",
				(unsigned)dup, (unsigned)orig);
			dp_secrets_free(s);
			return -EINVAL;
		}
	}
	*ret = s;
	return 0;
}

int dp_secrets_load(const char *path, dp_secrets **ret, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cannot open: %s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "is a directory");
		rc = -EISDIR;
		goto out_fd;
	}
	for (;;) {
		ssize_t got;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf;

			if (cap >= SECRETS_FILE_MAX) {
				set_err(err, errlen, "file larger than %u bytes",
					SECRETS_FILE_MAX);
				rc = -EFBIG;
				goto out_buf;
			}
			/* Grown by hand: realloc() could leave a copy of the
			 * secrets behind in freed memory. */
			nbuf = malloc(ncap);
			if (!nbuf) {
				set_err(err, errlen, "out of memory");
				rc = -ENOMEM;
				goto out_buf;
			}
			if (len)
				memcpy(nbuf, buf, len);
			if (buf) {
				explicit_bzero(buf, cap);
				free(buf);
			}
			buf = nbuf;
			cap = ncap;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			set_err(err, errlen, "read error: %s", strerror(-rc));
			goto out_buf;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	rc = dp_secrets_parse(buf ? buf : "", len, ret, err, errlen);

out_buf:
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
out_fd:
	close(fd);
	return rc;
}

static bool prefix_match(const struct secret_entry *e, const uint8_t *a)
{
	unsigned full = e->plen / 8, rest = e->plen % 8;

	if (memcmp(e->a, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return (a[full] & (uint8_t)(0xff00u >> rest)) == e->a[full];
}

const struct dp_secret *dp_secrets_lookup(const dp_secrets *s, const struct rt_addr *a)
{
	if (!s || !a || (a->family != 4 && a->family != 6))
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct secret_entry *e = &s->e[i];

		if (e->family == a->family && prefix_match(e, a->a))
			return &s->sec[e->idx];
	}
	return NULL;
}

size_t dp_secrets_count(const dp_secrets *s)
{
	return s ? s->n : 0;
}

void dp_secrets_free(dp_secrets *s)
{
	if (!s)
		return;
	if (s->sec) {
		explicit_bzero(s->sec, s->n * sizeof(*s->sec));
		free(s->sec);
	}
	free(s->e);
	explicit_bzero(s, sizeof(*s));
	free(s);
}
