/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The audit log (control/audit.h): appends chain and verify; every kind of
 * tampering is caught at the right entry; appends refuse to chain onto a
 * damaged tail; the reader survives overlong and garbage lines.  Also the
 * lawful-query request validator (control/lawful.h), one case per reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "lawful.h"

#include "../unit/check.h"

static char dir[] = "/tmp/rt-audit-XXXXXX";
static char path[256];

static void append_n(int n)
{
	ctl_audit *a;
	CHECK(ctl_audit_open(dir, &a) == 0);
	for (int i = 0; i < n; i++) {
		json_t *q = json_pack("{s:s,s:s,s:i}", "type", "ip", "value", "100.64.0.1", "i", i);
		char digest[CTL_AUDIT_HEX];
		ctl_sha256_hex("x", 1, digest);
		struct ctl_audit_entry e = {
			.time_ns = 1782864000000000000LL + i,
			.client = "cli:test",
			.role = "authority",
			.authority = i % 2 ? "PSB" : NULL,
			.case_id = i % 2 ? "case \"7\"\nline" : NULL,
			.query = q,
			.result_count = (uint64_t)i,
			.result_digest = i % 3 ? digest : NULL,
			.outcome = i % 4 ? "ok" : "refused: no case",
		};
		uint64_t seq = 0;
		CHECK(ctl_audit_append(a, &e, &seq) == 0);
		json_decref(q);
		(void)seq;
	}
	ctl_audit_close(a);
}

static char *slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		exit(1);
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, len, f) == len);
	if (f)
		fclose(f);
}

/* Offsets of line starts; returns the number of lines. */
static int lines_of(const char *buf, size_t len, size_t *start, int max)
{
	int n = 0;
	size_t off = 0;
	while (off < len && n < max) {
		start[n++] = off;
		const char *nl = memchr(buf + off, '\n', len - off);
		off = nl ? (size_t)(nl - buf) + 1 : len;
	}
	start[n] = len;
	return n;
}

static void expect_broken(const char *label, enum ctl_audit_fail fail, uint64_t entry)
{
	struct ctl_audit_report r;
	CHECK(ctl_audit_verify(dir, &r) == 0);
	if (r.fail != fail || r.expected_seq != entry) {
		fprintf(stderr, "%s: got %s at entry %llu (%s), expected %s at entry %llu\n", label,
			ctl_audit_fail_str(r.fail), (unsigned long long)r.expected_seq, r.detail,
			ctl_audit_fail_str(fail), (unsigned long long)entry);
		check_failures++;
	}
	CHECK(r.entries == entry - 1);
	/* The memory-buffer verifier agrees with the file verifier. */
	size_t len;
	char *buf = slurp(&len);
	struct ctl_audit_report b;
	ctl_audit_verify_buf(buf, len, &b);
	CHECK(b.fail == r.fail && b.expected_seq == r.expected_seq && b.line == r.line);
	free(buf);
}

static void test_chain(void)
{
	struct ctl_audit_report r;
	CHECK(ctl_audit_verify(dir, &r) == 0); /* no log yet: intact, empty */
	CHECK(r.fail == CTL_AUDIT_INTACT && r.entries == 0);

	append_n(6);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(ctl_audit_verify(dir, &r) == 0);
	CHECK(r.fail == CTL_AUDIT_INTACT);
	CHECK_EQ_I64(r.entries, 6);
	append_n(2); /* a second handle continues the chain */
	CHECK(ctl_audit_verify(dir, &r) == 0);
	CHECK(r.fail == CTL_AUDIT_INTACT);
	CHECK_EQ_I64(r.entries, 8);

	size_t len, st[64];
	char *orig = slurp(&len);
	int n = lines_of(orig, len, st, 63);
	CHECK_EQ_I64(n, 8);
	char *buf = malloc(len + 4096);

	/* Edited: one byte of entry 3. */
	memcpy(buf, orig, len);
	char *p = strstr(buf + st[2], "\"result_count\":2");
	CHECK(p != NULL);
	if (p)
		p[15] = '5';
	spit(buf, len);
	expect_broken("edited", CTL_AUDIT_BAD_HASH, 3);

	/* Deleted: entry 4. */
	memcpy(buf, orig, st[3]);
	memcpy(buf + st[3], orig + st[4], len - st[4]);
	spit(buf, len - (st[4] - st[3]));
	expect_broken("deleted", CTL_AUDIT_BAD_SEQ, 4);

	/* Reordered: entries 5 and 6 swapped. */
	memcpy(buf, orig, st[4]);
	size_t l5 = st[5] - st[4], l6 = st[6] - st[5];
	memcpy(buf + st[4], orig + st[5], l6);
	memcpy(buf + st[4] + l6, orig + st[4], l5);
	memcpy(buf + st[6], orig + st[6], len - st[6]);
	spit(buf, len);
	expect_broken("reordered", CTL_AUDIT_BAD_SEQ, 5);

	/* Truncated: the last line cut in the middle. */
	spit(orig, st[7] + 40);
	expect_broken("truncated", CTL_AUDIT_TRUNCATED, 8);
	/* ... and an append refuses to chain onto it (fail closed). */
	ctl_audit *a;
	CHECK(ctl_audit_open(dir, &a) == 0);
	struct ctl_audit_entry e = {.client = "cli:test", .outcome = "ok"};
	CHECK(ctl_audit_append(a, &e, NULL) == -EBADMSG);
	ctl_audit_close(a);

	/* Whole entries cut from the end: still a valid chain (audit.h says
	 * why the last hash must be kept elsewhere); last_hash shows it. */
	spit(orig, st[7]);
	CHECK(ctl_audit_verify(dir, &r) == 0);
	CHECK(r.fail == CTL_AUDIT_INTACT && r.entries == 7);

	/* Garbage line, overlong line. */
	memcpy(buf, orig, st[2]);
	memcpy(buf + st[2], "not json\n", 9);
	spit(buf, st[2] + 9);
	expect_broken("garbage", CTL_AUDIT_NOT_JSON, 3);
	free(buf);
	size_t big = CTL_AUDIT_LINE_MAX + 100;
	buf = malloc(st[1] + big + 1);
	memcpy(buf, orig, st[1]);
	memset(buf + st[1], 'a', big);
	buf[st[1] + big] = '\n';
	spit(buf, st[1] + big + 1);
	expect_broken("overlong", CTL_AUDIT_TOO_LONG, 2);
	free(buf);

	/* The reader goes on past bad lines and reports them as NULL. */
	free(orig);
}

static int count_cb(void *ctx, uint64_t line, json_t *e)
{
	int *c = ctx;
	(void)line;
	c[e ? 0 : 1]++;
	return 0;
}

static void test_reader(void)
{
	unlink(path);
	append_n(2);
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK(write(fd, "[1]\n{\"a\":1}\n", 12) == 12);
	close(fd);
	int c[2] = {0, 0};
	CHECK(ctl_audit_read(dir, count_cb, c) == 0);
	CHECK_EQ_I64(c[0], 3); /* two entries and {"a":1} (an object, not an entry) */
	CHECK_EQ_I64(c[1], 1);
}

static enum ctl_lawq_err parse_str(const char *s, struct ctl_lawq_req *r)
{
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);
	CHECK(j != NULL);
	enum ctl_lawq_err e = ctl_lawq_parse(j, r);
	json_decref(j);
	return e;
}

static void test_request(void)
{
	static const struct {
		const char *body;
		enum ctl_lawq_err want;
	} cases[] = {
		{"[1]", CTL_LAWQ_NOT_OBJECT},
		{"{\"type\":\"ip\",\"limit\":1}", CTL_LAWQ_UNKNOWN_KEY},
		{"{\"type\":\"mac\",\"value\":\"x\",\"at\":\"2026-07-01\"}", CTL_LAWQ_BAD_TYPE},
		{"{\"type\":\"ip\",\"value\":\"300.1.1.1\",\"at\":\"2026-07-01\"}", CTL_LAWQ_BAD_VALUE},
		{"{\"type\":\"ip\",\"value\":\"\",\"at\":\"2026-07-01\"}", CTL_LAWQ_BAD_VALUE},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"at\":\"noon\"}", CTL_LAWQ_BAD_TIME},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"at\":1.5}", CTL_LAWQ_BAD_TIME},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"from\":\"2026-07-02\",\"to\":\"2026-07-01\"}",
		 CTL_LAWQ_BAD_TIME},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\"}", CTL_LAWQ_BAD_RANGE},
		{"{\"type\":\"account\",\"value\":\"a\",\"at\":\"2026-07-01\"}", CTL_LAWQ_BAD_RANGE},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"at\":0,\"format\":\"yaml\"}",
		 CTL_LAWQ_BAD_FORMAT},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"at\":0,\"case\":\"\"}", CTL_LAWQ_BAD_LABEL},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"at\":0,\"authority\":\"PSB\"}",
		 CTL_LAWQ_NO_AUTHORITY},
		{"{\"type\":\"ip\",\"value\":\"1.2.3.4\",\"at\":0,\"authority\":\"PSB\",\"case\":\"7\"}",
		 CTL_LAWQ_OK},
		{"{\"type\":\"calling\",\"value\":\"138\",\"from\":\"2026-07-01\",\"to\":1782950400,"
		 "\"authority\":\"PSB\",\"case\":\"7\",\"format\":\"csv\"}",
		 CTL_LAWQ_OK},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_lawq_req r;
		enum ctl_lawq_err e = parse_str(cases[i].body, &r);
		if (e != cases[i].want) {
			fprintf(stderr, "request %u %s: got '%s'\n", i, cases[i].body,
				ctl_lawq_strerror(e));
			check_failures++;
		}
	}
	struct ctl_lawq_req r;
	CHECK(parse_str("{\"type\":\"calling\",\"value\":\"138\",\"from\":\"2026-07-01\","
			"\"to\":1782950400,\"authority\":\"PSB\",\"case\":\"7\",\"format\":\"csv\"}",
			&r) == CTL_LAWQ_OK);
	CHECK(r.q.kind == ST_Q_CALLING && r.csv);
	CHECK_EQ_I64(r.q.from_ns, 1782864000000000000LL);
	CHECK_EQ_I64(r.q.to_ns, 1782950400000000000LL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CTL_AUDIT_FILE);
	test_chain();
	test_reader();
	test_request();
	unlink(path);
	rmdir(dir);
	CHECK_DONE();
}
