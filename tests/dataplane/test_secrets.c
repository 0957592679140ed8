/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_secrets_parse()/_load()/_lookup(): a good file with every spelling,
 * longest-prefix match over overlapping IPv4 and IPv6 prefixes, and each
 * kind of bad line (nothing loaded, "line N: reason", never the secret).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_check.h"
#include "secrets.h"

static struct rt_addr addr(const char *s)
{
	struct rt_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.a) == 1) {
		a.family = 4;
	} else if (inet_pton(AF_INET6, s, a.a) == 1) {
		a.family = 6;
	} else {
		fprintf(stderr, "bad test address %s\n", s);
		abort();
	}
	return a;
}

/* The secret found for address s, as a string ("" if none). */
static const char *lookup(const dp_secrets *s, const char *a)
{
	static char buf[DP_SECRET_MAX + 1];
	struct rt_addr ra = addr(a);
	const struct dp_secret *sec = dp_secrets_lookup(s, &ra);

	if (!sec)
		return "";
	memcpy(buf, sec->v, sec->len);
	buf[sec->len] = '\0';
	return buf;
}

static int parse_str(const char *text, dp_secrets **ret, char *err, size_t errlen)
{
	size_t n = strlen(text);
	uint8_t *g = guard_copy(text, n); /* not NUL terminated: ASan checks */
	int rc = dp_secrets_parse((const char *)g, n, ret, err, errlen);
	guard_free(g, n);
	return rc;
}

static const char good_file[] =
	"# RADIUS secrets of the BRAS fleet\n"
	"\n"
	"   \t  \n"
	"   # indented comment\n"
	"10.0.0.0/8 eight-secret\n"
	"10.1.0.0/16\tsixteen secret with spaces   \r\n"
	"  10.1.2.3 host-secret\n"
	"0.0.0.0/0 default4\n"
	"2001:db8::/32 v6-32\n"
	"2001:DB8:1::/48 v6-48 # part of the secret\n"
	"::/0 default6\n"
	"192.168.1.77/24 masked-host-bits\n"
	"10.128.0.0/9 nine\n"
	"2001:db8:ffff:fffe::/127 v6-127\n"
	"172.16.0.1/31 thirty-one\n"
	"10.1.2.4/32 #hash-first"; /* no newline at the end */

static void test_good(void)
{
	dp_secrets *s = NULL;
	char err[128] = "untouched";

	check_ctx = "good-file";
	CHECK(parse_str(good_file, &s, err, sizeof(err)) == 0);
	CHECK(strcmp(err, "untouched") == 0);
	if (!s)
		return;
	CHECK(dp_secrets_count(s) == 12);
	CHECK(strcmp(lookup(s, "10.1.2.3"), "host-secret") == 0);
	CHECK(strcmp(lookup(s, "10.1.2.4"), "#hash-first") == 0);
	CHECK(strcmp(lookup(s, "10.1.2.5"), "sixteen secret with spaces") == 0);
	CHECK(strcmp(lookup(s, "10.1.255.255"), "sixteen secret with spaces") == 0);
	CHECK(strcmp(lookup(s, "10.2.0.1"), "eight-secret") == 0);
	CHECK(strcmp(lookup(s, "10.127.255.255"), "eight-secret") == 0);
	CHECK(strcmp(lookup(s, "10.128.0.0"), "nine") == 0);
	CHECK(strcmp(lookup(s, "10.255.0.1"), "nine") == 0);
	CHECK(strcmp(lookup(s, "11.0.0.1"), "default4") == 0);
	CHECK(strcmp(lookup(s, "192.168.1.5"), "masked-host-bits") == 0);
	CHECK(strcmp(lookup(s, "192.168.2.5"), "default4") == 0);
	CHECK(strcmp(lookup(s, "172.16.0.0"), "thirty-one") == 0);
	CHECK(strcmp(lookup(s, "172.16.0.1"), "thirty-one") == 0);
	CHECK(strcmp(lookup(s, "172.16.0.2"), "default4") == 0);
	CHECK(strcmp(lookup(s, "2001:db8:1::5"), "v6-48 # part of the secret") == 0);
	CHECK(strcmp(lookup(s, "2001:db8:2::1"), "v6-32") == 0);
	CHECK(strcmp(lookup(s, "2001:db8:ffff:fffe::1"), "v6-127") == 0);
	CHECK(strcmp(lookup(s, "2001:db8:ffff:fffe::"), "v6-127") == 0);
	CHECK(strcmp(lookup(s, "2001:db8:ffff:fffe::2"), "v6-32") == 0);
	CHECK(strcmp(lookup(s, "2001:db9::1"), "default6") == 0);
	CHECK(strcmp(lookup(s, "::"), "default6") == 0);

	struct rt_addr none = {0};
	CHECK(dp_secrets_lookup(s, &none) == NULL);
	CHECK(dp_secrets_lookup(s, NULL) == NULL);
	dp_secrets_free(s);
}

static void test_families_apart(void)
{
	dp_secrets *s = NULL;

	check_ctx = "families-apart";
	CHECK(parse_str("::/0 six\n", &s, NULL, 0) == 0);
	CHECK(strcmp(lookup(s, "1.2.3.4"), "") == 0);
	CHECK(strcmp(lookup(s, "::ffff:1.2.3.4"), "six") == 0);
	dp_secrets_free(s);
	CHECK(parse_str("0.0.0.0/0 four\n", &s, NULL, 0) == 0);
	CHECK(strcmp(lookup(s, "::"), "") == 0);
	CHECK(strcmp(lookup(s, "255.255.255.255"), "four") == 0);
	dp_secrets_free(s);

	check_ctx = "no-cover";
	CHECK(parse_str("10.0.0.0/8 x\n", &s, NULL, 0) == 0);
	CHECK(strcmp(lookup(s, "11.0.0.0"), "") == 0);
	CHECK(strcmp(lookup(s, "9.255.255.255"), "") == 0);
	dp_secrets_free(s);
}

static void test_empty(void)
{
	dp_secrets *s = NULL;

	check_ctx = "empty";
	CHECK(dp_secrets_parse("", 0, &s, NULL, 0) == 0);
	CHECK(s != NULL && dp_secrets_count(s) == 0);
	CHECK(strcmp(lookup(s, "10.0.0.1"), "") == 0);
	dp_secrets_free(s);
	s = NULL;
	CHECK(parse_str("# only comments\n\n  # and blanks\n", &s, NULL, 0) == 0);
	CHECK(s != NULL && dp_secrets_count(s) == 0);
	dp_secrets_free(s);

	check_ctx = "null";
	CHECK(dp_secrets_count(NULL) == 0);
	struct rt_addr a = addr("10.0.0.1");
	CHECK(dp_secrets_lookup(NULL, &a) == NULL);
	dp_secrets_free(NULL);
}

static void test_secret_sizes(void)
{
	char line[256];
	dp_secrets *s = NULL;
	char err[128] = "";

	check_ctx = "secret-128";
	snprintf(line, sizeof(line), "10.0.0.1 %0128d\n", 0);
	CHECK(parse_str(line, &s, err, sizeof(err)) == 0);
	struct rt_addr a = addr("10.0.0.1");
	const struct dp_secret *sec = dp_secrets_lookup(s, &a);
	CHECK(sec && sec->len == 128);
	dp_secrets_free(s);

	check_ctx = "secret-1";
	CHECK(parse_str("10.0.0.1 x", &s, err, sizeof(err)) == 0);
	sec = dp_secrets_lookup(s, &a);
	CHECK(sec && sec->len == 1 && sec->v[0] == 'x');
	dp_secrets_free(s);
}

struct bad {
	const char *name;
	const char *text;
	const char *err; /* exact message */
};

/* Every secret below contains "Sekr3t": it must never appear in err. */
static const struct bad bad_cases[] = {
	{"bad-address-octet", "10.0.0.256 Sekr3t\n", "line 1: bad address"},
	{"bad-address-word", "hello Sekr3t\n", "line 1: bad address"},
	{"bad-address-short", "10.0.1 Sekr3t\n", "line 1: bad address"},
	{"bad-address-v6", "2001:db8::1::2 Sekr3t\n", "line 1: bad address"},
	{"bad-address-v6-junk", "2001:db8::g Sekr3t\n", "line 1: bad address"},
	{"bad-address-empty", "/8 Sekr3t\n", "line 1: bad address"},
	{"bad-address-too-long", "1111:2222:3333:4444:5555:6666:7777:8888:9999:0000:1111 Sekr3t\n",
	 "line 1: bad address"},
	{"bad-address-leading-zero", "010.0.0.1 Sekr3t\n", "line 1: bad address"},
	{"prefix-v4-33", "10.0.0.0/33 Sekr3t\n", "line 1: prefix out of range"},
	{"prefix-v6-129", "2001:db8::/129 Sekr3t\n", "line 1: prefix out of range"},
	{"prefix-huge", "10.0.0.0/99999999999999999999 Sekr3t\n", "line 1: prefix out of range"},
	{"prefix-empty", "10.0.0.0/ Sekr3t\n", "line 1: bad prefix"},
	{"prefix-letters", "10.0.0.0/8a Sekr3t\n", "line 1: bad prefix"},
	{"prefix-negative", "10.0.0.0/-1 Sekr3t\n", "line 1: bad prefix"},
	{"prefix-two-slashes", "10.0.0.0/8/8 Sekr3t\n", "line 1: bad prefix"},
	{"missing-secret", "10.0.0.1\n", "line 1: missing secret"},
	{"missing-secret-blanks", "10.0.0.1  \t \r\n", "line 1: missing secret"},
	{"missing-secret-prefix", "10.0.0.0/8", "line 1: missing secret"},
	{"secret-129",
	 "10.0.0.1 Sekr3t"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 "line 1: secret longer than 128 bytes"},
	{"bad-line-3", "# comment\n10.0.0.1 Sekr3t-a\n10.0.0.x Sekr3t-b\n10.0.0.3 Sekr3t-c\n",
	 "line 3: bad address"},
	{"bad-last-line-no-newline", "10.0.0.1 Sekr3t\n\n\n10.0.0.2", "line 4: missing secret"},
	{"duplicate", "10.0.0.0/8 Sekr3t-a\n10.0.0.0/8 Sekr3t-b\n",
	 "line 2: same address and prefix as line 1"},
	{"duplicate-after-masking", "10.1.2.3/8 Sekr3t-a\n# x\n10.9.9.9/8 Sekr3t-b\n",
	 "line 3: same address and prefix as line 1"},
	{"duplicate-v6-spellings", "::1 Sekr3t-a\n2001:db8::/32 Sekr3t-c\n0:0::0:1/128 Sekr3t-b\n",
	 "line 3: same address and prefix as line 1"},
	{"duplicate-three", "1.1.1.1 Sekr3t\n2.2.2.2 Sekr3t\n2.2.2.2 Sekr3t\n1.1.1.1 Sekr3t\n",
	 "line 3: same address and prefix as line 2"},
};

static void test_bad(void)
{
	for (size_t k = 0; k < sizeof(bad_cases) / sizeof(bad_cases[0]); k++) {
		const struct bad *tc = &bad_cases[k];
		dp_secrets *sentinel = (dp_secrets *)&bad_cases, *s = sentinel;
		char err[128] = "";

		check_ctx = tc->name;
		CHECK(parse_str(tc->text, &s, err, sizeof(err)) == -EINVAL);
		CHECK(s == sentinel); /* nothing loaded */
		CHECKF(strcmp(err, tc->err) == 0, "err = \"%s\"", err);
		CHECK(strstr(err, "Sekr3t") == NULL);
		/* a short error buffer is still NUL terminated */
		char tiny[8];
		memset(tiny, 'z', sizeof(tiny));
		CHECK(parse_str(tc->text, &s, tiny, sizeof(tiny)) == -EINVAL);
		CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
		CHECK(parse_str(tc->text, &s, NULL, 0) == -EINVAL);
	}

	check_ctx = "nul-in-address";
	dp_secrets *s = NULL;
	char err[128] = "";
	static const char nul_line[] = "10.0.0.1\0junk Sekr3t\n";
	CHECK(dp_secrets_parse(nul_line, sizeof(nul_line) - 1, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strcmp(err, "line 1: bad address") == 0);
}

static void test_load(void)
{
	char path[] = "/tmp/test_secrets_XXXXXX";
	char dir[] = "/tmp/test_secrets_dir_XXXXXX";
	dp_secrets *s = NULL;
	char err[256] = "";
	int fd;

	check_ctx = "load";
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, good_file, strlen(good_file)) == (ssize_t)strlen(good_file));
	close(fd);
	CHECK(dp_secrets_load(path, &s, err, sizeof(err)) == 0);
	CHECK(dp_secrets_count(s) == 12);
	CHECK(strcmp(lookup(s, "10.1.2.3"), "host-secret") == 0);
	dp_secrets_free(s);

	check_ctx = "load-bad-line";
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, "10.0.0.1 ok\n10.0.0.2\n", 21) == 21);
	close(fd);
	s = NULL;
	CHECK(dp_secrets_load(path, &s, err, sizeof(err)) == -EINVAL);
	CHECK(s == NULL);
	CHECK(strcmp(err, "line 2: missing secret") == 0);
	unlink(path);

	check_ctx = "load-missing";
	CHECK(dp_secrets_load(path, &s, err, sizeof(err)) == -ENOENT);
	CHECKF(strstr(err, "No such file") != NULL, "%s", err);

	check_ctx = "load-directory";
	CHECK(mkdtemp(dir) != NULL);
	CHECK(dp_secrets_load(dir, &s, err, sizeof(err)) == -EISDIR);
	CHECKF(strstr(err, "directory") != NULL, "%s", err);
	rmdir(dir);

	check_ctx = "load-empty";
	CHECK(dp_secrets_load("/dev/null", &s, err, sizeof(err)) == 0);
	CHECK(dp_secrets_count(s) == 0);
	dp_secrets_free(s);
}

int main(void)
{
	test_good();
	test_families_apart();
	test_empty();
	test_secret_sizes();
	test_bad();
	test_load();
	return check_done();
}
