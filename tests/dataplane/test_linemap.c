/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_linemap_parse_line()/_parse()/_load()/_lookup(): one table row per
 * line spelling and per rejection reason, a whole file (every kind, hex
 * values, comments, CRLF), the error naming the line, nothing loaded from
 * a file with a bad line, and lookups that must miss.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp_check.h"
#include "linemap.h"

struct line_case {
	const char *name;
	const char *line;
	enum dp_linemap_fail want;
	unsigned kind;       /* on OK */
	const char *value;   /* on OK (hex-decoded values given as hex, below) */
	size_t value_len;
	const char *account;
};

static const struct line_case line_cases[] = {
	{"blank", "", DP_LINEMAP_OK, 0, NULL, 0, NULL},
	{"blanks", " \t ", DP_LINEMAP_OK, 0, NULL, 0, NULL},
	{"comment", "# circuit-id,x,y", DP_LINEMAP_OK, 0, NULL, 0, NULL},
	{"indented-comment", "   # note", DP_LINEMAP_OK, 0, NULL, 0, NULL},
	{"circuit", "circuit-id,eth 1/1/1:100,alice", DP_LINEMAP_OK, DP_LINE_CIRCUIT,
	 "eth 1/1/1:100", 13, "alice"},
	{"remote", "remote-id,rid-42,bob@isp", DP_LINEMAP_OK, DP_LINE_REMOTE, "rid-42", 6,
	 "bob@isp"},
	{"subscriber", "subscriber-id,SUB-7,carol", DP_LINEMAP_OK, DP_LINE_SUBSCRIBER, "SUB-7", 5,
	 "carol"},
	{"trimmed", " remote-id , rid 9 , dave  \r", DP_LINEMAP_OK, DP_LINE_REMOTE, "rid 9", 5,
	 "dave"},
	{"comma-in-value", "circuit-id,olt-1,pon 0/1,frank", DP_LINEMAP_OK, DP_LINE_CIRCUIT,
	 "olt-1,pon 0/1", 13, "frank"},
	{"hex", "remote-id,hex:00A0c9fF0001,gina", DP_LINEMAP_OK, DP_LINE_REMOTE,
	 "\x00\xa0\xc9\xff\x00\x01", 6, "gina"},
	{"too-long", NULL, DP_LINEMAP_LINE_TOO_LONG, 0, NULL, 0, NULL},
	{"nul", "remote-id,a\0b,c", DP_LINEMAP_NUL, 0, NULL, 0, NULL},
	{"no-comma", "remote-id rid-1 alice", DP_LINEMAP_MISSING_FIELD, 0, NULL, 0, NULL},
	{"one-comma", "remote-id,rid-1", DP_LINEMAP_MISSING_FIELD, 0, NULL, 0, NULL},
	{"bad-kind", "agent-id,rid-1,alice", DP_LINEMAP_BAD_KIND, 0, NULL, 0, NULL},
	{"kind-case", "Remote-ID,rid-1,alice", DP_LINEMAP_BAD_KIND, 0, NULL, 0, NULL},
	{"empty-kind", ",rid-1,alice", DP_LINEMAP_BAD_KIND, 0, NULL, 0, NULL},
	{"empty-value", "remote-id, ,alice", DP_LINEMAP_EMPTY_VALUE, 0, NULL, 0, NULL},
	{"empty-hex", "remote-id,hex:,alice", DP_LINEMAP_EMPTY_VALUE, 0, NULL, 0, NULL},
	{"long-value", NULL, DP_LINEMAP_VALUE_TOO_LONG, 0, NULL, 0, NULL},
	{"long-hex", NULL, DP_LINEMAP_VALUE_TOO_LONG, 0, NULL, 0, NULL},
	{"odd-hex", "remote-id,hex:abc,alice", DP_LINEMAP_BAD_HEX, 0, NULL, 0, NULL},
	{"bad-hex", "remote-id,hex:zz,alice", DP_LINEMAP_BAD_HEX, 0, NULL, 0, NULL},
	{"empty-account", "remote-id,rid-1,  ", DP_LINEMAP_EMPTY_ACCOUNT, 0, NULL, 0, NULL},
	{"long-account", NULL, DP_LINEMAP_ACCOUNT_TOO_LONG, 0, NULL, 0, NULL},
};

/* The rows with NULL lines are built here (they are long). */
static size_t build_line(const struct line_case *c, char *buf, size_t cap)
{
	if (c->line)
		return strlen(c->line) + (strcmp(c->name, "nul") == 0 ? 4 : 0);
	size_t n = 0;
	if (strcmp(c->name, "too-long") == 0) {
		n = (size_t)snprintf(buf, cap, "remote-id,x,");
		while (n < DP_LINEMAP_MAX_LINE + 1)
			buf[n++] = 'a';
	} else if (strcmp(c->name, "long-value") == 0) {
		n = (size_t)snprintf(buf, cap, "remote-id,");
		for (int i = 0; i < RT_TEXT_MAX + 1; i++)
			buf[n++] = 'v';
		n += (size_t)snprintf(buf + n, cap - n, ",acct");
	} else if (strcmp(c->name, "long-hex") == 0) {
		n = (size_t)snprintf(buf, cap, "remote-id,hex:");
		for (int i = 0; i < 2 * (RT_TEXT_MAX + 1); i++)
			buf[n++] = 'a';
		n += (size_t)snprintf(buf + n, cap - n, ",acct");
	} else if (strcmp(c->name, "long-account") == 0) {
		n = (size_t)snprintf(buf, cap, "remote-id,rid,");
		for (int i = 0; i < RT_TEXT_MAX + 1; i++)
			buf[n++] = 'A';
	}
	return n;
}

static void test_lines(void)
{
	static char buf[DP_LINEMAP_MAX_LINE + 64];
	bool seen[DP_LINEMAP_FAIL_MAX] = {0};

	for (size_t i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const struct line_case *c = &line_cases[i];
		struct dp_linemap_line l;
		check_ctx = c->name;
		size_t n = build_line(c, buf, sizeof(buf));
		const char *src = c->line ? c->line : buf;
		uint8_t *g = guard_copy(src, n);
		enum dp_linemap_fail f = dp_linemap_parse_line((const char *)g, n, &l);
		guard_free(g, n);
		CHECKF(f == c->want, "got %s, want %s", dp_linemap_fail_str(f),
		       dp_linemap_fail_str(c->want));
		seen[f] = true;
		if (f != DP_LINEMAP_OK) {
			CHECK(l.kind == 0);
			continue;
		}
		CHECK(l.kind == c->kind);
		if (!c->kind)
			continue;
		CHECK(l.value.len == c->value_len && memcmp(l.value.v, c->value, c->value_len) == 0);
		CHECK(l.account.len == strlen(c->account) &&
		      memcmp(l.account.v, c->account, l.account.len) == 0);
	}
	/* every reason a single line can give is in the table */
	check_ctx = "coverage";
	for (int f = 0; f < DP_LINEMAP_FAIL_MAX; f++)
		if (f != DP_LINEMAP_DUPLICATE && f != DP_LINEMAP_TOO_MANY)
			CHECKF(seen[f], "no row for %s", dp_linemap_fail_str((enum dp_linemap_fail)f));
	CHECK(strcmp(dp_linemap_fail_str(DP_LINEMAP_FAIL_MAX), "unknown") == 0);
}

static int parse_str(const char *text, dp_linemap **ret, char *err, size_t errlen)
{
	size_t n = strlen(text);
	uint8_t *g = guard_copy(text, n);
	int rc = dp_linemap_parse((const char *)g, n, ret, err, errlen);
	guard_free(g, n);
	return rc;
}

static bool maps_to(const dp_linemap *m, enum dp_line_kind k, const char *v, size_t n,
		    const char *want)
{
	struct rt_view a = {0};
	if (!dp_linemap_lookup(m, k, v, n, &a))
		return want == NULL;
	return want && a.len == strlen(want) && memcmp(a.p, want, a.len) == 0;
}

static const char good_file[] = "# line map of the OLT fleet\r\n"
				"\n"
				"circuit-id,olt-1 pon 0/1/1:1,alice\r\n"
				"remote-id,rid-42,bob@isp\n"
				"subscriber-id,SUB-7,carol\n"
				"remote-id,hex:00a0c9ff0001,dave\n"
				"  # the same value under another kind is another key\n"
				"circuit-id,rid-42,erin\n"
				"remote-id,olt-1 pon 0/1/1:1,frank"; /* no final newline */

static void test_file(void)
{
	dp_linemap *m = NULL;
	char err[96] = "untouched";

	check_ctx = "good-file";
	CHECK(parse_str(good_file, &m, err, sizeof(err)) == 0);
	CHECK(strcmp(err, "untouched") == 0);
	if (!m)
		return;
	CHECK(dp_linemap_count(m) == 6);
	CHECK(maps_to(m, DP_LINE_CIRCUIT, "olt-1 pon 0/1/1:1", 17, "alice"));
	CHECK(maps_to(m, DP_LINE_REMOTE, "olt-1 pon 0/1/1:1", 17, "frank"));
	CHECK(maps_to(m, DP_LINE_REMOTE, "rid-42", 6, "bob@isp"));
	CHECK(maps_to(m, DP_LINE_CIRCUIT, "rid-42", 6, "erin"));
	CHECK(maps_to(m, DP_LINE_SUBSCRIBER, "SUB-7", 5, "carol"));
	CHECK(maps_to(m, DP_LINE_REMOTE, "\x00\xa0\xc9\xff\x00\x01", 6, "dave"));
	/* misses: other kind, prefix, longer, case, empty */
	CHECK(maps_to(m, DP_LINE_SUBSCRIBER, "rid-42", 6, NULL));
	CHECK(maps_to(m, DP_LINE_REMOTE, "rid-4", 5, NULL));
	CHECK(maps_to(m, DP_LINE_REMOTE, "rid-420", 7, NULL));
	CHECK(maps_to(m, DP_LINE_SUBSCRIBER, "sub-7", 5, NULL));
	CHECK(maps_to(m, DP_LINE_REMOTE, "", 0, NULL));
	dp_linemap_free(m);

	check_ctx = "no-map";
	CHECK(maps_to(NULL, DP_LINE_REMOTE, "rid-42", 6, NULL));
	CHECK(dp_linemap_count(NULL) == 0);
	dp_linemap_free(NULL);

	check_ctx = "empty-file";
	m = NULL;
	CHECK(parse_str("# nothing\n\n", &m, err, sizeof(err)) == 0);
	CHECK(m && dp_linemap_count(m) == 0);
	CHECK(maps_to(m, DP_LINE_REMOTE, "x", 1, NULL));
	dp_linemap_free(m);
}

struct file_err {
	const char *name;
	const char *text;
	const char *err;
};

static const struct file_err file_errs[] = {
	{"bad-line-3", "# ok\nremote-id,a,b\nremote-id,c\n", "line 3: expected KIND,VALUE,ACCOUNT"},
	{"duplicate", "remote-id,a,b\ncircuit-id,a,c\nremote-id, a ,d\n",
	 "line 3: duplicate line identity"},
	{"dup-hex", "remote-id,AB,x\nremote-id,hex:4142,y\n", "line 2: duplicate line identity"},
	{"bad-kind-1", "vlan,12,x\n", "line 1: kind is not circuit-id, remote-id or subscriber-id"},
	{"crlf-empty-account", "remote-id,a,\r\n", "line 1: empty account"},
};

static void test_file_errors(void)
{
	for (size_t i = 0; i < sizeof(file_errs) / sizeof(file_errs[0]); i++) {
		dp_linemap *m = NULL;
		char err[96];
		check_ctx = file_errs[i].name;
		CHECK(parse_str(file_errs[i].text, &m, err, sizeof(err)) == -EINVAL);
		CHECK(m == NULL);
		CHECKF(strcmp(err, file_errs[i].err) == 0, "err '%s'", err);
	}
}

static void test_load(void)
{
	char path[] = "/tmp/test_linemap_XXXXXX";
	char err[256];
	dp_linemap *m = NULL;

	check_ctx = "load";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, good_file, sizeof(good_file) - 1) == (ssize_t)(sizeof(good_file) - 1));
	close(fd);
	CHECK(dp_linemap_load(path, &m, err, sizeof(err)) == 0);
	CHECK(dp_linemap_count(m) == 6);
	dp_linemap_free(m);
	unlink(path);

	check_ctx = "load-missing";
	m = NULL;
	CHECK(dp_linemap_load(path, &m, err, sizeof(err)) == -ENOENT);
	CHECK(m == NULL && strlen(err) > 0);
}

/* Many entries: the index grows and every key is found. */
static void test_many(void)
{
	enum { N = 5000 };
	static char text[N * 48];
	size_t n = 0;
	dp_linemap *m = NULL;
	char err[96];

	check_ctx = "many";
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "circuit-id,port-%d,user-%d\n", i,
				      i);
	CHECK(parse_str(text, &m, err, sizeof(err)) == 0);
	CHECK(dp_linemap_count(m) == N);
	unsigned ok = 0;
	for (int i = 0; i < N; i++) {
		char v[32], a[32];
		int vn = snprintf(v, sizeof(v), "port-%d", i);
		snprintf(a, sizeof(a), "user-%d", i);
		ok += maps_to(m, DP_LINE_CIRCUIT, v, (size_t)vn, a);
	}
	CHECK(ok == N);
	CHECK(maps_to(m, DP_LINE_CIRCUIT, "port-5000", 9, NULL));
	dp_linemap_free(m);
}

int main(void)
{
	test_lines();
	test_file();
	test_file_errors();
	test_load();
	test_many();
	return check_done();
}
