/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file ingest.h
 * @brief Capture files -> dataplane engine -> store.
 *
 * Resumes the sessions a previous run left open, feeds every packet of the
 * captures in the order given, commits closed sessions in groups, and at
 * the end stores the sessions still open and adds the run's counters to the
 * store's persistent counters.
 */
#ifndef CTL_INGEST_H
#define CTL_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct ctl_ingest_opts {
	const char *store_dir;
	uint64_t map_size;            /**< LMDB map size in bytes (0: the store's default) */
	const char *keys_path;        /**< key file (storage/CRYPT.md); NULL: no encryption */
	const char *secrets_path;     /**< NULL: no secrets, every NAS "no-secret" */
	const char *line_map_path;    /**< DHCP line map (dataplane/linemap.h); NULL: none */
	struct dp_engine_cfg engine;  /**< secrets filled in by ctl_ingest */
	size_t commit_every;          /**< closed sessions per group commit */
	unsigned max_reject_log;      /**< rejected packets to describe in log */
	unsigned threads;             /**< 1: one thread; 2: a reader thread reads
				       *   and verifies authenticators ahead of the
				       *   engine (same records); 0: 2 if the machine
				       *   has 2 or more cores, else 1 */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	bool bench_discard; /**< benchmarks only: sessions counted, not stored */
	/** optional: called with log_ctx about once a second during the run */
	void (*progress)(void *ctx, const struct dp_counters *c, const struct dp_tracker_stats *t);
};

void ctl_ingest_opts_default(struct ctl_ingest_opts *o);

struct ctl_ingest_result {
	struct dp_counters c;
	struct dp_tracker_stats t;
	uint64_t sessions_closed_stored;
	uint64_t sessions_open_stored;
	uint64_t sessions_resumed;
	uint64_t sessions_past_retention; /**< closed before the expiry horizon: not stored */
	uint64_t capture_errors; /**< captures unreadable or damaged (logged) */
	double seconds;
};

/**
 * @param[out] err  message on failure
 * @return 0, or negative (capture, secrets or store error; err says which)
 */
int ctl_ingest(const char *const *captures, size_t n, const struct ctl_ingest_opts *o,
	       struct ctl_ingest_result *ret, char *err, size_t errlen);

#endif
