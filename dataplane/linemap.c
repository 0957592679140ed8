/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Line identity -> account map (format: linemap.h, rules: ACCESS.md).
 *
 * Loaded once (allocation happens here, at load), then immutable: entries
 * point into one byte arena, and an open-addressing index of entry numbers
 * answers lookups without allocating.
 */
#include "linemap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lm_entry {
	uint64_t hash;
	uint32_t voff, aoff; /* into the arena */
	uint32_t line;       /* for the duplicate error */
	uint8_t vlen, alen, kind;
};

struct dp_linemap {
	struct lm_entry *e;
	size_t n, cap;
	char *arena;
	size_t used, acap;
	uint32_t *index; /* entry number + 1, 0 = empty */
	size_t mask;
};

static const char *const fail_names[] = {
	[DP_LINEMAP_OK] = "ok",
	[DP_LINEMAP_LINE_TOO_LONG] = "line too long",
	[DP_LINEMAP_NUL] = "NUL byte",
	[DP_LINEMAP_MISSING_FIELD] = "expected KIND,VALUE,ACCOUNT",
	[DP_LINEMAP_BAD_KIND] = "kind is not circuit-id, remote-id or subscriber-id",
	[DP_LINEMAP_EMPTY_VALUE] = "empty value",
	[DP_LINEMAP_VALUE_TOO_LONG] = "value longer than 253 bytes",
	[DP_LINEMAP_BAD_HEX] = "bad hex value",
	[DP_LINEMAP_EMPTY_ACCOUNT] = "empty account",
	[DP_LINEMAP_ACCOUNT_TOO_LONG] = "account longer than 253 bytes",
	[DP_LINEMAP_DUPLICATE] = "duplicate line identity",
	[DP_LINEMAP_TOO_MANY] = "too many entries",
};
_Static_assert(sizeof(fail_names) / sizeof(fail_names[0]) == DP_LINEMAP_FAIL_MAX,
	       "fail_names must name every enum dp_linemap_fail value");

const char *dp_linemap_fail_str(enum dp_linemap_fail f)
{
	if ((unsigned)f >= DP_LINEMAP_FAIL_MAX)
		return "unknown";
	return fail_names[f];
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks at both ends of [*p, *p + *n). */
static void trim(const char **p, size_t *n)
{
	while (*n && blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && blank((*p)[*n - 1]))
		(*n)--;
}

static enum dp_linemap_fail parse_value(const char *p, size_t n, struct rt_text *out)
{
	if (n == 0)
		return DP_LINEMAP_EMPTY_VALUE;
	if (n >= 4 && memcmp(p, "hex:", 4) == 0) {
		p += 4;
		n -= 4;
		if (n == 0)
			return DP_LINEMAP_EMPTY_VALUE;
		if (n % 2)
			return DP_LINEMAP_BAD_HEX;
		if (n / 2 > RT_TEXT_MAX)
			return DP_LINEMAP_VALUE_TOO_LONG;
		for (size_t i = 0; i < n; i += 2) {
			int hi = rt_hexval(p[i]), lo = rt_hexval(p[i + 1]);
			if (hi < 0 || lo < 0)
				return DP_LINEMAP_BAD_HEX;
			out->v[i / 2] = (char)(hi << 4 | lo);
		}
		out->len = (uint8_t)(n / 2);
		return DP_LINEMAP_OK;
	}
	if (n > RT_TEXT_MAX)
		return DP_LINEMAP_VALUE_TOO_LONG;
	memcpy(out->v, p, n);
	out->len = (uint8_t)n;
	return DP_LINEMAP_OK;
}

enum dp_linemap_fail dp_linemap_parse_line(const char *line, size_t len,
					   struct dp_linemap_line *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (len > DP_LINEMAP_MAX_LINE)
		return DP_LINEMAP_LINE_TOO_LONG;
	if (memchr(line, '\0', len))
		return DP_LINEMAP_NUL;
	if (len && line[len - 1] == '\r')
		len--;
	const char *p = line;
	size_t n = len;
	trim(&p, &n);
	if (n == 0 || p[0] == '#')
		return DP_LINEMAP_OK; /* blank or comment */

	const char *c1 = memchr(p, ',', n);
	const char *c2 = NULL;
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == ',') {
			c2 = p + i - 1;
			break;
		}
	if (!c1 || c2 == c1)
		return DP_LINEMAP_MISSING_FIELD;

	const char *k = p;
	size_t kn = (size_t)(c1 - p);
	trim(&k, &kn);
	if (kn == 10 && memcmp(k, "circuit-id", 10) == 0)
		ret->kind = DP_LINE_CIRCUIT;
	else if (kn == 9 && memcmp(k, "remote-id", 9) == 0)
		ret->kind = DP_LINE_REMOTE;
	else if (kn == 13 && memcmp(k, "subscriber-id", 13) == 0)
		ret->kind = DP_LINE_SUBSCRIBER;
	else
		return DP_LINEMAP_BAD_KIND;

	const char *v = c1 + 1;
	size_t vn = (size_t)(c2 - v);
	trim(&v, &vn);
	enum dp_linemap_fail f = parse_value(v, vn, &ret->value);
	if (f != DP_LINEMAP_OK) {
		ret->kind = 0;
		return f;
	}

	const char *a = c2 + 1;
	size_t an = (size_t)(p + n - a);
	trim(&a, &an);
	if (an == 0 || an > RT_TEXT_MAX) {
		ret->kind = 0;
		return an == 0 ? DP_LINEMAP_EMPTY_ACCOUNT : DP_LINEMAP_ACCOUNT_TOO_LONG;
	}
	memcpy(ret->account.v, a, an);
	ret->account.len = (uint8_t)an;
	return DP_LINEMAP_OK;
}

static uint64_t key_hash(unsigned kind, const void *v, size_t len)
{
	const uint8_t *b = v;
	uint64_t h = 1469598103934665603ULL ^ kind;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static int arena_put(dp_linemap *m, const void *v, size_t n, uint32_t *ret_off)
{
	if (m->used + n > m->acap) {
		size_t nc = m->acap ? m->acap * 2 : 4096;
		while (nc < m->used + n)
			nc *= 2;
		if (nc > UINT32_MAX)
			return -ENOMEM;
		char *na = realloc(m->arena, nc);
		if (!na)
			return -ENOMEM;
		m->arena = na;
		m->acap = nc;
	}
	memcpy(m->arena + m->used, v, n);
	*ret_off = (uint32_t)m->used;
	m->used += n;
	return 0;
}

static int add(dp_linemap *m, const struct dp_linemap_line *l, uint32_t lineno)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		struct lm_entry *ne = realloc(m->e, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		m->e = ne;
		m->cap = nc;
	}
	struct lm_entry *e = &m->e[m->n];
	int err = arena_put(m, l->value.v, l->value.len, &e->voff);
	if (!err)
		err = arena_put(m, l->account.v, l->account.len, &e->aoff);
	if (err)
		return err;
	e->vlen = l->value.len;
	e->alen = l->account.len;
	e->kind = l->kind;
	e->line = lineno;
	e->hash = key_hash(l->kind, l->value.v, l->value.len);
	m->n++;
	return 0;
}

static bool entry_eq(const dp_linemap *m, const struct lm_entry *e, unsigned kind, uint64_t h,
		     const void *v, size_t len)
{
	return e->hash == h && e->kind == kind && e->vlen == len &&
	       memcmp(m->arena + e->voff, v, len) == 0;
}

/* Build the index; a duplicate reports the later line. */
static int build_index(dp_linemap *m, uint32_t *ret_dup_line)
{
	size_t slots = 16;
	while (slots < m->n * 2)
		slots *= 2;
	m->index = calloc(slots, sizeof(*m->index));
	if (!m->index)
		return -ENOMEM;
	m->mask = slots - 1;
	for (size_t i = 0; i < m->n; i++) {
		const struct lm_entry *e = &m->e[i];
		size_t s = e->hash & m->mask;
		for (; m->index[s]; s = (s + 1) & m->mask) {
			const struct lm_entry *o = &m->e[m->index[s] - 1];
			if (entry_eq(m, o, e->kind, e->hash, m->arena + e->voff, e->vlen)) {
				*ret_dup_line = e->line;
				return -EEXIST;
			}
		}
		m->index[s] = (uint32_t)i + 1;
	}
	return 0;
}

void dp_linemap_free(dp_linemap *m)
{
	if (!m)
		return;
	free(m->e);
	free(m->arena);
	free(m->index);
	free(m);
}

int dp_linemap_parse(const char *buf, size_t len, dp_linemap **ret, char *err, size_t errlen)
{
	dp_linemap *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	uint32_t lineno = 0;
	size_t pos = 0;
	int rc = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		struct dp_linemap_line l;
		lineno++;
		enum dp_linemap_fail f = dp_linemap_parse_line(buf + pos, end - pos, &l);
		if (f == DP_LINEMAP_OK && l.kind && m->n >= DP_LINEMAP_MAX_ENTRIES)
			f = DP_LINEMAP_TOO_MANY;
		if (f != DP_LINEMAP_OK) {
			snprintf(err, errlen, "line %u: %s", lineno, dp_linemap_fail_str(f));
			rc = -EINVAL;
			goto out_free;
		}
		if (l.kind) {
			rc = add(m, &l, lineno);
			if (rc) {
				snprintf(err, errlen, "out of memory");
				goto out_free;
			}
		}
		pos = end + 1;
	}
	uint32_t dup = 0;
	rc = build_index(m, &dup);
	if (rc == -EEXIST) {
		snprintf(err, errlen, "line %u: %s", dup,
			 dp_linemap_fail_str(DP_LINEMAP_DUPLICATE));
		rc = -EINVAL;
		goto out_free;
	}
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	*ret = m;
	return 0;

out_free:
	dp_linemap_free(m);
	return rc;
}

int dp_linemap_load(const char *path, dp_linemap **ret, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, nc);
			if (!nb) {
				rc = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				goto out_close;
			}
			buf = nb;
			cap = nc;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				rc = -EIO;
				snprintf(err, errlen, "read error");
				goto out_close;
			}
			break;
		}
	}
	rc = dp_linemap_parse(buf, n, ret, err, errlen);

out_close:
	fclose(f);
	free(buf);
	return rc;
}

bool dp_linemap_lookup(const dp_linemap *m, enum dp_line_kind kind, const void *v, size_t len,
		       struct rt_view *ret_account)
{
	if (!m || !m->n || len == 0 || len > RT_TEXT_MAX)
		return false;
	uint64_t h = key_hash(kind, v, len);
	for (size_t s = h & m->mask; m->index[s]; s = (s + 1) & m->mask) {
		const struct lm_entry *e = &m->e[m->index[s] - 1];
		if (entry_eq(m, e, kind, h, v, len)) {
			ret_account->p = m->arena + e->aoff;
			ret_account->len = e->alen;
			return true;
		}
	}
	return false;
}

size_t dp_linemap_count(const dp_linemap *m)
{
	return m ? m->n : 0;
}
