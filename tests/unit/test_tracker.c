/* Session tracker semantics, one rule per block (dataplane/tracker.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "radius.h"
#include "tracker.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)

static struct rt_session closed[64];
static int nclosed;

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	if (nclosed < 64)
		closed[nclosed] = *s;
	nclosed++;
	return 0;
}

static struct dp_acct_msg msg(uint32_t status, const char *sid, int64_t t, uint8_t nas_last)
{
	struct dp_acct_msg m;
	memset(&m, 0, sizeof(m));
	m.status = status;
	m.capture_ns = t;
	m.event_ns = t;
	m.nas.family = 4;
	m.nas.a[0] = 10;
	m.nas.a[3] = nas_last;
	m.auth = RT_AUTH_VERIFIED;
	m.source = RT_SRC_RADIUS;
	m.session_id.p = sid; /* string literals and caller buffers outlive the call */
	m.session_id.len = (uint8_t)strlen(sid);
	m.account.p = "alice";
	m.account.len = 5;
	return m;
}

static dp_tracker *fresh(void)
{
	dp_tracker *t;
	nclosed = 0;
	memset(closed, 0, sizeof(closed));
	if (dp_tracker_alloc(NULL, on_close, NULL, &t))
		abort();
	return t;
}

static unsigned nopen(dp_tracker *t)
{
	struct dp_tracker_stats st;
	dp_tracker_get_stats(t, &st);
	return (unsigned)st.open_now;
}

int main(void)
{
	dp_tracker *t;
	struct dp_acct_msg m;

	/* Start, Interim with the first address, Stop */
	t = fresh();
	m = msg(DP_ACCT_START, "a", T0, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_INTERIM, "a", T0 + 300 * NS, 1);
	m.has_ipv4 = true;
	memcpy(m.ipv4, "\x64\x40\x00\x01", 4);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_STOP, "a", T0 + 400 * NS, 1);
	m.has_cause = true;
	m.cause = 1;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 1);
	CHECK_EQ_I64(closed[0].start_ns, T0);
	CHECK_EQ_I64(closed[0].stop_ns, T0 + 400 * NS);
	CHECK(closed[0].has_ipv4 && closed[0].ipv4[0] == 100 && closed[0].ipv4[3] == 1);
	CHECK_EQ_I64(closed[0].stop_cause, 1);
	/* Interim after Stop never reopens; retransmitted Stop recorded once */
	m = msg(DP_ACCT_INTERIM, "a", T0 + 450 * NS, 1);
	m.has_session_time = true;
	m.session_time = 450;
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_STOP, "a", T0 + 400 * NS, 1);
	m.capture_ns = T0 + 403 * NS;
	m.has_session_time = true;
	m.session_time = 400;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 1);
	CHECK_EQ_I64(nopen(t), 0);
	dp_tracker_free(t);

	/* Stop without Start: start = event - Acct-Session-Time */
	t = fresh();
	m = msg(DP_ACCT_STOP, "b", T0 + 1000 * NS, 1);
	m.has_session_time = true;
	m.session_time = 600;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 1);
	CHECK_EQ_I64(closed[0].start_ns, T0 + 400 * NS);
	CHECK_EQ_I64(closed[0].stop_ns, T0 + 1000 * NS);
	dp_tracker_free(t);

	/* duplicate Start (retransmission within 1 s) is recorded once */
	t = fresh();
	m = msg(DP_ACCT_START, "c", T0, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_START, "c", T0 + NS / 2, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nopen(t), 1);
	/* Accounting-On closes every open session of that NAS, not others */
	m = msg(DP_ACCT_START, "d", T0 + 10 * NS, 2);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_ON, "", T0 + 20 * NS, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 1);
	CHECK_EQ_I64(closed[0].stop_ns, T0 + 20 * NS);
	CHECK_EQ_I64(closed[0].stop_cause, RT_CAUSE_NAS_REBOOT_INFERRED);
	CHECK_EQ_I64(nopen(t), 1);
	/* the id reused after the reboot is a new session */
	m = msg(DP_ACCT_START, "c", T0 + 60 * NS, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nopen(t), 2);
	/* ... and an Interim of the reused id without Start is new too */
	m = msg(DP_ACCT_STOP, "c", T0 + 90 * NS, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 2);
	CHECK_EQ_I64(closed[1].start_ns, T0 + 60 * NS);
	dp_tracker_free(t);

	/* orphan timeout: interval learned from Start->Interim (300 s), closed at
	 * last news once silent for 3 x 300 s */
	t = fresh();
	m = msg(DP_ACCT_START, "e", T0, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_INTERIM, "e", T0 + 300 * NS, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK(dp_tracker_advance(t, T0 + 300 * NS + 900 * NS) == 0);
	CHECK_EQ_I64(nclosed, 0); /* not yet: exactly k x interval */
	CHECK(dp_tracker_advance(t, T0 + 300 * NS + 961 * NS) == 0);
	CHECK_EQ_I64(nclosed, 1);
	CHECK_EQ_I64(closed[0].stop_ns, T0 + 300 * NS);
	CHECK_EQ_I64(closed[0].stop_cause, RT_CAUSE_ORPHAN_TIMEOUT);
	dp_tracker_free(t);

	/* a session with only a Start uses the default interval (1 h x 3) */
	t = fresh();
	m = msg(DP_ACCT_START, "f", T0, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK(dp_tracker_advance(t, T0 + 3 * 3600 * NS - NS) == 0);
	CHECK_EQ_I64(nclosed, 0);
	CHECK(dp_tracker_flush(t, T0 + 3 * 3600 * NS + NS) == 0);
	CHECK_EQ_I64(nclosed, 1);
	dp_tracker_free(t);

	/* Interim without Start opens at event - session time; latest value wins;
	 * first Event-Timestamp gives the skew */
	t = fresh();
	m = msg(DP_ACCT_INTERIM, "g", T0 + 1000 * NS, 1);
	m.has_session_time = true;
	m.session_time = 100;
	m.has_event_ts = true;
	m.skew_ns = -1500 * 1000000LL - 7;
	m.calling_number.p = "AA-BB-CC-DD-EE-0F";
	m.calling_number.len = 17;
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_STOP, "g", T0 + 2000 * NS, 1);
	m.has_event_ts = true;
	m.skew_ns = 5 * NS;
	m.account.p = "bob";
	m.account.len = 3;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 1);
	CHECK_EQ_I64(closed[0].start_ns, T0 + 900 * NS);
	CHECK(closed[0].account.len == 3 && memcmp(closed[0].account.v, "bob", 3) == 0);
	CHECK(closed[0].has_clock_skew && closed[0].clock_skew_ms == -1500);
	CHECK(closed[0].has_calling_mac && closed[0].calling_mac[5] == 0x0f);
	dp_tracker_free(t);

	/* late Start of a closed session is ignored; resume keeps tracking */
	t = fresh();
	m = msg(DP_ACCT_STOP, "h", T0 + 100 * NS, 1);
	m.has_session_time = true;
	m.session_time = 50;
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = msg(DP_ACCT_START, "h", T0 + 50 * NS, 1);
	m.capture_ns = T0 + 101 * NS;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nopen(t), 0);
	struct rt_session r = closed[0];
	r.stop_ns = RT_TIME_NONE;
	rt_text_set(&r.session_id, "i", 1);
	r.last_news_ns = T0 + 100 * NS;
	r.prev_news_ns = RT_TIME_NONE;
	CHECK(dp_tracker_resume(t, &r) == 0);
	CHECK(dp_tracker_resume(t, &r) == -EEXIST);
	CHECK_EQ_I64(nopen(t), 1);
	m = msg(DP_ACCT_STOP, "i", T0 + 200 * NS, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(nclosed, 2);
	CHECK_EQ_I64(closed[1].start_ns, T0 + 50 * NS);
	dp_tracker_free(t);

	/* many sessions: tables grow, every one closes exactly once */
	t = fresh();
	nclosed = 0;
	for (int i = 0; i < 20000; i++) {
		char sid[16];
		snprintf(sid, sizeof(sid), "s%d", i);
		m = msg(DP_ACCT_START, sid, T0 + i * (NS / 100), (uint8_t)(i % 7));
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(nopen(t), 20000);
	for (int i = 0; i < 20000; i++) {
		char sid[16];
		snprintf(sid, sizeof(sid), "s%d", i);
		m = msg(DP_ACCT_STOP, sid, T0 + 200 * NS + i, (uint8_t)(i % 7));
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(nopen(t), 0);
	CHECK_EQ_I64(nclosed, 20000);
	dp_tracker_free(t);

	CHECK_DONE();
}
