/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file cli.h
 * @brief Shared pieces of the retain CLI: one file per command
 *        (retain-COMMAND.c), dispatched from retain.c.
 *
 * Exit status of every command: 0 success, 1 usage or input error,
 * 2 runtime failure (store, capture), 3 partial (ingest: some captures
 * damaged, the rest ingested), 4 query matched nothing.
 */
#ifndef RETAIN_CLI_H
#define RETAIN_CLI_H

#include <stdint.h>

#define NS 1000000000LL

enum { EXIT_USAGE = 1, EXIT_RUNTIME = 2, EXIT_PARTIAL = 3, EXIT_EMPTY = 4 };

extern const char *prog;

/** Print "retain: MSG" and a --help hint, exit 1. cmd is "ingest " etc. */
void die_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/** Log sink for control/ modules: "retain: MSG" on stderr. */
void log_stderr(void *ctx, const char *msg);
/**
 * The LMDB map size for every store the CLI opens: $RETAIN_MAP_MB MiB, or 0
 * (the store's default, 64 GiB of address space) when unset or not a
 * number from 1 to 16777216.  For environments that cannot reserve 64 GiB,
 * such as valgrind (tests/cli/test_valgrind.py).
 */
uint64_t cli_map_size(void);
struct st_keyring;
/**
 * The encryption keys for every store the CLI opens (storage/CRYPT.md):
 * the key file named by $RETAIN_KEYS, loaded once; NULL when unset.  A
 * key file that cannot be read, is malformed or may be read by group or
 * others is a clear error (without key bytes) and exit 1.
 */
const struct st_keyring *cli_keys(void);
/** $RETAIN_KEYS after cli_keys() accepted it, or NULL. */
const char *cli_keys_path(void);
/** --store, else $RETAIN_STORE, else NULL. */
const char *store_from_env(const char *store);
/** Parse a time option or exit 1 naming the option. */
int64_t parse_time_or_die(const char *cmd, const char *opt, const char *v);
int64_t now_ns(void);

int cmd_ingest(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_expire(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_registry(int argc, char **argv);
/** retain audit replay (tools/retain-audit.c, dispatched by cmd_audit). */
int cmd_audit_replay(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rekey(int argc, char **argv);

#endif
