/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file pipeline.h
 * @brief Packets -> dataplane engine -> store: the path shared by
 *        `retain ingest` (files) and retaind (live sources).
 *
 * Opening resumes the sessions a previous run left open.  Closed sessions
 * are put as they close and made durable by ctl_pipeline_commit() (group
 * commit; the caller decides how often).  A commit also adds the counters
 * accumulated since the last one to the store's persistent counters, and,
 * when asked, replaces the stored set of open sessions with the tracker's
 * (a checkpoint: the first of a run hands over the whole set, O(open);
 * later ones only the sessions changed, gone or closed since the last,
 * O(changed), from the tracker's dirty list).
 *
 * One pipeline per store (one writer); not thread-safe.
 */
#ifndef CTL_PIPELINE_H
#define CTL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

typedef struct ctl_pipeline ctl_pipeline;

struct ctl_pipeline_opts {
	const char *store_dir;
	uint64_t map_size;            /**< LMDB map size in bytes (0: the store's default) */
	const char *keys_path;        /**< key file (storage/CRYPT.md), loaded by
				       *   ctl_pipeline_open; NULL: no encryption */
	const dp_secrets *secrets;    /**< borrowed; NULL: every NAS "no-secret" */
	const char *line_map;         /**< DHCP line map file (dataplane/linemap.h), borrowed; NULL: none */
	struct dp_engine_cfg engine;  /**< its secrets field is ignored */
	size_t commit_every;          /**< closed sessions that force a commit (0: never) */
	unsigned max_reject_log;      /**< rejected packets described in the log */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	bool bench_discard;           /**< benchmarks only (tools/bench-load-nostore):
				       *   closed sessions are counted, never stored */
	int64_t seal_grace_ns;        /**< st_open_opts.seal_grace_ns (0: the store's) */
};

void ctl_pipeline_opts_default(struct ctl_pipeline_opts *o);

struct ctl_pipeline_stats {
	struct dp_counters c;
	struct dp_tracker_stats t;
	uint64_t sessions_closed_stored;
	uint64_t sessions_open_stored;   /**< at the last commit with open sessions */
	uint64_t sessions_resumed;
	uint64_t sessions_past_retention;
	uint64_t commits;
	uint64_t checkpoints;            /**< commits with open sessions that succeeded */
	uint64_t checkpoints_full;       /**< of which handed over the whole open set */
	uint64_t checkpoint_listed;      /**< sessions the tracker listed as changed
					  *   or gone, over the incremental ones */
};

/**
 * Open the store (created if missing), start the engine, resume open sessions.
 * @return 0 or negative (err says what)
 */
int ctl_pipeline_open(const struct ctl_pipeline_opts *o, ctl_pipeline **ret, char *err,
		      size_t errlen);

/** Feed one packet.  @return 0, or a store error (-ENOSPC, ST_EMAPFULL, ...) */
int ctl_pipeline_packet(ctl_pipeline *p, const struct dp_pkt *pkt, int linktype);

/** ctl_pipeline_packet() with the verdict and the decoded request computed
 * ahead by dp_engine_preverify() (see dp_engine_frame_preverified()). */
int ctl_pipeline_packet_verified(ctl_pipeline *p, const struct dp_pkt *pkt, int linktype,
				 const struct dp_preverified *v);

/** dp_engine_prefetch() on the pipeline's engine. */
void ctl_pipeline_prefetch(const ctl_pipeline *p, const struct dp_preverified *v);

/** dp_engine_prefetch_stage() on the pipeline's engine. */
void ctl_pipeline_prefetch_stage(const ctl_pipeline *p, const struct dp_preverified *v,
				 unsigned stage);

/** Feed one RADIUS datagram from the accounting listener. */
int ctl_pipeline_radius(ctl_pipeline *p, const struct rt_addr *src, uint16_t sport,
			const uint8_t *pkt, size_t len, int64_t now_ns, struct dp_radius_result *ret);

/** End of a finite input: final orphan sweep at the last capture time. */
int ctl_pipeline_end_of_input(ctl_pipeline *p);

/**
 * Make everything so far durable (and the open set too if with_open).
 * On failure nothing of this batch is lost from memory: a later commit
 * retries it.  @return 0 or a store error
 */
int ctl_pipeline_commit(ctl_pipeline *p, bool with_open);

/** Advance the tracker's clock without a packet (quiet live link), so
 *  orphans still time out.  @return 0 or a store error */
int ctl_pipeline_tick(ctl_pipeline *p, int64_t now_ns);

/** Add delta to the store's persistent counter name with the next commit
 *  (counters kept outside the engine: retaind's DPDK ports).  Handed over
 *  means persisted: a failed commit keeps it in the retried batch.
 *  @return 0, ST_EINVAL (bad name), -ENOMEM */
int ctl_pipeline_counter_add(ctl_pipeline *p, const char *name, uint64_t delta);

/** The pipeline's store handle (its one writer: use it on the pipeline's
 *  thread only, e.g. retaind's seal install and expiry between commits). */
struct st_store *ctl_pipeline_store(ctl_pipeline *p);

/** Load the line map file again (SIGHUP).  On failure the old map stays
 *  and err says why.  @return 0, -ENOENT (none configured), or the
 *  dp_linemap_load() error */
int ctl_pipeline_reload_linemap(ctl_pipeline *p, size_t *ret_entries, char *err, size_t errlen);

/** Swap the secrets (SIGHUP); borrowed. */
void ctl_pipeline_set_secrets(ctl_pipeline *p, const dp_secrets *s);

/** Visit the open sessions as a checkpoint stores them (stamped by the
 *  engine), e.g. to compare with the store.  O(open).
 *  @return 0 or fn's non-zero value */
int ctl_pipeline_foreach_open(ctl_pipeline *p, int (*fn)(void *ctx, const struct rt_session *s),
			      void *ctx);

void ctl_pipeline_get_stats(const ctl_pipeline *p, struct ctl_pipeline_stats *ret);

/** Close (without committing: call ctl_pipeline_commit first).  NULL ok. */
void ctl_pipeline_close(ctl_pipeline *p);

#endif
