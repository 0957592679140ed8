/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retain verify: seal the days that are over, then check the store's
 * integrity (storage/store.h st_store_verify): the seal chain, DIR/MANIFEST,
 * every sealed segment's SHA-256, every open segment's blocks.
 *
 * Each check is one entry of `checks` below, so further checks (the audit
 * log's hash chain, --audit, control/audit.c) are added as one more entry
 * with its own flag, without touching the others.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "timefmt.h"

#include "audit.h"
#include "cli.h"

/* Exit status when a check found a fault (cli.h: 0..4 are taken). */
#define VERIFY_EXIT_FAULT 5

static const char verify_help[] =
	"Usage: retain verify --store DIR [--now T] [--grace 1d] [--no-seal] [--audit]\n"
	"                     [--format text|json]\n"
	"\n"
	"Seal every day segment whose day ended more than the grace period before\n"
	"now (or --now T; default grace 1d), then check the store: the SHA-256 of\n"
	"every sealed segment against its seal, the seal chain and DIR/MANIFEST,\n"
	"and the blocks of every open segment.  Prints one line per segment:\n"
	"ok, expired, or the fault: changed, missing, truncated, reordered (holds\n"
	"another segment's bytes), extra (unknown file), chain (catalogue or\n"
	"MANIFEST disagree), nokey (encrypted under a key RETAIN_KEYS does not hold:\n"
	"cannot be verified, the key id is named), naming the segment.  With\n"
	"RETAIN_KEYS, encrypted segments are decrypted (authenticated) and their\n"
	"plaintext checked against the seal (storage/CRYPT.md).\n"
	"--no-seal checks without sealing (and without the writer lock: it may run\n"
	"beside ingest).  If another process holds the store, verify does not seal.\n"
	"--audit also checks the hash chain of the query audit log (DIR/audit.log)\n"
	"and names its first edited, deleted, moved or truncated entry.\n"
	"\n"
	"Exit status: 0 intact, 5 a fault was found, 2 store error, 1 usage.\n";

struct verify_opts {
	const char *store;
	int64_t now;
	int64_t grace;
	bool seal;
	bool json;
	bool audit;
};

struct vout {
	bool json;
	uint64_t items;
};

static int print_item(void *ctx, const struct st_verify_item *it)
{
	struct vout *o = ctx;
	char day[16] = "-", other[16] = "", sha[65] = "";
	if (it->day != INT32_MIN) {
		int64_t t = (int64_t)it->day * 86400 * NS;
		char buf[CTL_TIME_BUF];
		ctl_time_format(t, buf);
		snprintf(day, sizeof(day), "%.10s", buf);
	}
	if (it->other_day != INT32_MIN && it->status == ST_V_REORDERED) {
		char buf[CTL_TIME_BUF];
		ctl_time_format((int64_t)it->other_day * 86400 * NS, buf);
		snprintf(other, sizeof(other), "%.10s", buf);
	}
	if (it->sha)
		for (unsigned i = 0; i < 32; i++)
			snprintf(sha + 2 * i, 3, "%02x", it->sha[i]);
	o->items++;
	bool fault = st_vstatus_fault(it->status);
	if (o->json) {
		/* file names and details are plain ASCII without quotes */
		printf("{\"status\":\"%s\",\"fault\":%s,\"day\":\"%s\",\"file\":\"%s\","
		       "\"sealed\":%s,\"seq\":%u,\"size_expected\":%" PRIu64
		       ",\"size_found\":%" PRIu64 ",\"sha256\":\"%s\",\"other_day\":\"%s\","
		       "\"detail\":\"%s\"}\n",
		       st_vstatus_name(it->status), fault ? "true" : "false", day,
		       it->file ? it->file : "", it->sealed ? "true" : "false", it->seq,
		       it->size_want, it->size_found, sha, other, it->detail ? it->detail : "");
		return 0;
	}
	char word[16];
	snprintf(word, sizeof(word), "%s", st_vstatus_name(it->status));
	if (fault)
		for (char *p = word; *p; p++)
			*p = (char)(*p - 'a' + 'A');
	printf("%-10s %-10s %-22s %s%s%s\n", word, day, it->file ? it->file : "",
	       it->sealed ? "sealed: " : "open: ", it->detail ? it->detail : "",
	       it->sealed && it->status == ST_V_OK ? "" : "");
	return 0;
}

/* ---- checks ----------------------------------------------------------------- */

/* The store: seal what is due, then st_store_verify. */
static int check_store(const struct verify_opts *vo, struct vout *out, uint64_t *ret_faults)
{
	st_store *st = NULL;
	struct st_open_opts oo = {.seal_grace_ns = vo->grace, .map_size = cli_map_size(),
				  .keys = cli_keys()};
	int rc = -EBUSY;

	if (vo->seal)
		rc = st_store_open_with(vo->store, ST_OPEN_WRITE, &oo, &st);
	if (rc == -EBUSY) {
		if (vo->seal)
			fprintf(stderr, "%s: store %s is held by a writer: checking without sealing\n",
				prog, vo->store);
		rc = st_store_open_with(vo->store, ST_OPEN_RDONLY, &oo, &st);
	} else if (!rc) {
		struct st_seal_report sr;
		rc = st_store_seal(st, vo->now, &sr);
		if (rc) {
			fprintf(stderr, "%s: sealing failed: %s\n", prog, st_strerror(rc));
			st_store_close(st);
			return EXIT_RUNTIME;
		}
		if (sr.sealed && !out->json)
			printf("sealed %u segment%s (chain of %u)\n", sr.sealed,
			       sr.sealed == 1 ? "" : "s", sr.nseals);
	}
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, vo->store, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	rc = st_store_verify(st, print_item, out, ret_faults);
	st_store_close(st);
	if (rc) {
		fprintf(stderr, "%s: verify failed: %s\n", prog, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The query audit log's hash chain (control/audit.h). */
static int check_audit(const struct verify_opts *vo, struct vout *out, uint64_t *ret_faults)
{
	struct ctl_audit_report r;
	int rc = ctl_audit_verify(vo->store, &r);
	if (rc) {
		fprintf(stderr, "%s: audit log in %s: %s\n", prog, vo->store, strerror(-rc));
		return EXIT_RUNTIME;
	}
	out->items++;
	bool ok = r.fail == CTL_AUDIT_INTACT;
	if (out->json)
		printf("{\"check\":\"audit\",\"status\":\"%s\",\"entries\":%" PRIu64
		       ",\"line\":%" PRIu64 ",\"last_hash\":\"%s\"}\n",
		       ok ? "ok" : ctl_audit_fail_str(r.fail), r.entries, r.line, r.last_hash);
	else if (ok)
		printf("audit log         ok (%" PRIu64 " entries, last hash %s)\n", r.entries,
		       r.last_hash);
	else
		printf("audit log         %s\n", r.detail);
	*ret_faults = ok ? 0 : 1;
	return 0;
}

static bool audit_enabled(const struct verify_opts *vo)
{
	return vo->audit;
}

/* One entry per check; `enabled` says whether the options ask for it. */
struct verify_check {
	const char *name;
	bool (*enabled)(const struct verify_opts *vo);
	int (*run)(const struct verify_opts *vo, struct vout *out, uint64_t *ret_faults);
};

static bool always(const struct verify_opts *vo)
{
	(void)vo;
	return true;
}

static const struct verify_check checks[] = {
	{"store", always, check_store},
	{"audit log", audit_enabled, check_audit},
};

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"now", required_argument, NULL, 'n'},
		{"grace", required_argument, NULL, 'g'},
		{"no-seal", no_argument, NULL, 'N'},
		{"audit", no_argument, NULL, 'A'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct verify_opts vo = {.now = now_ns(), .grace = ST_SEAL_GRACE_DEFAULT, .seal = true};
	int c;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			vo.store = optarg;
			break;
		case 'n':
			vo.now = parse_time_or_die("verify ", "--now", optarg);
			break;
		case 'g':
			if (ctl_duration_parse(optarg, &vo.grace) < 0 || vo.grace <= 0)
				die_usage("verify ", "--grace: '%s' is not a duration (e.g. 1d)",
					  optarg);
			break;
		case 'N':
			vo.seal = false;
			break;
		case 'A':
			vo.audit = true;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0 || strcmp(optarg, "jsonl") == 0)
				vo.json = true;
			else if (strcmp(optarg, "text") != 0 && strcmp(optarg, "table") != 0)
				die_usage("verify ", "--format: '%s' is not text or json", optarg);
			break;
		case 'h':
			fputs(verify_help, stdout);
			return 0;
		default:
			die_usage("verify ", "bad option");
		}
	}
	if (optind != argc)
		die_usage("verify ", "unexpected argument '%s'", argv[optind]);
	vo.store = store_from_env(vo.store);
	if (!vo.store)
		die_usage("verify ", "--store DIR is required");

	struct vout out = {.json = vo.json};
	uint64_t faults = 0;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		uint64_t f = 0;
		if (!checks[i].enabled(&vo))
			continue;
		int rc = checks[i].run(&vo, &out, &f);
		if (rc) {
			fflush(stdout);
			return rc;
		}
		faults += f;
	}
	fflush(stdout);
	if (faults) {
		fprintf(stderr, "%s: verify: %" PRIu64 " fault%s in %" PRIu64 " items checked\n",
			prog, faults, faults == 1 ? "" : "s", out.items);
		return VERIFY_EXIT_FAULT;
	}
	if (!vo.json)
		printf("verify: %" PRIu64 " items checked, no fault\n", out.items);
	return 0;
}
