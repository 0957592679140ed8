/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retain registry: the real-name registry of a store (DESIGN.md section 6):
 * import, show, export, purge and the compliance report.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "csv.h"
#include "output.h"
#include "registry.h"
#include "store.h"
#include "timefmt.h"

#include "cli.h"

#define DAY_NS (86400LL * NS)
/* Xinjiang 2016 art. 27 / Tibet 2011 s3: 60 days to register, then
 * suspension; 30 more days, then termination. */
#define REG_DEADLINE_NS (60 * DAY_NS)
#define SUSPEND_DEADLINE_NS (90 * DAY_NS)
#define MANY_ACCOUNTS 5
#define IMPORT_MAX_BYTES (1u << 30)

static const char registry_help[] =
	"Usage: retain registry COMMAND [options]\n"
	"\n"
	"The real-name registry of a store (DIR/registry.mdb).\n"
	"\n"
	"Commands:\n"
	"  import FILE.csv       add or replace accounts; all or nothing\n"
	"  show ACCOUNT          one account's registered identity (exit 4 if none)\n"
	"  export                every account, --format csv (default) or jsonl\n"
	"  purge                 delete accounts terminated more than --keep (default 2y)\n"
	"                        before --now (default: the clock)\n"
	"  report                compliance report: sessions of unregistered, suspended\n"
	"                        and terminated accounts, identities with 5 or more\n"
	"                        accounts, unregistered accounts past their 60/90-day\n"
	"                        deadlines; --format text (default) or json, --now T\n"
	"\n"
	"Options (every command):\n"
	"  -s, --store DIR       store directory (env RETAIN_STORE)\n"
	"  -f, --format F        output format\n"
	"      --now T           the current time (tests; birth dates, purge, report)\n"
	"      --keep DUR        purge: how long terminated accounts are kept: Ny\n"
	"                        (calendar years) or a duration like 730d (default 2y)\n"
	"  -h, --help\n"
	"\n"
	"Import CSV (RFC 4180, UTF-8, header line first, columns in any order):\n"
	"  required: account,category,doc_type,doc_number,name,address,status,\n"
	"            registered_at,terminated_at,agent\n"
	"  optional: suspended_at (required when status is suspended),\n"
	"            agent_doc_type,agent_doc_number,agent_name (required for\n"
	"            organisations: the handling agent's personal document)\n"
	"  other columns are ignored.  category: individual|organisation;\n"
	"  doc_type: resident_id, residence_permit, passport, hk_macau_permit,\n"
	"  taiwan_permit (individuals), credit_code, business_licence\n"
	"  (organisations); status: active|suspended|terminated; times RFC 3339,\n"
	"  a date or epoch seconds.  A file with any bad line imports nothing and\n"
	"  every bad line is listed (exit 1).\n";

struct reg_opts {
	const char *store;
	const char *format;
	int64_t now_ns;
	const char *keep;
};

static int open_registry(const char *store, int write, ctl_registry **r)
{
	int rc = ctl_registry_open(store, write, r);
	if (rc) {
		fprintf(stderr, "%s: registry of %s: %s\n", prog, store,
			rc == -ENOENT ? "no such store directory" : ctl_registry_strerror(rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* ---- import ------------------------------------------------------------- */

enum col {
	C_ACCOUNT, C_CATEGORY, C_DOC_TYPE, C_DOC_NUMBER, C_NAME, C_ADDRESS, C_STATUS,
	C_REGISTERED_AT, C_TERMINATED_AT, C_AGENT, /* required above */
	C_SUSPENDED_AT, C_AGENT_DOC_TYPE, C_AGENT_DOC_NUMBER, C_AGENT_NAME, C_MAX
};
#define C_REQUIRED (C_AGENT + 1)

static const char *const col_names[C_MAX] = {
	"account", "category", "doc_type", "doc_number", "name", "address", "status",
	"registered_at", "terminated_at", "agent", "suspended_at", "agent_doc_type",
	"agent_doc_number", "agent_name",
};

/* One reason a line is bad; printed sorted by line at the end. */
struct bad {
	unsigned line, seq;
	char *msg;
};

struct import {
	const char *file;
	unsigned bad;
	struct bad *bads;
	size_t nbads, capbads;
	struct ctl_identity *ids;
	unsigned *lines;
	size_t n, cap;
};

static void bad_line(struct import *im, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad_line(struct import *im, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	im->bad++;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL;
	if (im->nbads == im->capbads) {
		size_t nc = im->capbads ? im->capbads * 2 : 32;
		struct bad *nb = realloc(im->bads, nc * sizeof(*nb));
		if (!nb) {
			/* out of memory: say it now rather than lose it */
			fprintf(stderr, "%s:%u: %s\n", im->file, line, msg ? msg : "bad line");
			free(msg);
			return;
		}
		im->bads = nb;
		im->capbads = nc;
	}
	im->bads[im->nbads] = (struct bad){line, (unsigned)im->nbads, msg};
	im->nbads++;
}

static int cmp_bad(const void *a, const void *b)
{
	const struct bad *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print the collected reasons sorted by line, and free them.
 * @return the number of distinct bad lines printed */
static unsigned flush_bad(struct import *im)
{
	unsigned lines = 0;
	if (im->nbads)
		qsort(im->bads, im->nbads, sizeof(*im->bads), cmp_bad);
	for (size_t i = 0; i < im->nbads; i++) {
		lines += i == 0 || im->bads[i].line != im->bads[i - 1].line;
		fprintf(stderr, "%s:%u: %s\n", im->file, im->bads[i].line,
			im->bads[i].msg ? im->bads[i].msg : "bad line");
		free(im->bads[i].msg);
	}
	free(im->bads);
	im->bads = NULL;
	im->nbads = im->capbads = 0;
	return lines;
}

static bool copy_field(struct import *im, unsigned line, const struct ctl_csv_rec *rec, int idx,
		       const char *name, char *dst, size_t cap)
{
	dst[0] = 0;
	if (idx < 0)
		return true;
	const char *v = ctl_csv_field(rec, (unsigned)idx);
	size_t n = rec->len[idx];
	if (n >= cap) {
		bad_line(im, line, "%s longer than %zu bytes", name, cap - 1);
		return false;
	}
	if (memchr(v, 0, n)) {
		bad_line(im, line, "%s contains a NUL byte", name);
		return false;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
	return true;
}

static bool time_field(struct import *im, unsigned line, const struct ctl_csv_rec *rec, int idx,
		       const char *name, int64_t *ret)
{
	*ret = RT_TIME_NONE;
	if (idx < 0 || rec->len[idx] == 0)
		return true;
	if (ctl_time_parse(ctl_csv_field(rec, (unsigned)idx), ret) < 0) {
		bad_line(im, line, "%s '%s' is not a time", name, ctl_csv_field(rec, (unsigned)idx));
		*ret = RT_TIME_NONE;
		return false;
	}
	return true;
}

static bool enum_field(struct import *im, unsigned line, const struct ctl_csv_rec *rec, int idx,
		       const char *name, unsigned (*parse)(const char *), uint8_t *ret)
{
	*ret = 0;
	if (idx < 0 || rec->len[idx] == 0)
		return true; /* validation says what is missing */
	unsigned v = parse(ctl_csv_field(rec, (unsigned)idx));
	if (!v) {
		bad_line(im, line, "%s '%s' is not known", name, ctl_csv_field(rec, (unsigned)idx));
		return false;
	}
	*ret = (uint8_t)v;
	return true;
}

static int cmp_account_idx(const void *a, const void *b, void *ctx)
{
	const struct ctl_identity *ids = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(ids[x].account, ids[y].account);
	return c ? c : (x < y ? -1 : x > y);
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(b);
				b = NULL;
			}
			break;
		}
		if (cap >= IMPORT_MAX_BYTES) {
			free(b);
			b = NULL;
			errno = EFBIG;
			break;
		}
		char *nb = realloc(b, cap * 2);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		cap *= 2;
	}
	if (f != stdin)
		fclose(f);
	if (b)
		*ret_len = n;
	return b;
}

static int reg_import(const struct reg_opts *o, const char *file)
{
	size_t len;
	char *buf = read_file(file, &len);
	if (!buf) {
		fprintf(stderr, "%s: cannot read %s: %s\n", prog, file, strerror(errno));
		return EXIT_USAGE;
	}
	struct import im = {.file = file};
	struct ctl_csv csv;
	struct ctl_csv_rec *rec = malloc(sizeof(*rec));
	int rc = EXIT_USAGE;
	if (!rec)
		goto free_buf;
	ctl_csv_init(&csv, buf, len);
	int col[C_MAX];
	for (unsigned i = 0; i < C_MAX; i++)
		col[i] = -1;
	int res = ctl_csv_next(&csv, rec);
	if (res != CTL_CSV_RECORD) {
		fprintf(stderr, "%s:%u: %s\n", file, rec->line,
			res == CTL_CSV_EOF ? "empty file: no header line" : ctl_csv_strerror(res));
		goto free_rec;
	}
	unsigned ncols = rec->nfields;
	for (unsigned f = 0; f < rec->nfields; f++)
		for (unsigned c = 0; c < C_MAX; c++)
			if (strcmp(ctl_csv_field(rec, f), col_names[c]) == 0) {
				if (col[c] >= 0)
					bad_line(&im, rec->line, "column %s given twice", col_names[c]);
				col[c] = (int)f;
			}
	for (unsigned c = 0; c < C_REQUIRED; c++)
		if (col[c] < 0)
			bad_line(&im, rec->line, "header lacks the column %s", col_names[c]);
	if (im.bad) {
		flush_bad(&im);
		fprintf(stderr, "%s: %s: bad header; nothing imported\n", prog, file);
		goto free_rec;
	}
	int64_t today = o->now_ns;
	while ((res = ctl_csv_next(&csv, rec)) != CTL_CSV_EOF) {
		unsigned line = rec->line;
		if (res < 0) {
			bad_line(&im, line, "%s", ctl_csv_strerror(res));
			continue;
		}
		if (rec->nfields == 1 && rec->len[0] == 0)
			continue; /* blank line */
		if (rec->nfields != ncols) {
			bad_line(&im, line, "%u fields, the header has %u", rec->nfields, ncols);
			continue;
		}
		if (im.n == im.cap) {
			size_t nc = im.cap ? im.cap * 2 : 64;
			struct ctl_identity *ni = realloc(im.ids, nc * sizeof(*ni));
			unsigned *nl = ni ? realloc(im.lines, nc * sizeof(*nl)) : NULL;
			if (ni)
				im.ids = ni;
			if (!ni || !nl) {
				fprintf(stderr, "%s: out of memory\n", prog);
				rc = EXIT_RUNTIME;
				goto free_ids;
			}
			im.lines = nl;
			im.cap = nc;
		}
		struct ctl_identity *id = &im.ids[im.n];
		memset(id, 0, sizeof(*id));
		unsigned before = im.bad;
		copy_field(&im, line, rec, col[C_ACCOUNT], "account", id->account, sizeof(id->account));
		copy_field(&im, line, rec, col[C_DOC_NUMBER], "doc_number", id->doc_number,
			   sizeof(id->doc_number));
		copy_field(&im, line, rec, col[C_NAME], "name", id->name, sizeof(id->name));
		copy_field(&im, line, rec, col[C_ADDRESS], "address", id->address, sizeof(id->address));
		copy_field(&im, line, rec, col[C_AGENT], "agent", id->agent, sizeof(id->agent));
		copy_field(&im, line, rec, col[C_AGENT_DOC_NUMBER], "agent_doc_number",
			   id->agent_doc_number, sizeof(id->agent_doc_number));
		copy_field(&im, line, rec, col[C_AGENT_NAME], "agent_name", id->agent_name,
			   sizeof(id->agent_name));
		enum_field(&im, line, rec, col[C_CATEGORY], "category", ctl_category_parse,
			   &id->category);
		enum_field(&im, line, rec, col[C_DOC_TYPE], "doc_type", ctl_doc_type_parse,
			   &id->doc_type);
		enum_field(&im, line, rec, col[C_AGENT_DOC_TYPE], "agent_doc_type",
			   ctl_doc_type_parse, &id->agent_doc_type);
		enum_field(&im, line, rec, col[C_STATUS], "status", ctl_status_parse, &id->status);
		time_field(&im, line, rec, col[C_REGISTERED_AT], "registered_at",
			   &id->registered_at_ns);
		time_field(&im, line, rec, col[C_SUSPENDED_AT], "suspended_at", &id->suspended_at_ns);
		time_field(&im, line, rec, col[C_TERMINATED_AT], "terminated_at",
			   &id->terminated_at_ns);
		if (im.bad != before)
			continue;
		char why[512];
		if (ctl_identity_validate(id, today, why, sizeof(why)) < 0) {
			bad_line(&im, line, "%s", why);
			continue;
		}
		im.lines[im.n++] = line;
	}
	/* the same account twice in one file is ambiguous */
	if (im.n > 1) {
		size_t *idx = malloc(im.n * sizeof(*idx));
		if (!idx) {
			fprintf(stderr, "%s: out of memory\n", prog);
			rc = EXIT_RUNTIME;
			goto free_ids;
		}
		for (size_t i = 0; i < im.n; i++)
			idx[i] = i;
		qsort_r(idx, im.n, sizeof(*idx), cmp_account_idx, im.ids);
		for (size_t i = 1; i < im.n; i++)
			if (strcmp(im.ids[idx[i]].account, im.ids[idx[i - 1]].account) == 0)
				bad_line(&im, im.lines[idx[i]], "account '%s' is also on line %u",
					 im.ids[idx[i]].account, im.lines[idx[i - 1]]);
		free(idx);
	}
	if (im.bad) {
		unsigned nl = flush_bad(&im);
		fprintf(stderr, "%s: %s: %u bad line%s; nothing imported\n", prog, file, nl,
			nl == 1 ? "" : "s");
		rc = EXIT_USAGE;
		goto free_ids;
	}
	ctl_registry *r;
	if ((rc = open_registry(o->store, 1, &r)))
		goto free_ids;
	size_t replaced = 0;
	for (size_t i = 0; i < im.n; i++) {
		struct ctl_identity old;
		if (ctl_registry_get(r, im.ids[i].account, strlen(im.ids[i].account), &old) == 0)
			replaced++;
	}
	int prc = ctl_registry_put(r, im.ids, im.n);
	ctl_registry_close(r);
	if (prc) {
		fprintf(stderr, "%s: import failed, nothing imported: %s\n", prog,
			ctl_registry_strerror(prc));
		rc = EXIT_RUNTIME;
		goto free_ids;
	}
	printf("imported %zu account%s (%zu replaced)\n", im.n, im.n == 1 ? "" : "s", replaced);
	rc = 0;
free_ids:
	flush_bad(&im);
	free(im.ids);
	free(im.lines);
free_rec:
	flush_bad(&im);
	free(rec);
free_buf:
	free(buf);
	return rc;
}

/* ---- show / export ---------------------------------------------------- */

static json_t *identity_with_account(const struct ctl_identity *id)
{
	json_t *o = json_object(), *j = ctl_identity_json(id);
	if (!o || !j) {
		json_decref(o);
		json_decref(j);
		return NULL;
	}
	char buf[2 * CTL_REG_TEXT_MAX + 1];
	ctl_utf8_clean(id->account, strlen(id->account), buf);
	json_object_set_new(o, "account", json_string(buf));
	json_object_update(o, j);
	json_decref(j);
	return o;
}

static int reg_show(const struct reg_opts *o, const char *account)
{
	bool json = o->format && strcmp(o->format, "json") == 0;
	if (o->format && !json && strcmp(o->format, "text"))
		die_usage("registry ", "show: --format is text or json");
	ctl_registry *r;
	int rc = open_registry(o->store, 0, &r);
	if (rc)
		return rc;
	struct ctl_identity id;
	rc = ctl_registry_get(r, account, strlen(account), &id);
	ctl_registry_close(r);
	if (rc == -ENOENT) {
		fprintf(stderr, "%s: account '%s' is not registered\n", prog, account);
		return EXIT_EMPTY;
	}
	if (rc) {
		fprintf(stderr, "%s: registry: %s\n", prog, ctl_registry_strerror(rc));
		return EXIT_RUNTIME;
	}
	json_t *j = identity_with_account(&id);
	if (!j)
		return EXIT_RUNTIME;
	if (json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) printf("%-17s %s\n", k,
						    json_is_string(v) ? json_string_value(v) : "-");
	}
	json_decref(j);
	return 0;
}

static void csv_cell(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void csv_time(int64_t ns)
{
	char b[CTL_TIME_BUF];
	if (ns == RT_TIME_NONE)
		return;
	ctl_time_format(ns, b);
	fputs(b, stdout);
}

static int export_row(void *ctx, const struct ctl_identity *id)
{
	bool json = *(bool *)ctx;
	if (json) {
		json_t *j = identity_with_account(id);
		if (!j)
			return -ENOMEM;
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		return 0;
	}
	const char *ad = ctl_doc_type_name(id->agent_doc_type);
	csv_cell(id->account);
	printf(",%s,%s,", ctl_category_name(id->category), ctl_doc_type_name(id->doc_type));
	csv_cell(id->doc_number);
	putchar(',');
	csv_cell(id->name);
	putchar(',');
	csv_cell(id->address);
	printf(",%s,", ctl_status_name(id->status));
	csv_time(id->registered_at_ns);
	putchar(',');
	csv_time(id->suspended_at_ns);
	putchar(',');
	csv_time(id->terminated_at_ns);
	putchar(',');
	csv_cell(id->agent);
	printf(",%s,", ad ? ad : "");
	csv_cell(id->agent_doc_number);
	putchar(',');
	csv_cell(id->agent_name);
	putchar('\n');
	return 0;
}

static int reg_export(const struct reg_opts *o)
{
	bool json = o->format && strcmp(o->format, "jsonl") == 0;
	if (o->format && !json && strcmp(o->format, "csv"))
		die_usage("registry ", "export: --format is csv or jsonl");
	ctl_registry *r;
	int rc = open_registry(o->store, 0, &r);
	if (rc)
		return rc;
	if (!json)
		puts("account,category,doc_type,doc_number,name,address,status,registered_at,"
		     "suspended_at,terminated_at,agent,agent_doc_type,agent_doc_number,agent_name");
	rc = ctl_registry_foreach(r, export_row, &json);
	ctl_registry_close(r);
	if (rc) {
		fprintf(stderr, "%s: registry: %s\n", prog, ctl_registry_strerror(rc));
		return EXIT_RUNTIME;
	}
	return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
}

/* ---- purge --------------------------------------------------------------- */

static void purged_one(void *ctx, const struct ctl_identity *id)
{
	(void)ctx;
	char t[CTL_TIME_BUF];
	ctl_time_format(id->terminated_at_ns, t);
	printf("purged %s (terminated %s)\n", id->account, t);
}

static int reg_purge(const struct reg_opts *o)
{
	const char *keep = o->keep ? o->keep : "2y";
	int64_t cutoff;
	size_t kl = strlen(keep);
	if (kl >= 2 && keep[kl - 1] == 'y') {
		char *end;
		unsigned long y = strtoul(keep, &end, 10);
		if (end != keep + kl - 1 || y < 1 || y > 100)
			die_usage("registry ", "--keep: '%s' is not 1y..100y or a duration", keep);
		cutoff = ctl_registry_cutoff_years(o->now_ns, (unsigned)y);
	} else {
		int64_t d;
		if (ctl_duration_parse(keep, &d) < 0 || d <= 0)
			die_usage("registry ", "--keep: '%s' is not Ny or a duration like 730d", keep);
		cutoff = o->now_ns - d;
	}
	ctl_registry *r;
	int rc = open_registry(o->store, 1, &r);
	if (rc)
		return rc;
	size_t n = 0;
	rc = ctl_registry_purge(r, cutoff, purged_one, NULL, &n);
	ctl_registry_close(r);
	if (rc) {
		fprintf(stderr, "%s: purge failed, nothing purged: %s\n", prog,
			ctl_registry_strerror(rc));
		return EXIT_RUNTIME;
	}
	char t[CTL_TIME_BUF];
	ctl_time_format(cutoff, t);
	printf("%zu account%s purged (terminated before %s)\n", n, n == 1 ? "" : "s", t);
	return 0;
}

/* ---- report -------------------------------------------------------------- */

enum hit_kind { HIT_UNREGISTERED, HIT_SUSPENDED, HIT_TERMINATED };

/* One session that counts in the report. */
struct hit {
	uint8_t kind;
	uint8_t len;
	char account[RT_TEXT_MAX];
	int64_t start_ns;
};

struct report {
	ctl_registry *reg;
	struct hit *hits;
	size_t n, cap;
	uint64_t sessions;
	int err;
};

static int report_row(void *ctx, const struct rt_session *s)
{
	struct report *rp = ctx;
	struct ctl_identity id;
	rp->sessions++;
	int rc = ctl_registry_get(rp->reg, s->account.v, s->account.len, &id);
	int kind;
	if (rc == -ENOENT) {
		kind = HIT_UNREGISTERED;
	} else if (rc) {
		return rp->err = rc;
	} else if (id.status == CTL_STATUS_SUSPENDED && id.suspended_at_ns != RT_TIME_NONE &&
		   s->start_ns >= id.suspended_at_ns) {
		kind = HIT_SUSPENDED;
	} else if (id.status == CTL_STATUS_TERMINATED && id.terminated_at_ns != RT_TIME_NONE &&
		   s->start_ns >= id.terminated_at_ns) {
		kind = HIT_TERMINATED;
	} else {
		return 0;
	}
	if (rp->n == rp->cap) {
		size_t nc = rp->cap ? rp->cap * 2 : 256;
		struct hit *nh = realloc(rp->hits, nc * sizeof(*nh));
		if (!nh)
			return rp->err = -ENOMEM;
		rp->hits = nh;
		rp->cap = nc;
	}
	struct hit *h = &rp->hits[rp->n++];
	h->kind = (uint8_t)kind;
	h->len = s->account.len;
	memcpy(h->account, s->account.v, s->account.len);
	h->start_ns = s->start_ns;
	return 0;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	unsigned m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->account, y->account, m);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* identities: (doc_type, doc_number, account) of accounts not terminated */
struct holder {
	uint8_t doc_type;
	char doc_number[64];
	char account[CTL_REG_TEXT_MAX];
};

struct holders {
	struct holder *v;
	size_t n, cap;
};

static int holder_row(void *ctx, const struct ctl_identity *id)
{
	struct holders *h = ctx;
	if (id->status == CTL_STATUS_TERMINATED)
		return 0;
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 256;
		struct holder *nv = realloc(h->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		h->v = nv;
		h->cap = nc;
	}
	struct holder *x = &h->v[h->n++];
	x->doc_type = id->doc_type;
	memcpy(x->doc_number, id->doc_number, sizeof(x->doc_number));
	memcpy(x->account, id->account, sizeof(x->account));
	return 0;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;
	if (x->doc_type != y->doc_type)
		return x->doc_type < y->doc_type ? -1 : 1;
	int c = strcmp(x->doc_number, y->doc_number);
	return c ? c : strcmp(x->account, y->account);
}

static json_t *jtime(int64_t ns)
{
	char b[CTL_TIME_BUF];
	ctl_time_format(ns, b);
	return json_string(b);
}

static json_t *jacc(const char *s, size_t n)
{
	char buf[2 * RT_TEXT_MAX + 1];
	size_t m = ctl_utf8_clean(s, n, buf);
	return json_stringn(buf, m);
}

static int reg_report(const struct reg_opts *o)
{
	bool json = o->format && strcmp(o->format, "json") == 0;
	if (o->format && !json && strcmp(o->format, "text"))
		die_usage("registry ", "report: --format is text or json");
	st_store *st;
	int rc = st_store_open_with(o->store, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = cli_keys()}, &st);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, o->store, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	struct report rp = {0};
	if ((rc = open_registry(o->store, 0, &rp.reg))) {
		st_store_close(st);
		return rc;
	}
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	rc = st_store_query(st, &q, report_row, &rp);
	st_store_close(st);
	struct holders hs = {0};
	if (!rc)
		rc = ctl_registry_foreach(rp.reg, holder_row, &hs);
	ctl_registry_close(rp.reg);
	if (rc) {
		fprintf(stderr, "%s: report failed: %s\n", prog,
			rp.err ? ctl_registry_strerror(rp.err) : st_strerror(rc));
		free(rp.hits);
		free(hs.v);
		return EXIT_RUNTIME;
	}
	qsort(rp.hits, rp.n, sizeof(*rp.hits), cmp_hit);
	qsort(hs.v, hs.n, sizeof(*hs.v), cmp_holder);

	static const char *const kind_key[] = {"unregistered", "suspended", "terminated"};
	json_t *root = json_object(), *sess = json_object(), *lists[3];
	uint64_t counts[3] = {0}, past60 = 0, past90 = 0;
	for (unsigned k = 0; k < 3; k++)
		lists[k] = json_array();
	for (size_t i = 0; i < rp.n;) {
		size_t j = i;
		while (j < rp.n && rp.hits[j].kind == rp.hits[i].kind &&
		       rp.hits[j].len == rp.hits[i].len &&
		       memcmp(rp.hits[j].account, rp.hits[i].account, rp.hits[i].len) == 0)
			j++;
		const struct hit *h = &rp.hits[i]; /* earliest start of this account */
		json_t *a = json_object();
		json_object_set_new(a, "account", jacc(h->account, h->len));
		json_object_set_new(a, "sessions", json_integer((json_int_t)(j - i)));
		json_object_set_new(a, "first_start", jtime(h->start_ns));
		counts[h->kind] += j - i;
		if (h->kind == HIT_UNREGISTERED) {
			bool p60 = o->now_ns > h->start_ns + REG_DEADLINE_NS;
			bool p90 = o->now_ns > h->start_ns + SUSPEND_DEADLINE_NS;
			json_object_set_new(a, "registration_deadline",
					    jtime(h->start_ns + REG_DEADLINE_NS));
			json_object_set_new(a, "suspension_deadline",
					    jtime(h->start_ns + SUSPEND_DEADLINE_NS));
			json_object_set_new(a, "past_registration_deadline", json_boolean(p60));
			json_object_set_new(a, "past_suspension_deadline", json_boolean(p90));
			past60 += p60;
			past90 += p90;
		}
		json_array_append_new(lists[h->kind], a);
		i = j;
	}
	json_t *many = json_array();
	for (size_t i = 0; i < hs.n;) {
		size_t j = i;
		while (j < hs.n && hs.v[j].doc_type == hs.v[i].doc_type &&
		       strcmp(hs.v[j].doc_number, hs.v[i].doc_number) == 0)
			j++;
		if (j - i >= MANY_ACCOUNTS) {
			json_t *x = json_object(), *accs = json_array();
			json_object_set_new(x, "doc_type",
					    json_string(ctl_doc_type_name(hs.v[i].doc_type)));
			json_object_set_new(x, "doc_number", json_string(hs.v[i].doc_number));
			json_object_set_new(x, "accounts", json_integer((json_int_t)(j - i)));
			for (size_t k = i; k < j; k++)
				json_array_append_new(accs, jacc(hs.v[k].account,
								 strlen(hs.v[k].account)));
			json_object_set_new(x, "account_list", accs);
			json_array_append_new(many, x);
		}
		i = j;
	}
	json_object_set_new(root, "now", jtime(o->now_ns));
	json_object_set_new(root, "sessions_examined", json_integer((json_int_t)rp.sessions));
	for (unsigned k = 0; k < 3; k++)
		json_object_set_new(sess, kind_key[k], json_integer((json_int_t)counts[k]));
	json_object_set_new(root, "sessions", sess);
	json_object_set_new(root, "unregistered_accounts", lists[0]);
	json_object_set_new(root, "suspended_accounts", lists[1]);
	json_object_set_new(root, "terminated_accounts", lists[2]);
	json_object_set_new(root, "past_registration_deadline", json_integer((json_int_t)past60));
	json_object_set_new(root, "past_suspension_deadline", json_integer((json_int_t)past90));
	json_object_set_new(root, "identities_with_5_or_more_accounts", many);

	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		printf("compliance report at %s (%" PRIu64 " sessions examined)\n\n",
		       json_string_value(json_object_get(root, "now")), rp.sessions);
		static const char *const title[] = {
			"sessions of unregistered accounts",
			"sessions of suspended accounts (after suspension)",
			"sessions of terminated accounts (after termination)"};
		for (unsigned k = 0; k < 3; k++) {
			printf("%-52s %" PRIu64 " (%zu account%s)\n", title[k], counts[k],
			       json_array_size(lists[k]), json_array_size(lists[k]) == 1 ? "" : "s");
			size_t i;
			json_t *a;
			json_array_foreach(lists[k], i, a) {
				printf("  %-30s %4lld session(s), first %s",
				       json_string_value(json_object_get(a, "account")),
				       (long long)json_integer_value(json_object_get(a, "sessions")),
				       json_string_value(json_object_get(a, "first_start")));
				if (k == 0)
					printf("%s", json_is_true(json_object_get(a, "past_suspension_deadline"))
							     ? "  PAST 90 DAYS: terminate"
						     : json_is_true(json_object_get(a, "past_registration_deadline"))
							     ? "  PAST 60 DAYS: suspend"
							     : "");
				putchar('\n');
			}
		}
		printf("%-52s %" PRIu64 "\n", "unregistered past the 60-day registration deadline",
		       past60);
		printf("%-52s %" PRIu64 "\n", "unregistered past the 90-day suspension deadline",
		       past90);
		printf("%-52s %zu\n", "identities holding 5 or more accounts", json_array_size(many));
		size_t i;
		json_t *x;
		json_array_foreach(many, i, x) printf(
			"  %s %s: %lld accounts\n", json_string_value(json_object_get(x, "doc_type")),
			json_string_value(json_object_get(x, "doc_number")),
			(long long)json_integer_value(json_object_get(x, "accounts")));
	}
	json_decref(root);
	free(rp.hits);
	free(hs.v);
	return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
}

/* ---- dispatch ------------------------------------------------------------ */

int cmd_registry(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
		{"now", required_argument, NULL, 'N'},	 {"keep", required_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},	 {0},
	};
	struct reg_opts o = {0};
	const char *now = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.store = optarg;
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'N':
			now = optarg;
			break;
		case 'K':
			o.keep = optarg;
			break;
		case 'h':
			fputs(registry_help, stdout);
			return 0;
		default:
			die_usage("registry ", "bad option");
		}
	}
	if (optind >= argc)
		die_usage("registry ", "expected a command: import, show, export, purge, report");
	const char *sub = argv[optind++];
	o.store = store_from_env(o.store);
	if (!o.store)
		die_usage("registry ", "--store DIR is required");
	o.now_ns = now ? parse_time_or_die("registry ", "--now", now) : now_ns();
	int rest = argc - optind;
	if (strcmp(sub, "import") == 0) {
		if (rest != 1)
			die_usage("registry ", "import needs one CSV file");
		return reg_import(&o, argv[optind]);
	}
	if (strcmp(sub, "show") == 0) {
		if (rest != 1)
			die_usage("registry ", "show needs one ACCOUNT");
		return reg_show(&o, argv[optind]);
	}
	if (rest != 0)
		die_usage("registry ", "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "export") == 0)
		return reg_export(&o);
	if (strcmp(sub, "purge") == 0)
		return reg_purge(&o);
	if (strcmp(sub, "report") == 0)
		return reg_report(&o);
	die_usage("registry ", "unknown registry command '%s'", sub);
}
