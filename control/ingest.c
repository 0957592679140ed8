/* SPDX-License-Identifier: BSD-2-Clause */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "store.h"
#include "timefmt.h"

#define BURST 256

void ctl_ingest_opts_default(struct ctl_ingest_opts *o)
{
	memset(o, 0, sizeof(*o));
	dp_engine_cfg_default(&o->engine);
	o->commit_every = 65536;
	o->max_reject_log = 20;
}

struct run {
	const struct ctl_ingest_opts *o;
	st_store *st;
	size_t pending;
	uint64_t stored;
	uint64_t rejects_logged;
	uint64_t expired;
	int err;
};

static void logf_(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct run *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (!r->o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->o->log(r->o->log_ctx, buf);
}

static int on_close(void *ctx, const struct rt_session *s)
{
	struct run *r = ctx;
	int err = st_store_put_closed(r->st, s);
	if (err == ST_EEXPIRED) {
		/* ended before the store's expiry horizon (an old capture
		 * replayed after expiry): retention forbids keeping it */
		r->expired++;
		return 0;
	}
	if (err)
		return err;
	r->stored++;
	if (++r->pending >= r->o->commit_every) {
		err = st_store_commit(r->st);
		if (err)
			return err;
		r->pending = 0;
	}
	return 0;
}

static void on_reject(void *ctx, const struct dp_reject_info *ri)
{
	struct run *r = ctx;
	if (r->rejects_logged++ >= r->o->max_reject_log) {
		if (r->rejects_logged == r->o->max_reject_log + 1)
			logf_(r, "rejected: further spoofed packets are counted, not listed");
		return;
	}
	char a[64], t[CTL_TIME_BUF], sid[RT_TEXT_MAX + 1];
	ctl_addr_str(&ri->src, a, sizeof(a));
	ctl_time_format(ri->capture_ns, t);
	unsigned n = ri->session_id.len;
	for (unsigned i = 0; i < n; i++) {
		char c = ri->session_id.p[i];
		sid[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	sid[n] = 0;
	logf_(r,
	      "rejected: Accounting-Request from %s port %u id %u status %u session '%s' at %s: "
	      "Request Authenticator does not verify with the NAS's secret",
	      a, ri->sport, ri->identifier, ri->status, sid, t);
}

static int resume_one(void *ctx, const struct rt_session *s)
{
	return dp_tracker_resume(ctx, s);
}

struct open_vec {
	struct rt_session *v;
	size_t n, cap;
};

static int collect_open(void *ctx, const struct rt_session *s)
{
	struct open_vec *ov = ctx;
	if (ov->n == ov->cap) {
		size_t nc = ov->cap ? ov->cap * 2 : 1024;
		struct rt_session *nv = realloc(ov->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ov->v = nv;
		ov->cap = nc;
	}
	ov->v[ov->n++] = *s;
	return 0;
}

static const char *const counter_names[] = {
	"packets", "malformed", "radius.acct_requests", "radius.rejected",
	"radius.no_secret", "radius.accepted", "sessions.closed",
};

int ctl_ingest(const char *const *captures, size_t n, const struct ctl_ingest_opts *o,
	       struct ctl_ingest_result *ret, char *err, size_t errlen)
{
	struct run r = {.o = o};
	struct dp_engine_cfg ecfg = o->engine;
	dp_secrets *secrets = NULL;
	dp_engine *e = NULL;
	dp_capture *cap = NULL;
	struct dp_pkt pkts[BURST];
	struct open_vec ov = {0};
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
	ecfg.secrets = secrets;

	rc = st_store_open(o->store_dir, ST_OPEN_CREATE | ST_OPEN_WRITE, &r.st);
	if (rc) {
		snprintf(err, errlen, "store %s: %s", o->store_dir, st_strerror(rc));
		goto out_secrets;
	}
	rc = dp_engine_alloc(&ecfg, on_close, on_reject, &r, &e);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out_store;
	}

	/* Sessions a previous run left open continue here. */
	rc = st_store_open_sessions(r.st, resume_one, dp_engine_tracker(e));
	if (rc) {
		snprintf(err, errlen, "store %s: reading open sessions: %s", o->store_dir,
			 rc == -EEXIST ? "duplicate open session" : st_strerror(rc));
		goto out_engine;
	}
	{
		struct dp_tracker_stats ts;
		dp_tracker_get_stats(dp_engine_tracker(e), &ts);
		ret->sessions_resumed = ts.open_now;
	}

	for (size_t i = 0; i < n; i++) {
		char cerr[256];
		rc = dp_capture_open_file(captures[i], &cap, cerr, sizeof(cerr));
		if (rc) {
			logf_(&r, "%s: %s", captures[i], cerr);
			ret->capture_errors++;
			rc = 0;
			continue;
		}
		for (;;) {
			int got = dp_capture_next(cap, pkts, BURST);
			if (got < 0) {
				/* Keep what was read before the damage; the run
				 * reports the capture as damaged. */
				logf_(&r, "%s: damaged capture, stopped reading it: %s",
				      captures[i], cap->err_msg);
				ret->capture_errors++;
				break;
			}
			if (got == 0)
				break;
			for (int k = 0; k < got; k++) {
				rc = dp_engine_packet(e, &pkts[k], cap->linktype);
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

	rc = dp_engine_flush(e);
	if (rc) {
		snprintf(err, errlen, "storing sessions: %s", st_strerror(rc));
		goto out_engine;
	}
	rc = dp_tracker_foreach_open(dp_engine_tracker(e), collect_open, &ov);
	if (!rc)
		rc = st_store_set_open(r.st, ov.v, ov.n);
	const struct dp_counters *c = dp_engine_counters(e);
	uint64_t vals[] = {c->packets,  dp_counters_malformed(c), c->radius_acct_requests,
			   c->rejected, c->no_secret,              c->accepted,
			   r.stored};
	for (size_t k = 0; !rc && k < sizeof(vals) / sizeof(vals[0]); k++)
		if (vals[k])
			rc = st_store_counter_add(r.st, counter_names[k], vals[k]);
	if (!rc)
		rc = st_store_commit(r.st);
	if (rc) {
		snprintf(err, errlen, "store %s: %s", o->store_dir, st_strerror(rc));
		goto out_engine;
	}

	ret->c = *c;
	dp_tracker_get_stats(dp_engine_tracker(e), &ret->t);
	ret->sessions_closed_stored = r.stored;
	ret->sessions_past_retention = r.expired;
	if (r.expired)
		logf_(&r, "%" PRIu64 " sessions ended before the store's expiry horizon and were "
			  "not stored (retention)", r.expired);
	ret->sessions_open_stored = ov.n;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ret->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

out_capture:
	dp_capture_close(cap);
out_engine:
	free(ov.v);
	dp_engine_free(e);
out_store:
	st_store_close(r.st);
out_secrets:
	dp_secrets_free(secrets);
	return rc;
}
