/* SPDX-License-Identifier: BSD-2-Clause */
/* control/registry.c and control/csv.c: round trip, replace, purge at the
 * exact 2-year boundary, validation, the CSV reader's cases. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "registry.h"
#include "session.h"
#include "timefmt.h"

static int failures;

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                               \
		}                                                                 \
	} while (0)
#define CHECK_RC(e)                                                               \
	do {                                                                      \
		int rc_ = (e);                                                    \
		if (rc_) {                                                        \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #e,    \
				ctl_registry_strerror(rc_));                      \
			failures++;                                               \
		}                                                                 \
	} while (0)

#define SEC 1000000000LL

static int64_t t(const char *s)
{
	int64_t ns = 0;
	if (ctl_time_parse(s, &ns) < 0) {
		fprintf(stderr, "bad time %s\n", s);
		failures++;
	}
	return ns;
}

static void ident(struct ctl_identity *id, const char *acc, uint8_t status, int64_t term)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->account, sizeof(id->account), "%s", acc);
	id->category = CTL_CAT_INDIVIDUAL;
	id->doc_type = CTL_DOC_RESIDENT_ID;
	strcpy(id->doc_number, "110101199003074514");
	strcpy(id->name, "张三");
	strcpy(id->address, "北京市");
	strcpy(id->agent, "counter-1");
	id->status = status;
	id->registered_at_ns = t("2024-01-01T00:00:00Z");
	id->suspended_at_ns = RT_TIME_NONE;
	id->terminated_at_ns = term;
}

static int count_fn(void *ctx, const struct ctl_identity *id)
{
	(void)id;
	(*(int *)ctx)++;
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int f, struct FTW *w)
{
	(void)sb;
	(void)f;
	(void)w;
	return remove(p);
}

static void test_registry(void)
{
	char dir[] = "/tmp/rt-reg-test.XXXXXX";
	if (!mkdtemp(dir)) {
		failures++;
		return;
	}
	ctl_registry *r;
	/* read-only without a registry: empty */
	CHECK_RC(ctl_registry_open(dir, 0, &r));
	struct ctl_identity got;
	CHECK(ctl_registry_get(r, "a", 1, &got) == -ENOENT);
	CHECK(ctl_registry_put(r, &got, 0) == -EROFS);
	ctl_registry_close(r);
	CHECK(ctl_registry_open("/nonexistent/dir", 0, &r) == -ENOENT);

	CHECK_RC(ctl_registry_open(dir, 1, &r));
	struct ctl_identity ids[3];
	int64_t term = t("2024-03-01T12:00:00Z");
	ident(&ids[0], "alice", CTL_STATUS_ACTIVE, RT_TIME_NONE);
	ident(&ids[1], "bob", CTL_STATUS_TERMINATED, term);
	ident(&ids[2], "carol", CTL_STATUS_TERMINATED, term - 1);
	ids[0].category = CTL_CAT_ORGANISATION;
	ids[0].doc_type = CTL_DOC_CREDIT_CODE;
	strcpy(ids[0].doc_number, "91110108MA01ABCDEN");
	ids[0].agent_doc_type = CTL_DOC_PASSPORT;
	strcpy(ids[0].agent_doc_number, "E12345678");
	strcpy(ids[0].agent_name, "王经理");
	CHECK_RC(ctl_registry_put(r, ids, 3));
	CHECK_RC(ctl_registry_get(r, "alice", 5, &got));
	CHECK(memcmp(&got, &ids[0], sizeof(got)) == 0);
	CHECK_RC(ctl_registry_get(r, "bob", 3, &got));
	CHECK(memcmp(&got, &ids[1], sizeof(got)) == 0);
	CHECK(ctl_registry_get(r, "bo", 2, &got) == -ENOENT);

	/* replace */
	strcpy(ids[0].name, "新名字");
	CHECK_RC(ctl_registry_put(r, ids, 1));
	CHECK_RC(ctl_registry_get(r, "alice", 5, &got));
	CHECK(strcmp(got.name, "新名字") == 0);
	int n = 0;
	CHECK_RC(ctl_registry_foreach(r, count_fn, &n));
	CHECK(n == 3);

	/* JSON */
	json_t *j = ctl_identity_json(&got);
	CHECK(j && strcmp(json_string_value(json_object_get(j, "doc_type")), "credit_code") == 0);
	CHECK(j && strcmp(json_string_value(json_object_get(j, "agent_doc_type")), "passport") == 0);
	CHECK(j && json_is_null(json_object_get(j, "terminated_at")));
	json_decref(j);

	/* purge at the exact 2-year boundary: bob terminated at `term`, carol
	 * 1 ns earlier; now = term + 2 years */
	int64_t now = t("2026-03-01T12:00:00Z");
	int64_t cutoff = ctl_registry_cutoff_years(now, 2);
	CHECK(cutoff == term);
	size_t purged = 99;
	CHECK_RC(ctl_registry_purge(r, cutoff, NULL, NULL, &purged));
	CHECK(purged == 1); /* carol only */
	CHECK(ctl_registry_get(r, "carol", 5, &got) == -ENOENT);
	CHECK(ctl_registry_get(r, "bob", 3, &got) == 0);
	CHECK_RC(ctl_registry_purge(r, ctl_registry_cutoff_years(now + 1, 2), NULL, NULL, &purged));
	CHECK(purged == 1); /* bob, one nanosecond later */
	CHECK(ctl_registry_get(r, "bob", 3, &got) == -ENOENT);
	CHECK(ctl_registry_get(r, "alice", 5, &got) == 0); /* active: never purged */
	ctl_registry_close(r);

	/* reopen read-only: still there */
	CHECK_RC(ctl_registry_open(dir, 0, &r));
	CHECK(ctl_registry_get(r, "alice", 5, &got) == 0);
	ctl_registry_close(r);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	/* calendar years: 29 February -> 28 February */
	CHECK(ctl_registry_cutoff_years(t("2028-02-29T06:00:00Z"), 2) == t("2026-02-28T06:00:00Z"));
	CHECK(ctl_registry_cutoff_years(t("1969-12-31T23:59:59Z"), 1) == t("1968-12-31T23:59:59Z"));
}

static void test_validate(void)
{
	struct ctl_identity id;
	char why[256];
	int64_t today = t("2026-06-01");
	ident(&id, "a", CTL_STATUS_ACTIVE, RT_TIME_NONE);
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == 0);
	id.doc_number[17] = '5';
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "check character") != NULL);
	ident(&id, "a", CTL_STATUS_TERMINATED, RT_TIME_NONE);
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == -EINVAL);
	ident(&id, "a", CTL_STATUS_SUSPENDED, RT_TIME_NONE);
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == -EINVAL);
	ident(&id, "a", CTL_STATUS_ACTIVE, RT_TIME_NONE);
	id.name[0] = 0;
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == -EINVAL);
	ident(&id, "a", CTL_STATUS_ACTIVE, RT_TIME_NONE);
	id.category = CTL_CAT_ORGANISATION;
	id.doc_type = CTL_DOC_CREDIT_CODE;
	strcpy(id.doc_number, "91110108ma01abcden"); /* normalised */
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == -EINVAL); /* no agent */
	id.agent_doc_type = CTL_DOC_RESIDENT_ID;
	strcpy(id.agent_doc_number, "11010519491231002x");
	strcpy(id.agent_name, "李");
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == 0);
	CHECK(strcmp(id.doc_number, "91110108MA01ABCDEN") == 0);
	id.agent_doc_type = CTL_DOC_CREDIT_CODE;
	CHECK(ctl_identity_validate(&id, today, why, sizeof(why)) == -EINVAL);
	CHECK(ctl_doc_type_parse("taiwan_permit") == CTL_DOC_TAIWAN_PERMIT);
	CHECK(ctl_doc_type_parse("nope") == 0);
	CHECK(ctl_status_parse("suspended") == CTL_STATUS_SUSPENDED);
	CHECK(ctl_category_name(9) == NULL);
}

/* ---- CSV ------------------------------------------------------------------ */

struct csv_case {
	const char *in;
	const char *want; /* records joined: fields by '|', records by ';', errors as !N */
};

static const struct csv_case csv_cases[] = {
	{"a,b,c\n1,2,3\n", "a|b|c;1|2|3"},
	{"a,b\r\n1,2\r\n", "a|b;1|2"},
	{"a,b\n1,2", "a|b;1|2"},
	{"\xef\xbb\xbf" "a,b\n", "a|b"},
	{"\"x,y\",\"he said \"\"hi\"\"\"\n", "x,y|he said \"hi\""},
	{"\"multi\nline\",z\nnext,1\n", "multi\nline|z;next|1"},
	{",,\n", "||"},
	{"\n\n", ";"},
	{"\"\"\n", ""},
	{"a\"b,c\nok,1\n", "!-1;ok|1"},
	{"\"a\"b,c\nok,1\n", "!-2;ok|1"},
	{"\"unterminated\nok,1\n", "!-3"},
	{"a\rb,c\n", "a\rb|c"},
};

static void csv_render(const char *in, size_t len, char *out, size_t cap)
{
	struct ctl_csv c;
	static struct ctl_csv_rec rec;
	size_t o = 0;
	int res, first = 1;
	ctl_csv_init(&c, in, len);
	out[0] = 0;
	while ((res = ctl_csv_next(&c, &rec)) != CTL_CSV_EOF) {
		if (!first)
			o += (size_t)snprintf(out + o, cap - o, ";");
		first = 0;
		if (res < 0) {
			o += (size_t)snprintf(out + o, cap - o, "!%d", res);
			continue;
		}
		for (unsigned i = 0; i < rec.nfields; i++)
			o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "|" : "",
					      ctl_csv_field(&rec, i));
	}
}

static void test_csv(void)
{
	char out[1024];
	for (size_t i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
		csv_render(csv_cases[i].in, strlen(csv_cases[i].in), out, sizeof(out));
		if (strcmp(out, csv_cases[i].want) != 0) {
			fprintf(stderr, "csv case %zu: got '%s', want '%s'\n", i, out,
				csv_cases[i].want);
			failures++;
		}
	}
	/* NUL byte */
	static const char nul[] = "a,b\0c\nx,y\n";
	csv_render(nul, sizeof(nul) - 1, out, sizeof(out));
	CHECK(strcmp(out, "!-6;x|y") == 0);
	/* line numbers: a quoted newline counts */
	struct ctl_csv c;
	static struct ctl_csv_rec rec;
	const char *in = "h\n\"a\nb\"\nc\n";
	ctl_csv_init(&c, in, strlen(in));
	CHECK(ctl_csv_next(&c, &rec) == CTL_CSV_RECORD && rec.line == 1);
	CHECK(ctl_csv_next(&c, &rec) == CTL_CSV_RECORD && rec.line == 2);
	CHECK(ctl_csv_next(&c, &rec) == CTL_CSV_RECORD && rec.line == 4);
	CHECK(ctl_csv_next(&c, &rec) == CTL_CSV_EOF);
	/* bounds: too many fields, too long */
	static char big[CTL_CSV_REC_MAX * 2];
	memset(big, ',', CTL_CSV_FIELDS_MAX + 1);
	strcpy(big + CTL_CSV_FIELDS_MAX + 1, "\nok\n");
	csv_render(big, strlen(big), out, sizeof(out));
	CHECK(strcmp(out, "!-4;ok") == 0);
	memset(big, 'x', sizeof(big) - 5);
	strcpy(big + sizeof(big) - 5, "\nok\n");
	csv_render(big, strlen(big), out, sizeof(out));
	CHECK(strcmp(out, "!-5;ok") == 0);
	/* exactly CTL_CSV_REC_MAX bytes of data in one field is accepted */
	memset(big, 'y', CTL_CSV_REC_MAX);
	strcpy(big + CTL_CSV_REC_MAX, "\n");
	ctl_csv_init(&c, big, strlen(big));
	CHECK(ctl_csv_next(&c, &rec) == CTL_CSV_RECORD && rec.len[0] == CTL_CSV_REC_MAX);
}

int main(void)
{
	test_registry();
	test_validate();
	test_csv();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("registry: ok\n");
	return 0;
}
