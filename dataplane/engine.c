/* SPDX-License-Identifier: BSD-2-Clause */
#include "engine.h"

#include "accepts.h"
#include "access.h"
#include "reasm4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000LL

/*
 * Duplicate detection (RFC 5080 section 2.2.2: a server "MUST ... detect
 * duplicates" by source address, port, Identifier and Request
 * Authenticator).  A retransmission with identical bytes carries the same
 * Acct-Delay-Time, so without this its event time would be its own, later,
 * capture time.  Direct-mapped, fixed size, no allocation: a collision
 * evicts, and an evicted entry only costs the tracker's own duplicate rules.
 */
#define DUP_SLOTS 65536u

struct dup_slot {
	uint64_t tag;
	int64_t seen_ns;
};

/*
 * Replay detection: a verified Accounting-Request whose (source address,
 * Request Authenticator) was seen longer ago than the duplicate window is a
 * replay -- a NAS that retransmits later raises Acct-Delay-Time, which
 * changes the authenticator.  Direct-mapped (16 MiB): it remembers about
 * the last million requests; the UDP port is left out of the key because
 * it is not covered by the authenticator.
 */
#define REPLAY_SLOTS (1u << 20)

struct dp_engine {
	struct dup_slot dup[DUP_SLOTS];
	struct dup_slot *replay; /* REPLAY_SLOTS */
	/* Access-Requests waiting for their answer, and the Accepts they got
	 * (accepts.h); the Message-Authenticator of a response is keyed with
	 * the request's authenticator too */
	dp_accepts *accepts;
	struct dp_radius_access access_scratch;
	/* the caller's close callback: the engine stamps record flags the
	 * tracker does not carry (RT_FLAG_UNMAPPED) on the way out */
	dp_tracker_close_fn user_close;
	struct rt_session stamped;
	dp_access *access;
	dp_reasm4 *reasm;
	struct dp_engine_cfg cfg;
	dp_tracker *tracker;
	void (*on_reject)(void *ctx, const struct dp_reject_info *r);
	void *ctx;
	int64_t last_ns;
	enum dp_auth_hint hint; /* of the frame being processed (frame_verified) */
	const struct dp_preverified *pre; /* of that frame (frame_preverified), or NULL */
	struct dp_counters c;
	struct dp_radius_acct acct; /* scratch, reused per packet */
	struct dp_acct_msg msg;     /* scratch, reused per packet */
};

void dp_engine_cfg_default(struct dp_engine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->acct_ports[0] = 1813;
	cfg->acct_ports[1] = 1646;
	cfg->n_acct_ports = 2;
	cfg->auth_ports[0] = 1812;
	cfg->auth_ports[1] = 1645;
	cfg->n_auth_ports = 2;
	cfg->dup_window_ns = 120 * NS;
	dp_tracker_cfg_default(&cfg->tracker);
}

uint64_t dp_counters_malformed(const struct dp_counters *c)
{
	uint64_t n = c->malformed_pppoe + c->malformed_ppp + c->malformed_dhcp4 +
		     c->malformed_dhcp6 + c->malformed_l2tp;
	for (unsigned i = 0; i < DP_FRAME_RES_MAX; i++)
		if (dp_frame_res_malformed((enum dp_frame_res)i))
			n += c->malformed_frame[i];
	for (unsigned i = 1; i < DP_RADIUS_FAIL_MAX; i++)
		n += c->malformed_radius[i];
	return n;
}

/* A record leaving the tracker with the flags only the engine knows. */
static const struct rt_session *stamp(dp_engine *e, const struct rt_session *s)
{
	if ((s->flags & RT_FLAG_UNMAPPED) || !dp_access_dhcp4_unmapped(e->access, s))
		return s;
	e->stamped = *s;
	e->stamped.flags |= RT_FLAG_UNMAPPED;
	return &e->stamped;
}

static int engine_close(void *ctx, const struct rt_session *s)
{
	dp_engine *e = ctx;
	/* NULL is allowed, as by the tracker: the records are only counted */
	return e->user_close ? e->user_close(e->ctx, stamp(e, s)) : 0;
}

struct open_visit {
	dp_engine *e;
	int (*fn)(void *ctx, const struct rt_session *s);
	void *ctx;
};

static int visit_open(void *ctx, const struct rt_session *s)
{
	struct open_visit *v = ctx;
	return v->fn(v->ctx, stamp(v->e, s));
}

int dp_engine_foreach_open(dp_engine *e, int (*fn)(void *ctx, const struct rt_session *s),
			   void *ctx)
{
	struct open_visit v = {e, fn, ctx};
	return dp_tracker_foreach_open(e->tracker, visit_open, &v);
}

struct dirty_visit {
	dp_engine *e;
	dp_tracker_dirty_fn fn;
	void *ctx;
};

static int visit_dirty(void *ctx, const struct rt_session *s, bool gone)
{
	struct dirty_visit *v = ctx;
	return v->fn(v->ctx, gone ? s : stamp(v->e, s), gone);
}

int dp_engine_foreach_dirty(dp_engine *e, dp_tracker_dirty_fn fn, void *ctx)
{
	struct dirty_visit v = {e, fn, ctx};
	return dp_tracker_foreach_dirty(e->tracker, visit_dirty, &v);
}

void dp_engine_set_linemap(dp_engine *e, const dp_linemap *m)
{
	dp_access_set_linemap(e->access, m);
}

int dp_engine_alloc(const struct dp_engine_cfg *cfg, dp_tracker_close_fn on_close,
		    void (*on_reject)(void *ctx, const struct dp_reject_info *r), void *ctx,
		    dp_engine **ret)
{
	dp_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (cfg)
		e->cfg = *cfg;
	else
		dp_engine_cfg_default(&e->cfg);
	e->user_close = on_close;
	e->ctx = ctx;
	int err = dp_tracker_alloc(&e->cfg.tracker, engine_close, e, &e->tracker);
	if (err) {
		free(e);
		return err;
	}
	err = dp_access_alloc(&e->access);
	int aerr = dp_accepts_alloc(&e->accepts);
	e->replay = calloc(REPLAY_SLOTS, sizeof(*e->replay));
	/* RADIUS is at most 4096 octets (RFC 2865): 8 KiB datagrams, 256 in
	 * flight, 30 s to complete -- 2 MiB, allocated once */
	struct dp_reasm4_cfg rc = {.max_contexts = 256, .max_datagram = 8192,
				   .timeout_ns = 30 * NS};
	int rerr = dp_reasm4_alloc(&rc, &e->reasm);
	if (err || aerr || !e->replay || rerr) {
		dp_reasm4_free(e->reasm);
		dp_accepts_free(e->accepts);
		dp_access_free(e->access);
		dp_tracker_free(e->tracker);
		free(e->replay);
		free(e);
		return err ? err : aerr ? aerr : rerr ? rerr : -ENOMEM;
	}
	dp_access_set_accepts(e->access, e->accepts);
	e->on_reject = on_reject;
	e->ctx = ctx;
	e->last_ns = INT64_MIN;
	*ret = e;
	return 0;
}

void dp_engine_free(dp_engine *e)
{
	if (!e)
		return;
	dp_tracker_free(e->tracker);
	dp_access_free(e->access);
	dp_accepts_free(e->accepts);
	dp_reasm4_free(e->reasm);
	free(e->replay);
	free(e);
}

void dp_engine_set_secrets(dp_engine *e, const dp_secrets *s)
{
	e->cfg.secrets = s;
}

/* Without a verified authenticator nothing binds the content to the
 * authenticator, so the whole packet is hashed instead. */
static uint64_t dup_tag_of(const struct rt_addr *src, uint16_t sport, uint8_t identifier,
			   const uint8_t *v, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned alen = src->family == 6 ? 16 : 4;
	for (unsigned i = 0; i < alen; i++)
		h = (h ^ src->a[i]) * 1099511628211ULL;
	h = (h ^ sport) * 1099511628211ULL;
	h = (h ^ identifier) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ v[i]) * 1099511628211ULL;
	return h | 1; /* 0 marks an empty slot */
}

static uint64_t dup_tag(const struct rt_addr *src, uint16_t sport, const struct dp_radius_acct *a,
			const uint8_t *pkt, size_t len, bool verified)
{
	return verified ? dup_tag_of(src, sport, a->identifier, a->authenticator, 16)
			: dup_tag_of(src, sport, a->identifier, pkt, len);
}

#define DUP_SLOT(tag) (((tag) >> 17) & (DUP_SLOTS - 1))
#define REPLAY_SLOT(tag) (((tag) >> 13) & (REPLAY_SLOTS - 1))

static uint64_t replay_tag(const struct rt_addr *src, const uint8_t auth[16])
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned alen = src->family == 6 ? 16 : 4;
	for (unsigned i = 0; i < alen; i++)
		h = (h ^ src->a[i]) * 1099511628211ULL;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ auth[i]) * 1099511628211ULL;
	return h | 1;
}

/* A cache slot as it was before a request filled it: put back when the
 * tracker/store call for that request fails, so that the NAS's
 * retransmission is processed again instead of being taken for a
 * duplicate of something that was never stored. */
struct slot_undo {
	struct dup_slot *slot; /* NULL: nothing to undo */
	struct dup_slot old;
};

static void slot_fill(struct dup_slot *s, uint64_t tag, int64_t now_ns, struct slot_undo *u)
{
	u->slot = s;
	u->old = *s;
	s->tag = tag;
	s->seen_ns = now_ns;
}

static void slot_undo(struct slot_undo *u)
{
	if (u->slot)
		*u->slot = u->old;
}

/* True if this verified request was seen within the window (and remember it). */
static bool dup_seen(dp_engine *e, const struct rt_addr *src, uint16_t sport,
		     const struct dp_radius_acct *a, const uint8_t *pkt, size_t len, bool verified,
		     int64_t now_ns, struct slot_undo *u)
{
	uint64_t tag = dup_tag(src, sport, a, pkt, len, verified);
	struct dup_slot *s = &e->dup[DUP_SLOT(tag)];
	if (s->tag == tag && now_ns - s->seen_ns <= e->cfg.dup_window_ns && now_ns >= s->seen_ns)
		return true;
	slot_fill(s, tag, now_ns, u);
	return false;
}

static bool claims_secret_nas(dp_engine *e, const struct dp_radius_acct *a)
{
	struct rt_addr nas;
	memset(&nas, 0, sizeof(nas));
	if (a->has_nas_ip) {
		nas.family = 4;
		memcpy(nas.a, a->nas_ip, 4);
	} else if (a->has_nas_ipv6) {
		nas.family = 6;
		memcpy(nas.a, a->nas_ipv6, 16);
	} else {
		return false;
	}
	return dp_secrets_lookup(e->cfg.secrets, &nas) != NULL;
}

/* 1 if this verified request's (address, authenticator) was seen before
 * the duplicate window (a replay), 2 if within it (a re-send from another
 * port), 0 if new (and remember it). */
static int replay_seen(dp_engine *e, const struct rt_addr *src, const struct dp_radius_acct *a,
		       int64_t now_ns, struct slot_undo *u)
{
	uint64_t h = replay_tag(src, a->authenticator);
	struct dup_slot *s = &e->replay[REPLAY_SLOT(h)];
	if (s->tag == h)
		return now_ns - s->seen_ns > e->cfg.dup_window_ns ? 1 : 2;
	slot_fill(s, h, now_ns, u);
	return 0;
}

/*
 * Access-Request/Accept/Reject/Challenge (passive).  Their protection is
 * checked and counted: BlastRADIUS (CVE-2024-3596) -- a response forged by
 * an MD5 chosen-prefix collision over a Proxy-State attribute carries a
 * valid Response Authenticator; only a Message-Authenticator (RFC 3579)
 * stops it.  Responses without one are counted as exposed, and those also
 * carrying Proxy-State as suspect.  Then the Accept is correlated with its
 * request (accepts.h): what it assigned fills the user's records that lack
 * it (ACCESS.md).
 */
static void radius_access(dp_engine *e, const struct dp_frame *f, int64_t ts)
{
	struct dp_radius_access *a = &e->access_scratch;
	enum dp_radius_fail fail = dp_radius_decode_access(f->payload, f->payload_len, a);
	if (fail == DP_RADIUS_NOT_ACCESS) {
		e->c.radius_other++;
		return;
	}
	if (fail != DP_RADIUS_OK) {
		e->c.malformed_radius[fail < DP_RADIUS_FAIL_MAX ? fail : DP_RADIUS_ATTR_VALUE]++;
		return;
	}
	const uint8_t code = a->attrs.code;
	const bool request = code == DP_RADIUS_ACCESS_REQUEST;
	/* the client's secret: the request's source, the response's destination */
	const struct rt_addr *client = request ? &f->src : &f->dst;
	uint16_t cport = request ? f->sport : f->dport;
	const struct dp_secret *sec = e->cfg.secrets ? dp_secrets_lookup(e->cfg.secrets, client)
						     : NULL;
	if (request) {
		e->c.access_requests++;
		if (!a->attrs.has_message_authenticator) {
			e->c.msg_auth_missing++;
		} else if (sec && dp_radius_msg_auth_verify(f->payload, f->payload_len, NULL, sec->v,
							    sec->len) != DP_RADIUS_MA_VALID) {
			/* RFC 3579 section 3.2: the server discards it; it must
			 * not displace the pending request of that Identifier */
			e->c.msg_auth_invalid++;
			return;
		}
		/* from an address without a secret but speaking for a NAS that
		 * has one: a forgery (as in accounting), whose unsigned Accept
		 * must not fill that NAS's records */
		if (!sec && e->cfg.secrets && claims_secret_nas(e, &a->attrs))
			return;
		dp_accepts_request(e->accepts, client, cport, a, ts);
		return;
	}
	e->c.access_responses++;
	uint8_t req_auth[16];
	bool pending = dp_accepts_request_auth(e->accepts, client, cport, a->attrs.identifier, ts,
					       req_auth);
	if (!a->attrs.has_message_authenticator) {
		e->c.msg_auth_missing++;
		if (a->proxy_state_count)
			e->c.blastradius_suspect++;
	} else if (sec && pending &&
		   dp_radius_msg_auth_verify(f->payload, f->payload_len, req_auth, sec->v,
					     sec->len) != DP_RADIUS_MA_VALID) {
		e->c.msg_auth_invalid++;
		/* RFC 3579 section 3.2: the NAS silently discards it, so it
		 * assigned nothing, whatever its Response Authenticator says */
		if (code == DP_RADIUS_ACCESS_ACCEPT)
			e->c.accepts_bad_authenticator++;
		return;
	}
	enum dp_accept_verdict v = dp_accepts_response(e->accepts, client, cport, a, f->payload,
						       f->payload_len, sec, ts);
	if (code != DP_RADIUS_ACCESS_ACCEPT)
		return;
	if (v == DP_ACCEPT_STORED)
		e->c.accepts_matched++;
	else if (v == DP_ACCEPT_BAD_AUTH)
		e->c.accepts_bad_authenticator++;
	else
		e->c.accepts_unmatched++;
}

/* The access module counts for itself: fold its counters in. */
static int sync_access(dp_engine *e, int err)
{
	const struct dp_access_counters *ac = dp_access_get_counters(e->access);
	e->c.malformed_pppoe = ac->malformed_pppoe;
	e->c.malformed_ppp = ac->malformed_ppp;
	e->c.malformed_dhcp4 = ac->malformed_dhcp4;
	e->c.malformed_dhcp6 = ac->malformed_dhcp6;
	e->c.malformed_l2tp = ac->malformed_l2tp;
	e->c.logins_failed = ac->logins_failed;
	return err;
}

static bool port_in(const uint16_t *ports, unsigned n, uint16_t p)
{
	for (unsigned i = 0; i < n; i++)
		if (ports[i] == p)
			return true;
	return false;
}

/* Build the tracker message from a decoded, accepted Accounting-Request. */
static void acct_to_msg(const struct dp_radius_acct *a, const struct rt_addr *src,
			int64_t capture_ns, uint8_t auth, struct dp_acct_msg *m)
{
	m->status = a->status_type;
	m->capture_ns = capture_ns;
	m->auth = auth;
	m->source = RT_SRC_RADIUS;

	if (a->has_nas_ip) {
		m->nas.family = 4;
		memcpy(m->nas.a, a->nas_ip, 4);
		memset(m->nas.a + 4, 0, 12);
	} else if (a->has_nas_ipv6) {
		m->nas.family = 6;
		memcpy(m->nas.a, a->nas_ipv6, 16);
	} else {
		m->nas = *src;
	}

	int64_t delay_ns = a->has_delay ? (int64_t)a->delay * NS : 0;
	m->has_event_ts = a->has_event_ts;
	if (a->has_event_ts) {
		m->event_ns = (int64_t)a->event_ts * NS;
		m->skew_ns = capture_ns - delay_ns - m->event_ns;
	} else {
		m->event_ns = capture_ns - delay_ns;
		m->skew_ns = 0;
	}
	m->has_session_time = a->has_session_time;
	m->session_time = a->session_time;
	m->has_cause = a->has_terminate_cause;
	m->cause = a->terminate_cause;

	/* borrowed from the decoder's scratch struct for this call */
	m->account = a->user_name;
	m->session_id = a->session_id;
	m->calling_number = a->calling;
	m->nas_id = a->nas_id;
	m->nas_port_id = a->nas_port_id;
	m->has_ipv4 = a->has_framed_ip;
	memcpy(m->ipv4, a->framed_ip, 4);
	m->has_ipv6_addr = a->has_framed_ipv6_addr;
	memcpy(m->ipv6_addr, a->framed_ipv6_addr, 16);
	m->ipv6_prefix = a->framed_ipv6_prefix;
	m->delegated_prefix = a->delegated_prefix;
}

static int radius_acct(dp_engine *e, const struct rt_addr *src, uint16_t sport, const uint8_t *p,
		       size_t len, int64_t capture_ns, bool require_secret,
		       struct dp_radius_result *res)
{
	const struct dp_radius_acct *a = &e->acct;
	enum dp_radius_fail fail;
	res->verdict = DP_V_IGNORED;
	if (e->pre && e->pre->decoded && e->pre->payload == p && e->pre->payload_len == len) {
		/* decoded ahead (dp_engine_preverify()) from these very bytes */
		a = &e->pre->acct;
		fail = (enum dp_radius_fail)e->pre->acct_fail;
	} else {
		/* validates the whole packet first, then decodes in place */
		fail = dp_radius_decode_acct(p, len, &e->acct);
	}
	if (fail != DP_RADIUS_OK) {
		e->c.malformed_radius[fail]++;
		res->verdict = DP_V_MALFORMED;
		return 0;
	}
	if (a->code == DP_RADIUS_ACCOUNTING_RESPONSE) {
		e->c.radius_acct_responses++;
		return 0;
	}
	if (a->code != DP_RADIUS_ACCOUNTING_REQUEST) {
		e->c.radius_other++;
		return 0;
	}
	e->c.radius_acct_requests++;
	res->identifier = a->identifier;
	memcpy(res->authenticator, a->authenticator, 16);

	/* The secret belongs to the client that sent the packet (RFC 2865
	 * section 3: "shared secret ... between the client and server"). */
	uint8_t auth = RT_AUTH_NO_SECRET;
	const struct dp_secret *sec = e->cfg.secrets ? dp_secrets_lookup(e->cfg.secrets, src)
						     : NULL;
	res->secret = sec;
	if (sec) {
		/* a verdict computed ahead by dp_engine_preverify() on these
		 * bytes with these secrets, or computed here */
		bool ok = e->hint == DP_AUTH_VALID     ? true
			  : e->hint == DP_AUTH_INVALID ? false
						       : dp_radius_acct_verify(p, len, sec->v, sec->len);
		if (!ok) {
			e->c.rejected++;
			res->verdict = DP_V_REJECTED;
			if (e->on_reject) {
				struct dp_reject_info ri = {
					.capture_ns = capture_ns,
					.src = *src,
					.sport = sport,
					.identifier = a->identifier,
					.status = a->status_type,
					.session_id = a->session_id,
				};
				e->on_reject(e->ctx, &ri);
			}
			return 0;
		}
		auth = RT_AUTH_VERIFIED;
	} else if (e->cfg.secrets && claims_secret_nas(e, a)) {
		/* From an address without a secret, but speaking for a NAS that
		 * has one (NAS-IP-Address / NAS-IPv6-Address): a NAS with a secret
		 * signs its own packets, so this is a forgery. */
		e->c.rejected++;
		res->verdict = DP_V_REJECTED;
		return 0;
	} else if (require_secret) {
		/* RFC 2865 section 3: a request from a client without a
		 * shared secret "SHOULD be silently discarded" */
		e->c.unknown_client++;
		res->verdict = DP_V_NO_SECRET;
		return 0;
	} else {
		e->c.no_secret++;
	}
	/* after verification: the authenticator then binds the content */
	const bool verified = auth == RT_AUTH_VERIFIED;
	struct slot_undo dup_u = {0}, replay_u = {0};
	if (dup_seen(e, src, sport, a, p, len, verified, capture_ns, &dup_u)) {
		e->c.retransmissions++;
		res->verdict = DP_V_DUPLICATE;
		return 0;
	}
	/* a replay can only be told from a verified authenticator */
	int rs = verified ? replay_seen(e, src, a, capture_ns, &replay_u) : 0;
	if (rs == 2) {
		e->c.retransmissions++;
		res->verdict = DP_V_DUPLICATE;
		return 0;
	}
	if (rs == 1) {
		e->c.replayed++;
		res->verdict = DP_V_REPLAY;
		return 0;
	}
	e->c.accepted++;
	res->verdict = DP_V_ACCEPTED;
	acct_to_msg(a, src, capture_ns, auth, &e->msg);
	/* what the Accept of this user assigned and the accounting lacks */
	(void)dp_accepts_fill_acct(e->accepts, &e->msg, a->class_);
	int err = dp_tracker_acct(e->tracker, &e->msg);
	if (err) {
		/* Not taken (the store refused what it closed, ...): forget it
		 * was seen, so that a retransmission is processed again rather
		 * than answered as a duplicate of nothing stored. */
		slot_undo(&replay_u);
		slot_undo(&dup_u);
	}
	return err;
}

int dp_engine_radius(dp_engine *e, const struct rt_addr *src, uint16_t sport, const uint8_t *p,
		     size_t len, int64_t ts_ns, struct dp_radius_result *ret)
{
	e->c.packets++;
	e->c.bytes += len;
	if (ts_ns > e->last_ns)
		e->last_ns = ts_ns;
	memset(ret, 0, sizeof(*ret));
	int err = radius_acct(e, src, sport, p, len, ts_ns, true, ret);
	if (err)
		return err;
	return dp_tracker_advance(e->tracker, ts_ns);
}

static int udp(dp_engine *e, const struct dp_frame *fp, int64_t ts);

/*
 * An IPv4 fragment (RADIUS packets larger than the path MTU arrive so):
 * held in the bounded reassembly pool until the datagram is whole, which
 * is then decoded like any other.  IPv6 fragments are only counted.
 */
static int fragment(dp_engine *e, const struct dp_pkt *p, int linktype)
{
	/* a verdict computed ahead is about a whole frame, never about the
	 * datagram a fragment completes */
	e->hint = DP_AUTH_UNKNOWN;
	e->pre = NULL;
	const uint8_t *ip = p->data;
	size_t len = p->caplen;
	if (linktype == DP_LINK_ETHERNET) {
		struct dp_l2 l2;
		if (dp_frame_l2(p->data, p->caplen, linktype, &l2) != DP_FRAME_UDP ||
		    l2.ethertype != 0x0800)
			return dp_tracker_advance(e->tracker, p->ts_ns);
		ip = l2.payload;
		len = l2.payload_len;
	} else if (linktype != DP_LINK_RAW && linktype != DP_LINK_IPV4) {
		return dp_tracker_advance(e->tracker, p->ts_ns);
	}
	const uint8_t *whole;
	size_t wlen;
	enum dp_reasm4_res rr = dp_reasm4_add(e->reasm, ip, len, p->ts_ns, &whole, &wlen);
	if (rr != DP_REASM4_DONE) {
		if (rr >= DP_REASM4_TRUNCATED)
			e->c.fragments_dropped++;
		return dp_tracker_advance(e->tracker, p->ts_ns);
	}
	e->c.reassembled++;
	struct dp_frame f;
	enum dp_frame_res r = dp_frame_decode(whole, wlen, DP_LINK_IPV4, &f);
	if (r != DP_FRAME_UDP) {
		if (dp_frame_res_malformed(r))
			e->c.malformed_frame[r < DP_FRAME_RES_MAX ? r : DP_FRAME_BAD_LINK]++;
		return dp_tracker_advance(e->tracker, p->ts_ns);
	}
	return udp(e, &f, p->ts_ns);
}

int dp_engine_packet(dp_engine *e, const struct dp_pkt *p, int linktype)
{
	struct dp_frame f;
	e->c.packets++;
	e->c.bytes += p->wirelen;
	if (p->ts_ns > e->last_ns)
		e->last_ns = p->ts_ns;

	enum dp_frame_res r = dp_frame_decode(p->data, p->caplen, linktype, &f);
	switch (r) {
	case DP_FRAME_UDP:
		break;
	case DP_FRAME_NOT_IP: {
		struct dp_l2 l2;
		if (linktype == DP_LINK_ETHERNET &&
		    dp_frame_l2(p->data, p->caplen, linktype, &l2) == DP_FRAME_UDP &&
		    (l2.ethertype == 0x8863 || l2.ethertype == 0x8864)) {
			e->c.pppoe++;
			return sync_access(e, dp_access_pppoe(e->access, e->tracker, &l2,
							       p->ts_ns));
		}
		e->c.not_ip++;
		return dp_tracker_advance(e->tracker, p->ts_ns);
	}
	case DP_FRAME_NOT_UDP:
		e->c.not_udp++;
		return dp_tracker_advance(e->tracker, p->ts_ns);
	case DP_FRAME_FRAGMENT:
		e->c.fragments++;
		return fragment(e, p, linktype);
	default:
		e->c.malformed_frame[r < DP_FRAME_RES_MAX ? r : DP_FRAME_BAD_LINK]++;
		return dp_tracker_advance(e->tracker, p->ts_ns);
	}
	return udp(e, &f, p->ts_ns);
}

/* A UDP datagram: which control protocol, by port. */
static int udp(dp_engine *e, const struct dp_frame *fp, int64_t ts)
{
	const struct dp_frame f = *fp;
	if (port_in(e->cfg.acct_ports, e->cfg.n_acct_ports, f.dport) ||
	    port_in(e->cfg.acct_ports, e->cfg.n_acct_ports, f.sport)) {
		struct dp_radius_result res;
		int err = radius_acct(e, &f.src, f.sport, f.payload, f.payload_len, ts, false,
				      &res);
		if (err)
			return err;
		return dp_tracker_advance(e->tracker, ts);
	}
	if (f.dport == 1701 || f.sport == 1701) {
		e->c.l2tp++;
		return sync_access(e, dp_access_l2tp(e->access, e->tracker, &f, ts, e->cfg.secrets));
	}
	if ((f.dport == 546 || f.dport == 547) && (f.sport == 546 || f.sport == 547)) {
		e->c.dhcp6++;
		return sync_access(e, dp_access_dhcp6(e->access, e->tracker, &f, ts));
	}
	if ((f.dport == 67 || f.dport == 68) && (f.sport == 67 || f.sport == 68)) {
		e->c.dhcp4++;
		return sync_access(e, dp_access_dhcp4(e->access, e->tracker, &f, ts));
	}
	if (port_in(e->cfg.auth_ports, e->cfg.n_auth_ports, f.dport) ||
	    port_in(e->cfg.auth_ports, e->cfg.n_auth_ports, f.sport)) {
		e->c.radius_auth++;
		radius_access(e, &f, ts);
		return dp_tracker_advance(e->tracker, ts);
	}
	e->c.other_udp++;
	return dp_tracker_advance(e->tracker, ts);
}

int dp_engine_frame_verified(dp_engine *e, const struct dp_pkt *p, int linktype,
			     enum dp_auth_hint hint)
{
	e->hint = hint;
	int err = dp_engine_packet(e, p, linktype);
	e->hint = DP_AUTH_UNKNOWN;
	return err;
}

int dp_engine_frame_preverified(dp_engine *e, const struct dp_pkt *p, int linktype,
				const struct dp_preverified *v)
{
	e->hint = (enum dp_auth_hint)v->hint;
	e->pre = v;
	int err = dp_engine_packet(e, p, linktype);
	e->hint = DP_AUTH_UNKNOWN;
	e->pre = NULL;
	return err;
}

/*
 * The same path as dp_engine_packet() up to the authenticator check, and
 * no further: frame decode, accounting port (tested first there too), an
 * Accounting-Request from a client with a secret.  Everything else is left
 * to the engine (UNKNOWN): fragments (reassembled in the engine), requests
 * without a secret, malformed packets.
 */
void dp_engine_preverify(const struct dp_engine_cfg *cfg, const struct dp_pkt *p, int linktype,
			 struct dp_preverified *ret)
{
	struct dp_frame f;
	/* not the whole struct: acct is read only when decoded is set */
	ret->hint = DP_AUTH_UNKNOWN;
	ret->decoded = 0;
	ret->dup_tag = ret->replay_tag = ret->key_hash = 0;
	if (!cfg->secrets || dp_frame_decode(p->data, p->caplen, linktype, &f) != DP_FRAME_UDP)
		return;
	if (!port_in(cfg->acct_ports, cfg->n_acct_ports, f.dport) &&
	    !port_in(cfg->acct_ports, cfg->n_acct_ports, f.sport))
		return;
	if (f.payload_len < DP_RADIUS_HDR_LEN || f.payload[0] != DP_RADIUS_ACCOUNTING_REQUEST)
		return;
	const struct dp_secret *sec = dp_secrets_lookup(cfg->secrets, &f.src);
	if (!sec)
		return;
	/* decoded here too (what radius_acct() does first), and a malformed
	 * request is not worth an MD5: the engine stops at the decode */
	ret->payload = f.payload;
	ret->payload_len = f.payload_len;
	ret->acct_fail = (uint8_t)dp_radius_decode_acct(f.payload, f.payload_len, &ret->acct);
	ret->decoded = 1;
	if (ret->acct_fail != DP_RADIUS_OK)
		return;
	if (!dp_radius_acct_verify(f.payload, f.payload_len, sec->v, sec->len)) {
		ret->hint = DP_AUTH_INVALID;
		return;
	}
	ret->hint = DP_AUTH_VALID;
	/* the cache slots the engine will look at (see radius_acct()) */
	const uint8_t *auth = f.payload + 4;
	ret->dup_tag = dup_tag_of(&f.src, f.sport, f.payload[1], auth, 16);
	ret->replay_tag = replay_tag(&f.src, auth);
	/* the tracker's key, as acct_to_msg() will make it */
	const struct dp_radius_acct *a = &ret->acct;
	if (a->status_type == DP_ACCT_START || a->status_type == DP_ACCT_STOP ||
	    a->status_type == DP_ACCT_INTERIM) {
		struct rt_addr nas = f.src;
		if (a->has_nas_ip) {
			memset(&nas, 0, sizeof(nas));
			nas.family = 4;
			memcpy(nas.a, a->nas_ip, 4);
		} else if (a->has_nas_ipv6) {
			memset(&nas, 0, sizeof(nas));
			nas.family = 6;
			memcpy(nas.a, a->nas_ipv6, 16);
		}
		ret->key_hash = dp_tracker_key_hash(&nas, (const char *)a->session_id.p,
						    a->session_id.len);
	}
}

void dp_engine_prefetch_stage(const dp_engine *e, const struct dp_preverified *v, unsigned stage)
{
	if (v->key_hash)
		dp_tracker_prefetch(e->tracker, v->key_hash, stage);
}

void dp_engine_prefetch(const dp_engine *e, const struct dp_preverified *v)
{
	if (v->key_hash)
		dp_tracker_prefetch(e->tracker, v->key_hash, 0);
	if (v->dup_tag)
		__builtin_prefetch(&e->dup[DUP_SLOT(v->dup_tag)], 1);
	if (v->replay_tag)
		__builtin_prefetch(&e->replay[REPLAY_SLOT(v->replay_tag)], 1);
}

int dp_engine_flush(dp_engine *e)
{
	if (e->last_ns == INT64_MIN)
		return 0;
	return dp_tracker_flush(e->tracker, e->last_ns);
}

const struct dp_counters *dp_engine_counters(const dp_engine *e)
{
	return &e->c;
}

dp_tracker *dp_engine_tracker(dp_engine *e)
{
	return e->tracker;
}
