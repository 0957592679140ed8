/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file audit.h
 * @brief The audit log: every lawful query (and every refusal), append-only
 *        and hash-chained, written durably before any result is released.
 *
 * Design note
 * -----------
 * File: DIR/audit.log in the store directory, mode 0600, opened O_APPEND.
 * One JSON object per line (UTF-8, '\n' terminated), keys in this order:
 *
 *     {"seq":1,"time":"2026-10-01T08:00:00.000000000Z","client":"cli:root",
 *      "role":"authority","authority":"PSB X","case":"2026-17",
 *      "query":{...},"result_count":1,"result_digest":"<64 hex>",
 *      "outcome":"ok","prev":"<64 hex>","hash":"<64 hex>"}
 *
 * - seq counts from 1 with no gap; the first entry's prev is 64 '0's.
 * - authority, case, query, result_digest may be null (a refusal records
 *   what was known).  outcome is "ok" or "refused: REASON".
 * - result_digest is SHA-256 over the canonical result bytes: the results as
 *   JSON Lines (control/output.h, CTL_FMT_JSONL, without the registry join),
 *   whatever format the client asked for.
 * - The canonical bytes of an entry are its line without the trailing
 *   `,"hash":"..."` member: that is, the bytes up to the `,"hash":` that
 *   ends the object, followed by `}`.  hash = SHA-256 of those bytes, and the
 *   next entry's prev is that hash.  Verification hashes the bytes as they
 *   are on disk, never a re-serialisation.
 *
 * What the chain proves: an edited, deleted, inserted or reordered entry
 * breaks it at that entry (or at the next one, if the editor recomputed the
 * edited entry's hash); a cut in the middle of a line is a truncated last
 * entry.  What it cannot prove alone: that whole entries were not removed
 * from the end.  Keep the last hash that ctl_audit_verify() reports somewhere
 * else (a ticket, the auditor's notes) to anchor it.
 *
 * Durability: ctl_audit_append() returns only after write() and fdatasync()
 * succeeded; callers release results only after it returned 0.  Appends
 * from several processes (the CLI, retaind) serialise on flock(LOCK_EX) of
 * the file; each append reads the chain head back from the file's tail.
 * If the tail is unreadable (a damaged log) appends fail: lawful queries
 * fail closed until an operator has looked at the log.
 *
 * Readers treat the file as untrusted: lines are bounded by
 * CTL_AUDIT_LINE_MAX and parsed with jansson.
 *
 * Library code: no logging; errors are returned.
 */
#ifndef CTL_AUDIT_H
#define CTL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_AUDIT_FILE "audit.log"
/** Longest line written or accepted, '\n' included. */
#define CTL_AUDIT_LINE_MAX 65536
/** SHA-256 as lower-case hex plus NUL. */
#define CTL_AUDIT_HEX 65

typedef struct ctl_audit ctl_audit;

/** What the caller records; strings are NUL-terminated UTF-8. */
struct ctl_audit_entry {
	int64_t time_ns;           /**< 0: now (CLOCK_REALTIME) */
	const char *client;        /**< "cli:root", "api:NAME", "api:?" */
	const char *role;          /**< "authority", "operator", "auditor", or NULL */
	const char *authority;     /**< NULL: null */
	const char *case_id;       /**< NULL: null */
	json_t *query;             /**< borrowed; NULL: null */
	uint64_t result_count;
	const char *result_digest; /**< hex; NULL: null */
	const char *outcome;       /**< "ok" or "refused: REASON" */
};

/**
 * Open (creating, mode 0600) DIR/audit.log for appending.
 * @param[in] dir  store directory (must exist)
 * @param[out] ret the handle, set only on success
 * @return 0, -ENOMEM, -errno of open()
 */
int ctl_audit_open(const char *dir, ctl_audit **ret);

/** Close the log.  NULL ok. */
void ctl_audit_close(ctl_audit *a);

/**
 * Append one entry and make it durable (write + fdatasync) before
 * returning.  Not thread-safe on one handle: callers serialise.
 * @param[out] ret_seq the entry's seq (may be NULL), set only on success
 * @return 0; -EINVAL (outcome or client missing, an entry longer than
 *         CTL_AUDIT_LINE_MAX); -EBADMSG (the log's last line is damaged, so
 *         the chain cannot go on); -ENOMEM; -errno (flock, read, write,
 *         fdatasync: an entry may then be on disk but not durable)
 */
int ctl_audit_append(ctl_audit *a, const struct ctl_audit_entry *e, uint64_t *ret_seq);

/** SHA-256 of a buffer as lower-case hex (OpenSSL EVP). @return 0 or -EIO */
int ctl_sha256_hex(const void *buf, size_t len, char out[CTL_AUDIT_HEX]);

/** Why verification stopped. */
enum ctl_audit_fail {
	CTL_AUDIT_INTACT = 0,
	CTL_AUDIT_TOO_LONG,   /**< a line longer than CTL_AUDIT_LINE_MAX */
	CTL_AUDIT_TRUNCATED,  /**< the last line has no '\n' (cut short) */
	CTL_AUDIT_NOT_JSON,   /**< not a JSON object */
	CTL_AUDIT_BAD_FIELDS, /**< keys missing, out of order or of the wrong type */
	CTL_AUDIT_BAD_HASH,   /**< hash does not match the entry's bytes: edited */
	CTL_AUDIT_BAD_SEQ,    /**< seq is not the previous + 1: deleted, inserted, reordered */
	CTL_AUDIT_BAD_PREV,   /**< prev is not the previous entry's hash */
	CTL_AUDIT_FAIL_MAX
};

/** Short text of a enum ctl_audit_fail value. */
const char *ctl_audit_fail_str(enum ctl_audit_fail f);

struct ctl_audit_report {
	uint64_t entries;       /**< intact entries before the first break */
	uint64_t line;          /**< 1-based line of the first broken entry; 0 if intact */
	uint64_t expected_seq;  /**< seq the broken entry should have had */
	int64_t found_seq;      /**< seq found there (-1 if unreadable) */
	enum ctl_audit_fail fail;
	char last_hash[CTL_AUDIT_HEX]; /**< hash of the last intact entry ("0"*64 if none) */
	char detail[160];       /**< one line for humans naming the entry */
};

/**
 * Walk the chain of DIR/audit.log.  A missing or empty log is intact with
 * no entries.
 * @param[out] report filled in every case where 0 is returned
 * @return 0 (report->fail says intact or where it broke), -errno (open,
 *         read), -ENOMEM
 */
int ctl_audit_verify(const char *dir, struct ctl_audit_report *report);

/** Same on a buffer holding a whole log (the fuzz target's entry point). */
void ctl_audit_verify_buf(const char *buf, size_t len, struct ctl_audit_report *report);

/**
 * Visit every entry of DIR/audit.log, in order, as parsed JSON (fn must
 * not keep entry past the call; return non-zero to stop).  Lines that are
 * not JSON objects or too long are passed as entry NULL with their line
 * number; the walk goes on.
 * @return 0, fn's non-zero value, -errno, -ENOMEM
 */
int ctl_audit_read(const char *dir, int (*fn)(void *ctx, uint64_t line, json_t *entry),
		   void *ctx);

#endif /* CTL_AUDIT_H */
