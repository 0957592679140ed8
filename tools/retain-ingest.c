/* SPDX-License-Identifier: BSD-2-Clause */
/* retain ingest: captures -> sessions -> store. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"

#include "cli.h"

/* ---- ingest ----------------------------------------------------------- */

static void progress_stderr(void *ctx, const struct dp_counters *c, const struct dp_tracker_stats *t)
{
	(void)ctx;
	fprintf(stderr,
		"%s: progress: packets %" PRIu64 " accounting_requests %" PRIu64
		" open_sessions %" PRIu64 " closed_sessions %" PRIu64 "\n",
		prog, c->packets, c->radius_acct_requests, t->open_now, t->closed);
}

static const char ingest_help[] =
	"Usage: retain ingest CAPTURE... --store DIR [options]\n"
	"\n"
	"Read pcap/pcapng captures of BRAS control traffic, build one record per\n"
	"access session and store them.  Sessions left open by an earlier run\n"
	"continue; sessions still open at the end are stored as open.\n"
	"\n"
	"Options:\n"
	"  -s, --store DIR        store directory (created if missing; env RETAIN_STORE)\n"
	"  -k, --secrets FILE     RADIUS shared secrets, 'ADDRESS[/PREFIX] SECRET' per line;\n"
	"                         packets from a NAS with a secret must verify or are rejected,\n"
	"                         sessions of NAS without one are marked auth \"no-secret\"\n"
	"      --line-map FILE    DHCP option 82 line identity -> account map, one\n"
	"                         'circuit-id|remote-id|subscriber-id,VALUE,ACCOUNT' per line\n"
	"      --acct-port P      RADIUS accounting UDP port (repeatable; default 1813, 1646)\n"
	"      --auth-port P      RADIUS authentication UDP port (repeatable; default 1812, 1645)\n"
	"      --orphan-k K       close sessions silent for K x their interim interval (default 3)\n"
	"      --default-interval DUR  interim interval assumed before one is seen (default 1h)\n"
	"  -j, --threads N        1: one thread; 2: a reader thread reads the captures and\n"
	"                         verifies RADIUS authenticators ahead of the engine (same\n"
	"                         records); default 2 on a machine with 2 or more cores\n"
	"      --progress         a line on stderr about once a second: packets, accounting\n"
	"                         requests, open and closed sessions so far (tools/bench load)\n"
	"      --format text|json summary format (default text)\n"
	"  -q, --quiet            no summary\n"
	"  -h, --help\n";

static int parse_port(const char *cmd, const char *v)
{
	char *end;
	long p = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || p < 1 || p > 65535)
		die_usage(cmd, "'%s' is not a UDP port", v);
	return (int)p;
}

static void print_summary_text(const struct ctl_ingest_result *r)
{
	const struct dp_counters *c = &r->c;
	printf("packets            %" PRIu64 " (%.0f packets/s)\n", c->packets,
	       r->seconds > 0 ? (double)c->packets / r->seconds : 0.0);
	printf("accounting requests %" PRIu64 "\n", c->radius_acct_requests);
	printf("accepted           %" PRIu64 " (no-secret %" PRIu64 ")\n", c->accepted,
	       c->no_secret);
	printf("rejected           %" PRIu64 " (authenticator does not verify), %" PRIu64
	       " replayed\n", c->rejected, c->replayed);
	if (c->pppoe || c->dhcp4)
		printf("pppoe frames       %" PRIu64 ", dhcp messages %" PRIu64
		       ", failed logins %" PRIu64 "\n",
		       c->pppoe, c->dhcp4, c->logins_failed);
	if (c->access_requests || c->access_responses)
		printf("radius access      %" PRIu64 " requests, %" PRIu64 " responses; %" PRIu64
		       " without Message-Authenticator, %" PRIu64 " invalid, %" PRIu64
		       " BlastRADIUS suspects\n",
		       c->access_requests, c->access_responses, c->msg_auth_missing,
		       c->msg_auth_invalid, c->blastradius_suspect);
	printf("malformed          %" PRIu64 "\n", dp_counters_malformed(c));
	for (unsigned i = 0; i < DP_FRAME_RES_MAX; i++)
		if (c->malformed_frame[i] && dp_frame_res_malformed((enum dp_frame_res)i))
			printf("  %-22s %" PRIu64 "\n", dp_frame_res_str((enum dp_frame_res)i),
			       c->malformed_frame[i]);
	for (unsigned i = 1; i < DP_RADIUS_FAIL_MAX; i++)
		if (c->malformed_radius[i])
			printf("  radius %-15s %" PRIu64 "\n",
			       dp_radius_fail_str((enum dp_radius_fail)i), c->malformed_radius[i]);
	printf("ignored            %" PRIu64 " (not IP %" PRIu64 ", not UDP %" PRIu64
	       ", other UDP %" PRIu64 ", responses %" PRIu64 ", auth %" PRIu64
	       ", fragments %" PRIu64 ")\n",
	       c->not_ip + c->not_udp + c->other_udp + c->radius_acct_responses + c->radius_auth +
		       c->fragments + c->radius_other,
	       c->not_ip, c->not_udp, c->other_udp, c->radius_acct_responses, c->radius_auth,
	       c->fragments);
	printf("duplicates         %" PRIu64 " (retransmitted or late, recorded once; %" PRIu64
	       " identical re-sends)\n",
	       r->t.duplicates + c->retransmissions, c->retransmissions);
	printf("sessions           %" PRIu64 " closed (%.0f sessions/s), %" PRIu64
	       " open, %" PRIu64 " resumed\n",
	       r->sessions_closed_stored,
	       r->seconds > 0 ? (double)r->sessions_closed_stored / r->seconds : 0.0,
	       r->sessions_open_stored, r->sessions_resumed);
	printf("  stop without start %" PRIu64 ", interim without start %" PRIu64
	       ", nas reboots %" PRIu64 ", orphaned %" PRIu64 "\n",
	       r->t.stop_without_start, r->t.interim_without_start, r->t.nas_reboots,
	       r->t.orphaned);
	printf("seconds            %.3f\n", r->seconds);
}

static void print_summary_json(const struct ctl_ingest_result *r)
{
	const struct dp_counters *c = &r->c;
	printf("{\"packets\":%" PRIu64 ",\"accounting_requests\":%" PRIu64
	       ",\"accepted\":%" PRIu64 ",\"no_secret\":%" PRIu64 ",\"rejected\":%" PRIu64
	       ",\"malformed\":%" PRIu64 ",\"duplicates\":%" PRIu64
	       ",\"sessions_closed\":%" PRIu64 ",\"sessions_open\":%" PRIu64
	       ",\"sessions_resumed\":%" PRIu64 ",\"stop_without_start\":%" PRIu64
	       ",\"interim_without_start\":%" PRIu64 ",\"nas_reboots\":%" PRIu64
	       ",\"orphaned\":%" PRIu64 ",\"capture_errors\":%" PRIu64 ",\"replayed\":%" PRIu64
	       ",\"pppoe_frames\":%" PRIu64 ",\"dhcp_messages\":%" PRIu64
	       ",\"access_requests\":%" PRIu64 ",\"access_responses\":%" PRIu64
	       ",\"msg_auth_missing\":%" PRIu64 ",\"msg_auth_invalid\":%" PRIu64
	       ",\"blastradius_suspect\":%" PRIu64 ",\"seconds\":%.6f}\n",
	       c->packets, c->radius_acct_requests, c->accepted, c->no_secret, c->rejected,
	       dp_counters_malformed(c), r->t.duplicates + c->retransmissions,
	       r->sessions_closed_stored,
	       r->sessions_open_stored, r->sessions_resumed, r->t.stop_without_start,
	       r->t.interim_without_start, r->t.nas_reboots, r->t.orphaned, r->capture_errors,
	       c->replayed, c->pppoe, c->dhcp4, c->access_requests, c->access_responses,
	       c->msg_auth_missing, c->msg_auth_invalid, c->blastradius_suspect, r->seconds);
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"secrets", required_argument, NULL, 'k'},
		{"line-map", required_argument, NULL, 'L'},
		{"acct-port", required_argument, NULL, 'A'},
		{"auth-port", required_argument, NULL, 'U'},
		{"orphan-k", required_argument, NULL, 'K'},
		{"default-interval", required_argument, NULL, 'I'},
		{"format", required_argument, NULL, 'f'},
		{"threads", required_argument, NULL, 'j'},
		{"progress", no_argument, NULL, 'P'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct ctl_ingest_opts o;
	const char *store = NULL, *fmt = "text";
	bool quiet = false, acct_set = false, auth_set = false;
	int c;

	ctl_ingest_opts_default(&o);
	o.map_size = cli_map_size();
	o.keys_path = cli_keys_path();
	while ((c = getopt_long(argc, argv, "s:k:j:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'k':
			o.secrets_path = optarg;
			break;
		case 'L':
			o.line_map_path = optarg;
			break;
		case 'A':
			if (!acct_set)
				o.engine.n_acct_ports = 0;
			acct_set = true;
			if (o.engine.n_acct_ports == DP_ENGINE_MAX_PORTS)
				die_usage("ingest ", "at most %d accounting ports", DP_ENGINE_MAX_PORTS);
			o.engine.acct_ports[o.engine.n_acct_ports++] =
				(uint16_t)parse_port("ingest ", optarg);
			break;
		case 'U':
			if (!auth_set)
				o.engine.n_auth_ports = 0;
			auth_set = true;
			if (o.engine.n_auth_ports == DP_ENGINE_MAX_PORTS)
				die_usage("ingest ", "at most %d authentication ports",
					  DP_ENGINE_MAX_PORTS);
			o.engine.auth_ports[o.engine.n_auth_ports++] =
				(uint16_t)parse_port("ingest ", optarg);
			break;
		case 'K': {
			char *end;
			long k = strtol(optarg, &end, 10);
			if (*end || k < 1 || k > 1000)
				die_usage("ingest ", "--orphan-k: '%s' is not 1..1000", optarg);
			o.engine.tracker.orphan_k = (unsigned)k;
			break;
		}
		case 'I':
			if (ctl_duration_parse(optarg, &o.engine.tracker.default_interval_ns) < 0 ||
			    o.engine.tracker.default_interval_ns <= 0)
				die_usage("ingest ", "--default-interval: '%s' is not a duration "
						     "(e.g. 15m, 1h)", optarg);
			break;
		case 'f':
			fmt = optarg;
			if (strcmp(fmt, "text") && strcmp(fmt, "json"))
				die_usage("ingest ", "--format: '%s' is not text or json", fmt);
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > 2)
				die_usage("ingest ", "--threads: '%s' is not 1 or 2", optarg);
			o.threads = (unsigned)n;
			break;
		}
		case 'P':
			o.progress = progress_stderr;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(ingest_help, stdout);
			return 0;
		default:
			die_usage("ingest ", "bad option");
		}
	}
	store = store_from_env(store);
	if (!store)
		die_usage("ingest ", "--store DIR is required");
	if (optind >= argc)
		die_usage("ingest ", "no capture file given");
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			fprintf(stderr, "%s: cannot read capture %s: %s\n", prog, argv[i],
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	o.log = log_stderr;
	o.store_dir = store;

	struct ctl_ingest_result r;
	char err[512];
	int rc = ctl_ingest((const char *const *)argv + optind, (size_t)(argc - optind), &o, &r,
			    err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: ingest failed: %s\n", prog, err);
		return EXIT_RUNTIME;
	}
	if (!quiet) {
		if (strcmp(fmt, "json") == 0)
			print_summary_json(&r);
		else
			print_summary_text(&r);
	}
	if (r.capture_errors) {
		fprintf(stderr, "%s: %" PRIu64 " capture(s) could not be read completely; what "
				"was read is stored\n", prog, r.capture_errors);
		return EXIT_PARTIAL;
	}
	return 0;
}

