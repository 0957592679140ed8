/* SPDX-License-Identifier: BSD-2-Clause */
/* Lawful queries: request validation, in-memory results, canonical digest. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lawful.h"
#include "output.h"
#include "timefmt.h"

const char *ctl_lawq_strerror(enum ctl_lawq_err e)
{
	static const char *const s[CTL_LAWQ_ERR_MAX] = {
		[CTL_LAWQ_OK] = "ok",
		[CTL_LAWQ_NOT_OBJECT] = "the request body must be a JSON object",
		[CTL_LAWQ_UNKNOWN_KEY] = "unknown key (allowed: type, value, at, from, to, "
					 "authority, case, format)",
		[CTL_LAWQ_BAD_TYPE] = "type must be \"ip\", \"account\" or \"calling\"",
		[CTL_LAWQ_BAD_VALUE] = "value must be a non-empty string (an IPv4 address for "
				       "type ip; at most 253 bytes)",
		[CTL_LAWQ_BAD_TIME] = "at/from/to must be RFC 3339 times, dates or epoch "
				      "seconds, with from <= to",
		[CTL_LAWQ_BAD_RANGE] = "type ip needs \"at\" or \"from\"+\"to\"; account and "
				       "calling need \"from\"+\"to\"",
		[CTL_LAWQ_BAD_FORMAT] = "format must be \"json\", \"csv\" or \"xml\"",
		[CTL_LAWQ_BAD_LABEL] = "authority and case must be strings of 1..256 bytes",
		[CTL_LAWQ_NO_AUTHORITY] = "a query of personal data needs \"authority\" and "
					  "\"case\"",
	};
	return (unsigned)e < CTL_LAWQ_ERR_MAX ? s[e] : "unknown error";
}

/* A time member: absent (0, *present false), valid (0), or -EINVAL. */
static int time_member(json_t *body, const char *key, bool *present, int64_t *ns)
{
	json_t *v = json_object_get(body, key);
	*present = v != NULL;
	if (!v)
		return 0;
	if (json_is_string(v))
		return ctl_time_parse(json_string_value(v), ns);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return ctl_time_parse(buf, ns);
	}
	return -EINVAL;
}

/* authority / case: absent (NULL), or a string of 1..256 bytes. */
static int label_member(json_t *body, const char *key, const char **ret)
{
	json_t *v = json_object_get(body, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > CTL_LAWQ_LABEL_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) /* no NUL inside */
		return -EINVAL;
	*ret = json_string_value(v);
	return 0;
}

enum ctl_lawq_err ctl_lawq_parse(json_t *body, struct ctl_lawq_req *ret)
{
	static const char *const keys[] = {"type", "value", "at", "from", "to",
					   "authority", "case", "format"};
	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(body))
		return CTL_LAWQ_NOT_OBJECT;
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		bool known = false;
		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			known |= strcmp(k, keys[i]) == 0;
		if (!known)
			return CTL_LAWQ_UNKNOWN_KEY;
	}
	/* Labels first, so a refusal for any other reason still names them. */
	if (label_member(body, "authority", &ret->authority) < 0 ||
	    label_member(body, "case", &ret->case_id) < 0)
		return CTL_LAWQ_BAD_LABEL;

	const char *type = json_string_value(json_object_get(body, "type"));
	if (!type || (strcmp(type, "ip") && strcmp(type, "account") && strcmp(type, "calling")))
		return CTL_LAWQ_BAD_TYPE;
	ret->type = type;
	json_t *jv = json_object_get(body, "value");
	const char *value = json_string_value(jv);
	if (!value || json_string_length(jv) == 0 || json_string_length(jv) > RT_TEXT_MAX ||
	    strlen(value) != json_string_length(jv))
		return CTL_LAWQ_BAD_VALUE;
	ret->value = value;

	json_t *f = json_object_get(body, "format");
	if (f) {
		const char *fs = json_string_value(f);
		if (!fs || (strcmp(fs, "json") && strcmp(fs, "csv") && strcmp(fs, "xml")))
			return CTL_LAWQ_BAD_FORMAT;
		ret->csv = strcmp(fs, "csv") == 0;
		ret->xml = strcmp(fs, "xml") == 0;
	}

	bool has_at, has_from, has_to;
	int64_t at = 0, from = INT64_MIN, to = INT64_MAX;
	if (time_member(body, "at", &has_at, &at) < 0 ||
	    time_member(body, "from", &has_from, &from) < 0 ||
	    time_member(body, "to", &has_to, &to) < 0)
		return CTL_LAWQ_BAD_TIME;

	struct st_query *q = &ret->q;
	q->from_ns = from;
	q->to_ns = to;
	if (type[0] == 'i') {
		struct in_addr a4;
		if (inet_pton(AF_INET, value, &a4) != 1)
			return CTL_LAWQ_BAD_VALUE;
		memcpy(q->ipv4, &a4, 4);
		if (has_at && !has_from && !has_to) {
			q->kind = ST_Q_IPV4_AT;
			q->from_ns = q->to_ns = at;
		} else if (!has_at && has_from && has_to) {
			q->kind = ST_Q_IPV4_RANGE;
		} else {
			return CTL_LAWQ_BAD_RANGE;
		}
	} else {
		if (has_at || !has_from || !has_to)
			return CTL_LAWQ_BAD_RANGE;
		q->kind = type[0] == 'a' ? ST_Q_ACCOUNT : ST_Q_CALLING;
		q->text = value;
		q->text_len = (unsigned)json_string_length(jv);
	}
	if (q->from_ns > q->to_ns)
		return CTL_LAWQ_BAD_TIME;
	if (!ret->authority || !ret->case_id)
		return CTL_LAWQ_NO_AUTHORITY;
	return CTL_LAWQ_OK;
}

/* ---- running ----------------------------------------------------------- */

struct collect {
	struct ctl_lawq_result *r;
	size_t max_rows;
};

static int collect_row(void *ctx, const struct rt_session *s)
{
	struct collect *c = ctx;
	struct ctl_lawq_result *r = c->r;
	if (c->max_rows && r->n >= c->max_rows)
		return -E2BIG;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct rt_session *p = realloc(r->rows, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->rows = p;
		r->cap = cap;
	}
	r->rows[r->n++] = *s;
	return 0;
}

int ctl_lawq_run(st_store *st, const struct st_query *q, size_t max_rows,
		 struct ctl_lawq_result *ret)
{
	struct ctl_lawq_result r;
	memset(&r, 0, sizeof(r));
	struct collect c = {.r = &r, .max_rows = max_rows};
	int rc = st_store_query(st, q, collect_row, &c);
	/* a day sealed or expired under the query (the daemon's maintenance):
	 * the rows so far are dropped and the query runs on a new snapshot */
	for (int again = 0; rc == ST_ERETRY && again < 3; again++) {
		r.n = 0;
		rc = st_store_query(st, q, collect_row, &c);
	}
	if (rc)
		goto out_clear;
	FILE *f = open_memstream(&r.jsonl, &r.jsonl_len);
	if (!f) {
		rc = -ENOMEM;
		goto out_clear;
	}
	struct ctl_out o;
	ctl_out_begin(&o, f, CTL_FMT_JSONL);
	for (size_t i = 0; i < r.n && rc == 0; i++)
		rc = ctl_out_row(&o, &r.rows[i]);
	int orc = ctl_out_end(&o);
	if (fclose(f) != 0 && !orc)
		orc = -ENOMEM;
	if (!rc)
		rc = orc;
	if (!rc)
		rc = ctl_sha256_hex(r.jsonl, r.jsonl_len, r.digest);
	if (rc)
		goto out_clear;
	*ret = r;
	return 0;
out_clear:
	ctl_lawq_result_clear(&r);
	return rc;
}

void ctl_lawq_result_clear(struct ctl_lawq_result *r)
{
	free(r->rows);
	free(r->jsonl);
	memset(r, 0, sizeof(*r));
}
