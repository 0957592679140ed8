/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retain - the operator CLI: dispatch and the pieces every command shares.
 * Each command lives in its own file, tools/retain-COMMAND.c.
 */
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

#include "config.h"
#include "crypt.h"
#include "ingest.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"

#include "cli.h"

const char *prog = "retain";

void die_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s--help'.\n", prog, cmd ? cmd : "");
	exit(EXIT_USAGE);
}

void log_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", prog, msg);
}

uint64_t cli_map_size(void)
{
	const char *v = getenv("RETAIN_MAP_MB");
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	unsigned long long mb = strtoull(v, &end, 10);
	if (errno || *end || v[0] == '-' || mb < 1 || mb > (1ull << 24))
		return 0;
	return (uint64_t)mb << 20;
}

static struct st_keyring *keys;

static void keys_free(void)
{
	st_keyring_free(keys);
	keys = NULL;
}

const struct st_keyring *cli_keys(void)
{
	static bool loaded;
	const char *path = getenv("RETAIN_KEYS");
	if (loaded || !path || !*path)
		return keys;
	char err[256] = "";
	int rc = st_keyring_load(path, &keys, err, sizeof(err));
	if (rc) {
		if (err[0] && strstr(err, path))
			fprintf(stderr, "%s: %s (RETAIN_KEYS)\n", prog, err);
		else if (err[0])
			fprintf(stderr, "%s: %s (RETAIN_KEYS=%s)\n", prog, err, path);
		else
			fprintf(stderr, "%s: key file %s (RETAIN_KEYS): %s\n", prog, path,
				strerror(-rc));
		exit(EXIT_USAGE);
	}
	loaded = true;
	atexit(keys_free);
	return keys;
}

const char *cli_keys_path(void)
{
	const char *path = getenv("RETAIN_KEYS");
	return cli_keys() && path ? path : NULL;
}

const char *store_from_env(const char *store)
{
	if (store)
		return store;
	return getenv("RETAIN_STORE");
}

int64_t parse_time_or_die(const char *cmd, const char *opt, const char *v)
{
	int64_t ns;
	if (ctl_time_parse(v, &ns) < 0)
		die_usage(cmd, "%s: '%s' is not a time (RFC 3339 like 2026-10-01T08:00:00Z, "
			       "a date, or epoch seconds)", opt, v);
	return ns;
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* ---- main -------------------------------------------------------------- */

static const char main_help[] =
	"Usage: retain COMMAND [options]\n"
	"\n"
	"retain keeps one record per subscriber access session (login/logoff time,\n"
	"account, assigned address, calling number) and answers lawful queries.\n"
	"\n"
	"Commands:\n"
	"  ingest CAPTURE...   build sessions from pcap/pcapng captures into a store\n"
	"  query ip|account|calling VALUE   answer a lawful query\n"
	"  export              write stored sessions as jsonl, csv or json\n"
	"  expire              delete sessions past the retention period (default 60d)\n"
	"  stats               store size and ingest counters\n"
	"  registry import|show|export|purge|report   the real-name registry\n"
	"  audit replay CAPTURE...   rebuild sessions from captures, compare with the store\n"
	"  audit log|verify    the audit log of lawful queries; check its hash chain\n"
	"  verify              seal finished days, check segment hashes and chain\n"
	"  rekey               re-encrypt sealed segments under the active key\n"
	"  version             print the version\n"
	"\n"
	"'retain COMMAND --help' describes each command.\n";

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc < 2) {
		fputs(main_help, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "ingest") == 0)
		return cmd_ingest(argc, argv);
	if (strcmp(cmd, "query") == 0)
		return cmd_query(argc, argv);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc, argv);
	if (strcmp(cmd, "expire") == 0)
		return cmd_expire(argc, argv);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(cmd, "registry") == 0)
		return cmd_registry(argc, argv);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(cmd, "rekey") == 0)
		return cmd_rekey(argc, argv);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("retain %s\n", RETAIN_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(main_help, stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n\n%s", prog, cmd, main_help);
	return EXIT_USAGE;
}

