/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file store.h
 * @brief The session store: UTC-day segments of zstd-compressed records,
 *        indexed in LMDB.
 *
 * Design note
 * -----------
 * A store is a directory:
 *
 *     DIR/catalog.mdb          LMDB environment (MDB_NOSUBDIR): catalogue,
 *                              run fences, open sessions and their indexes,
 *                              counters
 *     DIR/seg/YYYY-MM-DD.seg   one segment per UTC day of a session's stop
 *     DIR/MANIFEST             seal chain (text copy), DIR/expiry.log
 *
 * Closed sessions are appended to the segment of the UTC day they ended in,
 * in blocks of records compressed with zstd.  A block is written and fsynced
 * before the LMDB transaction that references it commits, so a crash leaves
 * at most unreferenced bytes at the end of a segment, which are ignored and
 * overwritten on reopen: no repair step.
 *
 * Open sessions (no stop yet) live in an LMDB table keyed by (NAS, session
 * id); they are indexed like closed ones so that queries see them, and are
 * moved to a segment when they close.
 *
 * Indexes of closed sessions (one writer): ipv4 -> (start, stop, ref),
 * account, calling number, IPv6 prefixes (ipv6_prefix, delegated_prefix,
 * ipv6_addr) -> ..., per segment day: while the day is open, sorted runs
 * appended to its segment file at each commit and merged as they pile up,
 * named in LMDB with the first key of each chunk (FORMAT.md 5.1); once
 * sealed, the sealed file's own indexes.  An entry is keyed by (value,
 * start_ns), so "who had X at T" is, in each day that can hold a session
 * overlapping T (by the day's earliest start and latest stop), a seek to
 * (X, T - that day's longest session) and a short walk; a session open
 * across day boundaries is one entry in its stop day, found at every instant
 * of its life without scanning segments.
 *
 * Retention: st_store_expire() removes every session that ended more than
 * the retention period before `now`: whole segments whose day is entirely
 * due are deleted by dropping their catalogue partitions and unlinking the
 * file (cost independent of the day's size); in the one segment that is only partly due an expiry
 * horizon hides the due sessions from queries and export until the whole
 * segment is removed (at the latest one day later).  Every deletion is
 * recorded in an expiry log.
 *
 * Sealing: once a day is over (plus a grace period) st_store_seal() hashes
 * its segment (SHA-256), chains the hash to the previous seal and records
 * the link in the catalogue and DIR/MANIFEST; the file is never written
 * again (late sessions for a sealed day go to the first unsealed day's
 * segment).  st_store_verify() checks every segment against the chain.
 * Sealing can run in two steps, the heavy one off the writer thread (seal
 * jobs: st_store_seal_begin(), "Sealing in two steps" below).
 *
 * Open sessions have indexes of their own (same keys), so that a session
 * open for weeks does not widen the backward walk over closed ones; closed
 * sessions longer than a day have per-day partitions of their own, so the
 * walk over the others is bounded by one day.  Every index hit is checked
 * against the record it points at.
 *
 * Sealed days (st_store_seal) are rewritten as sealed segments (format
 * version 2, storage/sealed.h): records in column blocks sorted by address
 * and compressed with a dictionary trained on the day, with their own
 * compact indexes; the day's LMDB partitions are dropped in the seal
 * transaction.  Byte layouts and magic numbers: storage/FORMAT.md.
 *
 * Memory (issue 7): a writer handle's heap is proportional to the pending
 * batch (sessions put since the last commit: their encoded records, index
 * entries and compressed blocks) plus the buffers of the one day written
 * last (its share of the largest batch, reused by the next), the pending
 * open-session set (proportional to the open sessions given to
 * st_store_set_open()), and a fixed cost per catalogued day (its committed
 * catalogue entry, about 1 KiB) and for the read caches (ST_BCACHE_N
 * decompressed blocks).  It does not grow with the number of sessions
 * stored: after a commit the buffers of every other day are freed.  Sealed
 * segments and the LMDB map are memory-mapped files (page cache, not heap).
 * st_store_mem_bytes() reports the heap part.
 *
 * Threading: one st_store handle, one thread, with one exception: the
 * prepare step of a seal job (st_seal_job_prepare(), below) may run on
 * another thread while the writer goes on.  Readers in other processes
 * may open the same store read-only concurrently (LMDB MVCC).
 *
 * Errors: functions return 0 or a negative value: -errno for system errors,
 * or one of the ST_E* values below; st_strerror() names both.
 */
#ifndef ST_STORE_H
#define ST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

typedef struct st_store st_store;

enum st_err {
	ST_EBASE = -30900,
	ST_ECORRUPT = ST_EBASE, /**< a file failed validation (magic, sizes, checksum) */
	ST_EVERSION,            /**< format version this build does not read */
	ST_ENOSTORE,            /**< not a store directory (and ST_OPEN_CREATE not given) */
	ST_EMAPFULL,            /**< LMDB map full: raise map size */
	ST_EREADONLY,           /**< write on a read-only handle */
	ST_EINVAL,              /**< bad argument */
	ST_ELMDB,               /**< other LMDB failure */
	ST_EZSTD,               /**< compression failure */
	ST_EEXPIRED,            /**< session ended before the expiry horizon */
	ST_ENEEDKEY,            /**< sealing refused: the store holds encrypted
				     sealed segments and the handle has no keys */
	ST_ESTALE,              /**< a seal job's days changed since it began */
	ST_ERETRY,              /**< a query met a day sealed or expired after
				     its snapshot began: run it again */
	ST_ELAST
};

/** Human-readable message for any return value of this module.  For
 *  -ENOKEY and -EBADMSG (an encrypted sealed segment without its key, or
 *  failing authentication) the message names the segment and the key id
 *  of the last such failure of the calling thread. */
const char *st_strerror(int err);

enum st_open_flags {
	ST_OPEN_RDONLY = 0,
	ST_OPEN_WRITE = 1u << 0,
	ST_OPEN_CREATE = 1u << 1, /**< create the directory if missing (implies WRITE) */
};

/**
 * Open a store.
 * A writable handle takes an exclusive lock on the store (one writer per
 * store, across processes); read-only handles take none and may be opened
 * while a writer runs.  A writable open discards bytes a crash left after
 * the committed end of a segment, and segment files the catalogue does not
 * reference (an interrupted expiry or first commit).
 * @param[in] dir   store directory
 * @param[in] flags enum st_open_flags
 * @param[out] ret  the handle, set only on success
 * @return 0, ST_ENOSTORE, ST_ECORRUPT, ST_EVERSION, -EBUSY (another writer
 *         holds the store), -errno
 */
int st_store_open(const char *dir, unsigned flags, st_store **ret);

/** Tuning knobs of st_store_open_with(); zero fields take the defaults. */
struct st_open_opts {
	/** LMDB map size in bytes (address space reserved, file grows as
	 *  used).  Default 64 GiB on 64-bit hosts, 1 GiB otherwise.  All
	 *  handles of a store should use the same value. */
	uint64_t map_size;
	/** Records per compressed block (default 64, at most 65536).
	 *  Larger blocks compress better but a point query decompresses a
	 *  whole block. */
	uint32_t block_recs;
	/** zstd level of the open days' blocks (default 1: they are
	 *  re-encoded when their day is sealed). */
	int zstd_level;
	/** Threads a commit's compression and index runs use: 0 = two on a
	 *  machine with two or more CPUs (the writer's and one helper the
	 *  store starts), 1 = the writer's only, 2 = two; more: ST_EINVAL.
	 *  The files written are the same either way. */
	unsigned commit_threads;
	/** Sealing: a day is sealed once `now` passes its end plus this
	 *  grace (default ST_SEAL_GRACE_DEFAULT, one day).  A shorter grace
	 *  seals sooner; sessions that arrive for a sealed day are stored in
	 *  the first unsealed day's segment (see st_store_seal()). */
	int64_t seal_grace_ns;
	/** Encryption at rest (storage/CRYPT.md): the keyring, borrowed (it
	 *  must outlive the handle); NULL = none.  A writable handle with keys
	 *  writes every new sealed segment encrypted under the active key;
	 *  any handle with keys reads encrypted sealed segments whose key it
	 *  holds.  Without it, reading an encrypted segment fails with
	 *  -ENOKEY (st_strerror names the segment and the key id). */
	const struct st_keyring *keys;
};

#define ST_SEAL_GRACE_DEFAULT (86400LL * 1000000000LL)

/** st_store_open() with tuning knobs (o may be NULL). */
int st_store_open_with(const char *dir, unsigned flags, const struct st_open_opts *o,
		       st_store **ret);

/** Flush (st_store_commit) a writable store and free the handle.  NULL ok. */
void st_store_close(st_store *st);

/* ---- writing (one writer per store) -------------------------------- */

/**
 * Add a closed session (stop_ns != RT_TIME_NONE).  Buffered: durable after
 * the next st_store_commit().  If an open session with the same
 * (nas_ip, session_id) is stored, it is replaced by this one.
 * The tracker state last_news_ns/prev_news_ns is not kept for closed
 * sessions (reads return RT_TIME_NONE).  Either the session is taken whole
 * or nothing changes.
 * @return 0, ST_EINVAL (open session, stop < start, start RT_TIME_NONE, text
 *         longer than RT_TEXT_MAX, nas_ip family not 0/4/6, prefix length
 *         > 128), ST_EEXPIRED (stop before the expiry horizon: such a
 *         session is past retention and is not stored), ST_EREADONLY,
 *         ST_EZSTD, -ENOMEM
 */
int st_store_put_closed(st_store *st, const struct rt_session *s);

/**
 * Replace the whole set of open sessions: removes every stored open session
 * (and its index entries) and stores `n` sessions given.  Takes effect with
 * the next commit.  Used by ingest at the end of a run and by the daemon at
 * checkpoints.  Open sessions are keyed by (nas_ip, session_id): of two
 * given with the same key the later one is kept.  Sessions stored
 * unchanged since the last set keep their index entries (cheap checkpoint).
 * Supersedes the open-session operations of the pending batch before it
 * (st_store_put_open, st_store_del_open, closes).  Costs O(open): for
 * checkpoints of the changed sessions only, see st_store_put_open().
 * @return 0, ST_EINVAL (a session is closed or invalid: nothing changes),
 *         ST_EREADONLY, -ENOMEM
 */
int st_store_set_open(st_store *st, const struct rt_session *s, size_t n);

/**
 * Store or replace one open session (keyed by nas_ip, session_id), with
 * the next commit: the incremental form of st_store_set_open(), for
 * checkpoints that hand over only the sessions changed since the last one
 * (cost proportional to those, not to every open session).  Operations
 * on one key take effect in call order (put, close by
 * st_store_put_closed(), st_store_del_open(), and a later
 * st_store_set_open() supersedes them all).  A session stored unchanged
 * keeps its index entries.
 * @return 0, ST_EINVAL (s closed or invalid: nothing changes),
 *         ST_EREADONLY, -ENOMEM
 */
int st_store_put_open(st_store *st, const struct rt_session *s);

/**
 * Delete the stored open session with the key (nas_ip, session_id) of s,
 * if any, with the next commit (a session that left the open set without
 * a close record).  Only the key fields of s are used.
 * @return 0, ST_EINVAL (s invalid), ST_EREADONLY, -ENOMEM
 */
int st_store_del_open(st_store *st, const struct rt_session *s);

/**
 * Add `delta` to the persistent counter `name` (e.g. "radius.rejected"),
 * with the next commit.  Counters saturate at UINT64_MAX.
 * @return 0, ST_EINVAL (name empty or longer than 255 bytes), ST_EREADONLY,
 *         -ENOMEM
 */
int st_store_counter_add(st_store *st, const char *name, uint64_t delta);

/**
 * Make everything put so far durable: write pending blocks, fsync, commit
 * the LMDB transaction.  Group commit: callers batch many puts per commit.
 * @return 0, -ENOSPC, ST_EMAPFULL, ST_ECORRUPT (a stored open session
 *         failed validation), ST_EZSTD, -errno; on error nothing of this
 *         batch is visible, the committed store is unchanged, and the batch
 *         stays pending: a later commit retries it (after the operator
 *         freed space), st_store_close() gives it up.
 */
int st_store_commit(st_store *st);

/* ---- reading --------------------------------------------------------- */

/** Row callback: return 0 to go on, non-zero to stop (returned by the query). */
typedef int (*st_row_fn)(void *ctx, const struct rt_session *s);

enum st_query_kind {
	ST_Q_IPV4_AT,    /**< sessions holding ipv4 at instant from_ns */
	ST_Q_IPV4_RANGE, /**< sessions holding ipv4 at any instant of [from, to] */
	ST_Q_ACCOUNT,    /**< sessions of account overlapping [from, to] */
	ST_Q_CALLING,    /**< sessions of calling number overlapping [from, to] */
	ST_Q_ALL,        /**< every session overlapping [from, to] (export) */
	ST_Q_IPV6_AT,    /**< sessions whose ipv6_prefix, delegated_prefix or
			      ipv6_addr contains ipv6 at instant from_ns */
	ST_Q_IPV6_RANGE, /**< the same at any instant of [from, to] */
	ST_Q_NAS_RANGE,  /**< sessions of NAS `nas` overlapping [from, to] */
};

struct st_query {
	enum st_query_kind kind;
	uint8_t ipv4[4];         /**< ST_Q_IPV4_* */
	const char *text;        /**< ST_Q_ACCOUNT, ST_Q_CALLING: raw bytes */
	unsigned text_len;
	int64_t from_ns, to_ns;  /**< inclusive; ST_Q_*_AT use from_ns */
	uint8_t ipv6[16];        /**< ST_Q_IPV6_*: an address */
	struct rt_addr nas;      /**< ST_Q_NAS_RANGE: family 4 or 6 */
};

/**
 * Run a query.  Sessions overlap [from, to] when start <= to and
 * (open or stop >= from).  Results of index queries come in index order
 * (by start time); ST_Q_ALL and ST_Q_NAS_RANGE give closed sessions
 * segment by segment in day order, then open ones.  A session is never
 * returned twice.
 *
 * ST_Q_IPV6_*: the IPv6 index holds each session's ipv6_prefix,
 * delegated_prefix and ipv6_addr (as a /128) under their prefix lengths;
 * the query probes every prefix length stored (one seek each), so an
 * address inside a delegated /56 is found.  ST_Q_NAS_RANGE has no index of
 * its own (it would cost an entry per session): it scans the blocks of the
 * days overlapping [from, to], and its answer is itself a large share of
 * them.
 * The struct passed to fn is valid only during the call.
 * A query sees the store as of its start (committed data only, not the
 * pending batch of a writer handle).  fn must not run another query on the
 * same handle (ST_EINVAL); it may use another handle.
 * @return 0, fn's non-zero value, ST_EINVAL (bad kind, text_len >
 *         RT_TEXT_MAX, nested query), ST_ECORRUPT (a block or entry failed
 *         validation), ST_EVERSION, -ENOENT, ST_ERETRY (a day was sealed
 *         or expired by the writer after this query's snapshot began and
 *         its file no longer matched the snapshot: the rows given so far
 *         are not the whole answer; run the query again), -errno
 */
int st_store_query(st_store *st, const struct st_query *q, st_row_fn fn, void *ctx);

struct st_stats {
	uint64_t sessions_closed;
	uint64_t sessions_open;
	uint64_t segments;
	uint64_t bytes_segments;  /**< sum of segment file sizes */
	uint64_t bytes_catalog;   /**< LMDB file size in use */
	int64_t first_day_ns, last_day_ns; /**< RT_TIME_NONE if empty */
	int64_t expired_before_ns;         /**< expiry horizon, RT_TIME_NONE if never */
};

int st_store_stats(st_store *st, struct st_stats *ret);

/** Visit every persistent counter; fn returns non-zero to stop. */
int st_store_counters(st_store *st, int (*fn)(void *ctx, const char *name, uint64_t v),
		      void *ctx);

/**
 * Heap bytes held by the handle's own buffers (capacities, not lengths):
 * pending batch, per-day writer state, pending open set and counters,
 * block cache.  Excludes memory-mapped files and the zstd/LMDB/OpenSSL
 * contexts (fixed size).  See "Memory" in the design note above.
 */
size_t st_store_mem_bytes(const st_store *st);

/** Visit every stored open session (to resume tracking). */
int st_store_open_sessions(st_store *st, st_row_fn fn, void *ctx);

/* ---- retention ------------------------------------------------------- */

struct st_expire_report {
	uint64_t sessions_removed;
	uint64_t segments_removed;
	uint64_t bytes_freed;
	int64_t horizon_ns; /**< sessions that stopped before this are gone */
};

/**
 * Remove every closed session with stop_ns < now_ns - retention_ns, in one
 * LMDB transaction plus the unlink of whole segments after it commits.
 * Seals the days that are due first (st_store_seal(); not with
 * ST_EXPIRE_NOSEAL of st_store_expire_with()).
 * Each removal is appended to the store's expiry log (DIR/expiry.log: time,
 * segment, sessions, bytes, SHA-256 of a removed segment).  The pending
 * batch is committed first.  Open sessions never expire.  The horizon only
 * moves forward: a later call with an earlier cut removes nothing.
 * @return 0, ST_EINVAL (retention <= 0), ST_EREADONLY, errors of commit
 *         and of st_store_seal() (ST_ENEEDKEY ...);
 *         -errno from writing the expiry log (the removal itself is then
 *         committed and *ret filled)
 */
int st_store_expire(st_store *st, int64_t now_ns, int64_t retention_ns,
		    struct st_expire_report *ret);

/** One removal of st_store_expire_with() (valid during the callback). */
struct st_expire_item {
	int32_t day;
	bool whole;          /**< the segment was removed (else: partial, hidden) */
	bool damaged;        /**< its blocks failed validation (uncounted) */
	uint64_t sessions;
	uint64_t bytes;      /**< file bytes freed (whole only) */
	const uint8_t *sha;  /**< SHA-256 of a removed sealed segment, or NULL */
};

enum st_expire_flags {
	/** Do not seal due days first (only commit the pending batch): for a
	 *  caller that seals with a seal job of its own (retaind), so that
	 *  expiry never runs the inline seal on the writer thread. */
	ST_EXPIRE_NOSEAL = 1u << 0,
};

struct st_expire_opts {
	unsigned flags; /**< enum st_expire_flags */
	/** Called once per removal after the log is written (may be NULL). */
	void (*on_item)(void *ctx, const struct st_expire_item *it);
	void *ctx;
};

/** st_store_expire() with options (o may be NULL: as st_store_expire). */
int st_store_expire_with(st_store *st, int64_t now_ns, int64_t retention_ns,
			 const struct st_expire_opts *o, struct st_expire_report *ret);

/* ---- sealing and integrity ----------------------------------------------- */

struct st_seal_report {
	uint32_t sealed;  /**< segments sealed by this call */
	uint32_t nseals;  /**< links in the chain after it */
	int32_t seal_day; /**< first day not sealed (INT32_MIN: none sealed) */
};

/**
 * Seal every day whose end plus the grace period (st_open_opts) is at or
 * before now_ns, in day order: commit the pending batch, hash each such
 * segment's committed bytes (SHA-256), chain the hash to the previous
 * seal, record the links in the catalogue (one transaction) and append
 * them to DIR/MANIFEST (fsynced).  Sealed segment files are never written
 * again: a session that stops on a sealed day is stored in the segment of
 * the first unsealed day (FORMAT.md "Sealing").  Days without a segment are
 * sealed implicitly (the frontier moves past them).  st_store_expire()
 * seals due days first.
 * @return 0, ST_EREADONLY, ST_ECORRUPT (a segment to seal is shorter than
 *         committed), ST_ENEEDKEY (the store holds encrypted sealed
 *         segments and the handle has no keys: nothing is sealed), errors
 *         of commit, -errno
 */
int st_store_seal(st_store *st, int64_t now_ns, struct st_seal_report *ret);

/*
 * Sealing in two steps (retaind: the heavy part off the writer thread)
 * ---------------------------------------------------------------------
 * st_store_seal() is st_store_seal_begin() + st_seal_job_prepare() +
 * st_store_seal_install() in sequence; a writer that must not stall runs
 * the prepare step on another thread:
 *
 *   writer thread                        any other thread
 *   st_store_seal_begin(st, now, &job)
 *     freezes the due days, commits
 *   ...puts and commits go on...          st_seal_job_prepare(job)
 *     (puts for frozen days go to the       reads each frozen day's
 *      first unfrozen day, late)            committed bytes, builds its
 *                                           sealed file (fsynced), hashes
 *   st_store_seal_install(st, job, &r)  <- (hand the job back)
 *     one transaction: day entries,
 *     seal links, meta.seal_day; renames,
 *     MANIFEST
 *   st_seal_job_free(job)
 *
 * Freezing: from st_store_seal_begin() on, a session whose stop falls in a
 * frozen day is stored in the first day after them with the late mark,
 * exactly as once the day is sealed (FORMAT.md "Sealing"), and begin
 * commits: the frozen days' version 1 files and catalogue entries no longer
 * change, so the prepare step needs no catalogue access and touches no
 * writer state (it reads the files through the handle's directory
 * descriptor and keyring, which stay valid until st_store_close()).  The
 * freeze lasts as long as the handle (a failed job leaves the days frozen
 * and unsealed: a later job seals them).
 *
 * The sealed bytes, the chain and MANIFEST are those st_store_seal() gives
 * for the same puts: a job's output does not depend on when it ran.
 * One job at a time per handle; the handle must outlive its job.
 */

/** A seal job (opaque): the days frozen by st_store_seal_begin(). */
typedef struct st_seal_job st_seal_job;

/**
 * Writer thread: freeze the days due at now_ns (as st_store_seal()) and
 * commit the pending batch.
 * @param[out] ret the job, set only on success; NULL when nothing is due
 *             (nothing is committed or frozen then)
 * @return 0, ST_EREADONLY, ST_EINVAL (a job of this handle is not freed),
 *         ST_ENEEDKEY (the store is encrypted -- meta flag set at its
 *         first encrypted seal, kept after every encrypted day expired, or
 *         a live sealed segment is boxed -- and the handle has no keyring:
 *         nothing is frozen), -errno other than -ENOENT of opening or
 *         reading a sealed segment while checking that (without keys
 *         only: fail closed), -ENOMEM, errors of st_store_commit() (the
 *         days stay frozen)
 */
int st_store_seal_begin(st_store *st, int64_t now_ns, st_seal_job **ret);

/**
 * Any thread (one at a time per job), concurrently with the writer: read
 * each frozen day's committed bytes, validate them, build its sealed
 * segment (storage/sealed.h) into "seg/YYYY-MM-DD.seg.v2" (encrypted when
 * the handle has keys), fsync it, and hash what will be sealed (SHA-256).
 * Touches neither the catalogue nor the handle's writer state.
 * Between days it looks at st_seal_job_cancel(); at the end it fsyncs
 * the segment directory (the temporaries' names are durable before the
 * install commit names them).
 * @return 0, ST_ECORRUPT (a frozen file is shorter than committed),
 *         ST_EZSTD, -ENOSPC and other -errno of writing or of the
 *         directory fsync, -ENOMEM, -ECANCELED (cancelled); on error the
 *         temporaries written are removed and install refuses the job
 */
int st_seal_job_prepare(st_seal_job *job);

/** Any thread: ask a prepare under way (or to come) to stop between two
 *  days (it then fails with -ECANCELED).  NULL ok. */
void st_seal_job_cancel(st_seal_job *job);

/**
 * Writer thread, between two commits: check that each prepared day is
 * still as it was frozen (committed size, block count, the expiry horizon,
 * the chain), then in one transaction switch the converted days to their
 * sealed segments, append the seal links and move meta.seal_day; then
 * rename the temporaries over the version 1 files, fsync, and append the
 * links to DIR/MANIFEST.  Pending puts of the handle stay pending.
 * On any failure before the commit the temporaries are removed and the
 * days stay unsealed (a later job retries).
 * @return 0, ST_EINVAL (not this handle's job, or not prepared
 *         successfully), ST_ESTALE (the store changed: expiry ran, or a
 *         frozen day has pending puts), errors of LMDB (ST_EMAPFULL ...),
 *         -errno (rename, directory fsync or MANIFEST after the commit:
 *         the seal is committed -- st_seal_job_installed() is true and
 *         st_seal_job_after() names the step --, the next writable open
 *         or seal finishes the files)
 */
int st_store_seal_install(st_store *st, st_seal_job *job, struct st_seal_report *ret);

/** Whether the job's install committed (its days are sealed), also when
 *  st_store_seal_install() then failed. */
bool st_seal_job_installed(const st_seal_job *job);

/** The step that failed after the install commit ("renaming the sealed
 *  segments into place", "syncing the segment directory", "writing the
 *  MANIFEST"), or NULL.  Static string. */
const char *st_seal_job_after(const st_seal_job *job);

/** Sum of the frozen days' committed (version 1) sizes: about the disk
 *  space a prepare needs for its temporaries. */
uint64_t st_seal_job_v1_bytes(const st_seal_job *job);

/** Number of days a job seals. */
size_t st_seal_job_days(const st_seal_job *job);

/** What a prepared job seals for day i (for the caller's log). */
struct st_seal_job_day {
	int32_t day;
	uint64_t sessions;   /**< records of the frozen day */
	uint64_t size;       /**< sealed bytes (plaintext) */
	uint8_t sha[32];     /**< their SHA-256 (the seal) */
	bool converted;      /**< became a sealed segment (format version 2) */
	bool damaged;        /**< sealed as it was, flagged DAMAGED */
};

/** @return 0, ST_EINVAL (i out of range) */
int st_seal_job_day(const st_seal_job *job, size_t i, struct st_seal_job_day *ret);

/** Free a job; removes the temporaries of a job not installed.  NULL ok.
 *  Must be called before st_store_close() of its handle. */
void st_seal_job_free(st_seal_job *job);

enum st_vstatus {
	ST_V_OK,         /**< sealed: hash matches; open: every block valid */
	ST_V_EXPIRED,    /**< sealed, removed by expiry (logged) */
	ST_V_CHANGED,    /**< bytes differ from the sealed hash, or a block
			      of an open segment fails validation */
	ST_V_MISSING,    /**< the file is gone */
	ST_V_TRUNCATED,  /**< shorter than sealed / committed */
	ST_V_REORDERED,  /**< holds another segment's bytes (other_day) */
	ST_V_EXTRA,      /**< a segment file the catalogue does not know */
	ST_V_CHAIN,      /**< catalogue chain or DIR/MANIFEST disagree */
	ST_V_UNCOMMITTED, /**< not a fault: a file of a day not sealed yet that
			       no commit references (a crash between writing
			       a new day's first blocks and their commit); the
			       next writable open removes it */
	ST_V_NOKEY,      /**< sealed, encrypted under a key the handle does
			      not hold: not verifiable (a fault) */
};

/** Whether a verification status is a fault (everything but ok, expired
 *  and uncommitted). */
static inline int st_vstatus_fault(enum st_vstatus v)
{
	return v != ST_V_OK && v != ST_V_EXPIRED && v != ST_V_UNCOMMITTED;
}

/** Name of a status ("ok", "changed", ...). */
const char *st_vstatus_name(enum st_vstatus v);

struct st_verify_item {
	enum st_vstatus status;
	int32_t day;          /**< segment day (INT32_MIN for ST_V_CHAIN) */
	const char *file;     /**< "seg/YYYY-MM-DD.seg", or "MANIFEST" */
	bool sealed;
	uint32_t seq;         /**< seal sequence number (sealed only) */
	uint64_t size_want;   /**< sealed or committed size */
	uint64_t size_found;  /**< file size (0 when missing) */
	int32_t other_day;    /**< ST_V_REORDERED: whose bytes it holds */
	const uint8_t *sha;   /**< sealed SHA-256 (32 bytes) or NULL */
	const char *detail;   /**< one line of explanation */
};

/**
 * Check the whole store: the seal chain in the catalogue (recomputed),
 * DIR/MANIFEST against it, every sealed segment's SHA-256 and size, every
 * open segment's header, blocks (CRC, zstd checksum) and records, and
 * unknown files in seg/.  fn is called once per segment (and per chain
 * fault); the items are valid during the call only.  Works on read-only
 * handles; does not seal (call st_store_seal() first for that).
 * @param[out] ret_faults number of items whose status is a fault
 * @return 0 (faults are reported through fn and ret_faults, not as an
 *         error), fn's non-zero value, -errno, ST_ECORRUPT (the catalogue
 *         itself failed validation), -ENOMEM
 */
int st_store_verify(st_store *st, int (*fn)(void *ctx, const struct st_verify_item *it),
		    void *ctx, uint64_t *ret_faults);

/** Counts of st_store_rekey(). */
struct st_rekey_report {
	uint32_t rekeyed;   /**< re-encrypted under the active key */
	uint32_t encrypted; /**< were in the clear, now encrypted */
	uint32_t current;   /**< already under the active key */
};

/**
 * Re-encrypt every sealed segment that is not under the active key of the
 * handle's keyring (and encrypt the ones in the clear): decrypt, check the
 * plaintext against its seal (SHA-256), write the new file, fsync, rename
 * over the old one.  The seals do not change (they cover the plaintext).
 * @return 0, ST_EREADONLY, ST_EINVAL (no keyring), -ENOKEY / -EBADMSG (a
 *         segment cannot be opened: nothing more is changed), ST_ECORRUPT
 *         (a plaintext differs from its seal), -errno
 */
int st_store_rekey(st_store *st, struct st_rekey_report *ret);

#endif /* ST_STORE_H */
