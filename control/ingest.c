/* SPDX-License-Identifier: BSD-2-Clause */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "store.h"

#define BURST 256

void ctl_ingest_opts_default(struct ctl_ingest_opts *o)
{
	memset(o, 0, sizeof(*o));
	dp_engine_cfg_default(&o->engine);
	o->commit_every = 65536;
	o->max_reject_log = 20;
}

static void logf_(const struct ctl_ingest_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(const struct ctl_ingest_opts *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->log(o->log_ctx, buf);
}

int ctl_ingest(const char *const *captures, size_t n, const struct ctl_ingest_opts *o,
	       struct ctl_ingest_result *ret, char *err, size_t errlen)
{
	struct ctl_pipeline_opts po;
	dp_secrets *secrets = NULL;
	ctl_pipeline *p = NULL;
	dp_capture *cap = NULL;
	struct dp_pkt pkts[BURST];
	struct timespec t0, t1;
	int rc;

	memset(ret, 0, sizeof(*ret));
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (o->secrets_path) {
		char serr[256];
		rc = dp_secrets_load(o->secrets_path, &secrets, serr, sizeof(serr));
		if (rc) {
			snprintf(err, errlen, "secrets file %s: %s", o->secrets_path, serr);
			return rc;
		}
	}
	ctl_pipeline_opts_default(&po);
	po.store_dir = o->store_dir;
	po.map_size = o->map_size;
	po.secrets = secrets;
	po.engine = o->engine;
	po.commit_every = o->commit_every;
	po.max_reject_log = o->max_reject_log;
	po.log = o->log;
	po.log_ctx = o->log_ctx;
	rc = ctl_pipeline_open(&po, &p, err, errlen);
	if (rc)
		goto out_secrets;

	for (size_t i = 0; i < n; i++) {
		char cerr[256];
		rc = dp_capture_open_file(captures[i], &cap, cerr, sizeof(cerr));
		if (rc) {
			logf_(o, "%s: %s", captures[i], cerr);
			ret->capture_errors++;
			rc = 0;
			continue;
		}
		for (;;) {
			int got = dp_capture_next(cap, pkts, BURST);
			if (got < 0) {
				/* Keep what was read before the damage; the run
				 * reports the capture as damaged. */
				logf_(o, "%s: damaged capture, stopped reading it: %s", captures[i],
				      cap->err_msg);
				ret->capture_errors++;
				break;
			}
			if (got == 0)
				break;
			for (int k = 0; k < got; k++) {
				rc = ctl_pipeline_packet(p, &pkts[k], cap->linktype);
				if (rc) {
					snprintf(err, errlen, "storing sessions: %s",
						 st_strerror(rc));
					goto out_capture;
				}
			}
		}
		dp_capture_close(cap);
		cap = NULL;
	}

	rc = ctl_pipeline_end_of_input(p);
	if (!rc)
		rc = ctl_pipeline_commit(p, true);
	if (rc) {
		snprintf(err, errlen, "store %s: %s", o->store_dir, st_strerror(rc));
		goto out_pipeline;
	}
	struct ctl_pipeline_stats ps;
	ctl_pipeline_get_stats(p, &ps);
	ret->c = ps.c;
	ret->t = ps.t;
	ret->sessions_closed_stored = ps.sessions_closed_stored;
	ret->sessions_open_stored = ps.sessions_open_stored;
	ret->sessions_resumed = ps.sessions_resumed;
	ret->sessions_past_retention = ps.sessions_past_retention;
	if (ps.sessions_past_retention)
		logf_(o, "%" PRIu64 " sessions ended before the store's expiry horizon and were "
			 "not stored (retention)", ps.sessions_past_retention);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ret->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

out_capture:
	dp_capture_close(cap);
out_pipeline:
	ctl_pipeline_close(p);
out_secrets:
	dp_secrets_free(secrets);
	return rc;
}
