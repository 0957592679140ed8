/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PPPoE/PPP and DHCPv4 session state (rules: dataplane/ACCESS.md).
 *
 * Two small tables, chained hashes with entries allocated when a login or a
 * binding appears: PPPoE entries keyed by (client MAC, session id), with the
 * discovery stage keyed by the client MAC (session id 0) until PADS assigns
 * one; DHCP bindings keyed by the client hardware address.
 */
#include "access.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accepts.h"
#include "cursor.h"
#include "dhcp4.h"
#include "dhcp6.h"
#include "l2tp.h"
#include "linemap.h"
#include "ppp.h"
#include "pppoe.h"
#include "radius.h"

#define NS 1000000000LL
#define SLOTS 16384u
#define IDLE_NS (3600 * NS) /* a login in progress idle this long is dropped */

struct entry {
	struct entry *next;
	uint8_t mac[6];       /* client MAC / chaddr */
	uint16_t sid;         /* PPPoE session id (0: discovery stage) */
	uint8_t kind;         /* 1 PPPoE, 2 DHCP */
	bool authed;          /* PPPoE: session recorded */
	bool has_bras;        /* PPPoE: the access concentrator's MAC (PADS source) */
	uint8_t bras[6];
	bool has_ip;
	uint8_t ip[4];
	int64_t last_ns;
	int64_t lease_end_ns; /* DHCP */
	struct rt_text account, circuit, remote, ac_name, subscriber;
	struct rt_text duid_hex;  /* DHCPv6: the client's DUID, hex (truncated) */
	/* L2TP: the LAC's tunnel/session, the LNS's session, both addresses */
	uint16_t lac_tid, lns_tid, lns_sid;
	struct rt_addr lac, lns;
	bool has_v6addr, has_pd;
	uint8_t v6addr[16];
	struct rt_prefix6 pd;
	bool has_nas;
	struct rt_addr nas;   /* DHCP relay */
	bool unmapped;        /* DHCP: the account is the line identity */
};

struct dp_access {
	struct entry *slots[SLOTS];
	struct dp_access_counters c;
	const dp_linemap *linemap; /* borrowed; NULL: nothing mapped */
	dp_accepts *accepts;       /* borrowed; NULL: no Accept correlation */
	int64_t last_prune_ns;
	char sid_buf[128];
	char mac_buf[18];
};

int dp_access_alloc(dp_access **ret)
{
	dp_access *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*ret = a;
	return 0;
}

void dp_access_free(dp_access *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < SLOTS; i++)
		for (struct entry *e = a->slots[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	free(a);
}

const struct dp_access_counters *dp_access_get_counters(const dp_access *a)
{
	return &a->c;
}

void dp_access_set_linemap(dp_access *a, const dp_linemap *m)
{
	a->linemap = m;
}

void dp_access_set_accepts(dp_access *a, dp_accepts *acc)
{
	a->accepts = acc;
}

static unsigned slot(const uint8_t mac[6], uint16_t sid, uint8_t kind)
{
	uint64_t h = kind;
	for (unsigned i = 0; i < 6; i++)
		h = h * 131 + mac[i];
	h = h * 65599 + sid;
	h *= 0x9e3779b97f4a7c15ULL;
	return (unsigned)(h >> 50) & (SLOTS - 1);
}

static struct entry *find(dp_access *a, const uint8_t mac[6], uint16_t sid, uint8_t kind)
{
	for (struct entry *e = a->slots[slot(mac, sid, kind)]; e; e = e->next)
		if (e->kind == kind && e->sid == sid && memcmp(e->mac, mac, 6) == 0)
			return e;
	return NULL;
}

static struct entry *get(dp_access *a, const uint8_t mac[6], uint16_t sid, uint8_t kind,
			 int64_t now)
{
	struct entry *e = find(a, mac, sid, kind);
	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->mac, mac, 6);
	e->sid = sid;
	e->kind = kind;
	e->last_ns = now;
	unsigned k = slot(mac, sid, kind);
	e->next = a->slots[k];
	a->slots[k] = e;
	return e;
}

static void drop(dp_access *a, struct entry *e)
{
	struct entry **pp = &a->slots[slot(e->mac, e->sid, e->kind)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	free(e);
}

/* Logins that never finished and bindings long gone: bounded memory. */
static void prune(dp_access *a, int64_t now)
{
	if (now - a->last_prune_ns < 60 * NS)
		return;
	a->last_prune_ns = now;
	for (unsigned i = 0; i < SLOTS; i++)
		for (struct entry **pp = &a->slots[i]; *pp;) {
			struct entry *e = *pp;
			/* PPPoE: a login that never finished after an hour, a
			 * session silent past the tracker's orphan time (its PADT
			 * was lost) */
			bool stale = (e->kind == 1 || e->kind >= 4)
					     ? now - e->last_ns > (e->authed ? 4 : 1) * IDLE_NS
					     : (now > e->lease_end_ns + IDLE_NS);
			/* (DHCP and DHCPv6 bindings: gone an hour after their lease) */
			if (stale) {
				*pp = e->next;
				free(e);
			} else {
				pp = &e->next;
			}
		}
}

static void set_view_text(struct rt_text *t, struct rt_view v)
{
	if (v.len)
		rt_text_set(t, v.p, v.len);
}

static struct rt_view view(const struct rt_text *t)
{
	struct rt_view v = {t->v, t->len};
	return v;
}

static const char *mac_str(dp_access *a, const uint8_t m[6])
{
	snprintf(a->mac_buf, sizeof(a->mac_buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	return a->mac_buf;
}

static void msg_init(struct dp_acct_msg *m, uint32_t status, int64_t ts, uint8_t source)
{
	memset(m, 0, sizeof(*m));
	m->status = status;
	m->capture_ns = ts;
	m->event_ns = ts;
	m->auth = RT_AUTH_NONE;
	m->source = source;
}

/* ---- PPPoE ---------------------------------------------------------------- */

static int pppoe_emit(dp_access *a, dp_tracker *t, struct entry *e, uint32_t status, int64_t ts,
		      unsigned cause)
{
	struct dp_acct_msg m;
	msg_init(&m, status, ts, RT_SRC_PPPOE);
	char mac[18];
	memcpy(mac, mac_str(a, e->mac), sizeof(mac));
	int n = snprintf(a->sid_buf, sizeof(a->sid_buf), "pppoe:%s:%u", mac, e->sid);
	m.session_id.p = a->sid_buf;
	m.session_id.len = (uint8_t)n;
	m.account = view(&e->account);
	/* calling number: Agent-Remote-ID, else Agent-Circuit-ID, else the MAC */
	if (e->remote.len)
		m.calling_number = view(&e->remote);
	else if (e->circuit.len)
		m.calling_number = view(&e->circuit);
	else {
		m.calling_number.p = a->mac_buf;
		m.calling_number.len = 17;
	}
	m.nas_port_id = view(&e->circuit);
	m.nas_id = view(&e->ac_name);
	m.has_ipv4 = e->has_ip;
	memcpy(m.ipv4, e->ip, 4);
	m.has_client_mac = true;
	memcpy(m.client_mac, e->mac, 6);
	if (status == DP_ACCT_STOP && cause) {
		m.has_cause = true;
		m.cause = cause;
	}
	m.keepalive = status == DP_ACCT_INTERIM;
	/* no IPCP address yet: the Accept of this login may name it */
	if (status == DP_ACCT_START && a->accepts)
		(void)dp_accepts_fill_ppp(a->accepts, &m, NULL, m.nas_id, e->mac);
	return dp_tracker_acct(t, &m);
}

static int pppoe_discovery(dp_access *a, dp_tracker *t, const struct dp_l2 *l2,
			   const struct dp_pppoe *p, int64_t ts)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct entry *e;
	switch (p->code) {
	case DP_PPPOE_PADI:
	case DP_PPPOE_PADR:
		/* from the client: its line identity (TR-101, inserted by the
		 * access node) for the session PADS will open */
		e = get(a, l2->src, 0, 1, ts);
		if (!e)
			return -ENOMEM;
		e->last_ns = ts;
		if (p->has_tr101) {
			e->circuit.len = 0;
			e->remote.len = 0;
			set_view_text(&e->circuit, p->circuit_id);
			set_view_text(&e->remote, p->remote_id);
		}
		return 0;
	case DP_PPPOE_PADO:
	case DP_PPPOE_PADS: {
		if (memcmp(l2->dst, bcast, 6) == 0)
			return 0;
		e = get(a, l2->dst, 0, 1, ts);
		if (!e)
			return -ENOMEM;
		e->last_ns = ts;
		if (p->ac_name.len) {
			e->ac_name.len = 0;
			set_view_text(&e->ac_name, p->ac_name);
		}
		if (p->code != DP_PPPOE_PADS || p->session_id == 0)
			return 0;
		struct entry *s = get(a, l2->dst, p->session_id, 1, ts);
		if (!s)
			return -ENOMEM;
		s->last_ns = ts;
		s->circuit = e->circuit;
		s->remote = e->remote;
		s->ac_name = e->ac_name;
		s->has_bras = true;
		memcpy(s->bras, l2->src, 6);
		return 0;
	}
	case DP_PPPOE_PADT: {
		/* either direction: the client is the side with the session */
		e = find(a, l2->src, p->session_id, 1);
		if (!e)
			e = find(a, l2->dst, p->session_id, 1);
		if (!e)
			return 0;
		int err = e->authed ? pppoe_emit(a, t, e, DP_ACCT_STOP, ts, RT_CAUSE_PADT) : 0;
		drop(a, e);
		return err;
	}
	default:
		return 0;
	}
}

typedef int (*emit_fn)(dp_access *a, dp_tracker *t, struct entry *e, uint32_t status,
		       int64_t ts, unsigned cause);

/* Decode a PPP control frame; false (and counted) when it is data, not for
 * us or malformed. */
static bool ppp_control(dp_access *a, uint16_t protocol, const uint8_t *payload, size_t len,
			struct dp_ppp *ret)
{
	if (protocol == 0x0021 || protocol == 0x0057 || !payload)
		return false; /* subscriber data */
	struct dp_cur in = dp_cur_make(payload, len);
	enum dp_ppp_fail f = dp_ppp_decode(protocol, &in, ret);
	if (f == DP_PPP_NOT_CONTROL)
		return false;
	if (f != DP_PPP_OK) {
		a->c.malformed_ppp++;
		return false;
	}
	a->c.ppp_control++;
	return true;
}

/*
 * The PPP session state machine shared by PPPoE and L2TP (ACCESS.md):
 * account from PAP/CHAP, start at Ack/Success, address from the BRAS's
 * IPCP Configure-Ack, LCP echoes as news, LCP Terminate-Request ends it
 * (*ret_ended; the caller forgets the entry its own way).
 */
static int ppp_step(dp_access *a, dp_tracker *t, struct entry *e, const struct dp_ppp *ppp,
		    bool up, int64_t ts, emit_fn emit, bool *ret_ended)
{
	*ret_ended = false;
	switch (ppp->protocol) {
	case DP_PPP_PAP:
	case DP_PPP_CHAP: {
		bool pap = ppp->protocol == DP_PPP_PAP;
		if (up && ppp->code == (pap ? DP_PPP_PAP_REQ : DP_PPP_CHAP_RESPONSE)) {
			e->account.len = 0;
			set_view_text(&e->account, ppp->name);
		} else if (!up && ppp->code == (pap ? DP_PPP_PAP_ACK : DP_PPP_CHAP_SUCCESS) &&
			   !e->authed && e->account.len) {
			e->authed = true;
			return emit(a, t, e, DP_ACCT_START, ts, 0);
		} else if (!up && ppp->code == (pap ? DP_PPP_PAP_NAK : DP_PPP_CHAP_FAILURE)) {
			a->c.logins_failed++;
		}
		return 0;
	}
	case DP_PPP_IPCP:
		/* RFC 1332: the BRAS acks the address the client asked for */
		if (!up && ppp->code == DP_PPP_CONF_ACK && ppp->has_ip) {
			e->has_ip = true;
			memcpy(e->ip, ppp->ip, 4);
			if (e->authed)
				return emit(a, t, e, DP_ACCT_INTERIM, ts, 0);
		}
		return 0;
	case DP_PPP_LCP:
		if (ppp->code != DP_PPP_TERM_REQ) {
			/* echoes and the rest of LCP: the session is alive */
			return e->authed ? emit(a, t, e, DP_ACCT_INTERIM, ts, 0) : 0;
		}
		*ret_ended = true;
		return e->authed ? emit(a, t, e, DP_ACCT_STOP, ts,
					up ? 1 /* User-Request */ : 10 /* NAS-Request */)
				 : 0;
	default:
		return 0;
	}
}

static int pppoe_session(dp_access *a, dp_tracker *t, const struct dp_l2 *l2,
			 const struct dp_pppoe *p, int64_t ts)
{
	struct dp_ppp ppp;
	if (!ppp_control(a, p->ppp_protocol, p->ppp_payload, p->ppp_len, &ppp))
		return 0;
	/* upstream when the sender is the session's client */
	bool up = true;
	struct entry *e = find(a, l2->src, p->session_id, 1);
	if (!e) {
		e = find(a, l2->dst, p->session_id, 1);
		up = false;
	}
	if (!e) {
		/* a session whose discovery we did not see: learn it from the
		 * client's first control frame (PAP/CHAP come from the client) */
		if (!((ppp.protocol == DP_PPP_PAP && ppp.code == DP_PPP_PAP_REQ) ||
		      (ppp.protocol == DP_PPP_CHAP && ppp.code == DP_PPP_CHAP_RESPONSE)))
			return 0;
		e = get(a, l2->src, p->session_id, 1, ts);
		if (!e)
			return -ENOMEM;
		up = true;
	}
	/* downstream frames come from the concentrator that opened the session
	 * (PADS): anyone else's Ack/Success/IPCP-Ack/Terminate is ignored */
	if (!up && e->has_bras && memcmp(l2->src, e->bras, 6) != 0) {
		a->c.foreign_ppp++;
		return 0;
	}
	e->last_ns = ts;
	bool ended = false;
	int err = ppp_step(a, t, e, &ppp, up, ts, pppoe_emit, &ended);
	if (ended)
		drop(a, e);
	return err;
}

int dp_access_pppoe(dp_access *a, dp_tracker *t, const struct dp_l2 *l2, int64_t ts_ns)
{
	struct dp_pppoe p;
	struct dp_cur in = dp_cur_make(l2->payload, l2->payload_len);
	a->c.pppoe_frames++;
	prune(a, ts_ns);
	if (dp_pppoe_decode(l2->ethertype, &in, &p) != DP_PPPOE_OK) {
		a->c.malformed_pppoe++;
		return dp_tracker_advance(t, ts_ns);
	}
	int err = l2->ethertype == 0x8863 ? pppoe_discovery(a, t, l2, &p, ts_ns)
					   : pppoe_session(a, t, l2, &p, ts_ns);
	return err ? err : dp_tracker_advance(t, ts_ns);
}

/* ---- DHCPv4 --------------------------------------------------------------- */

static int dhcp_emit(dp_access *a, dp_tracker *t, struct entry *e, uint32_t status, int64_t ts,
		     unsigned cause)
{
	struct dp_acct_msg m;
	msg_init(&m, status, ts, RT_SRC_DHCP);
	char mac[18];
	memcpy(mac, mac_str(a, e->mac), sizeof(mac));
	int n = snprintf(a->sid_buf, sizeof(a->sid_buf), "dhcp:%s", mac);
	m.session_id.p = a->sid_buf;
	m.session_id.len = (uint8_t)n;
	/* the line map, by subscriber-id, then remote-id, then circuit-id
	 * (ACCESS.md); else the line identity stands in for the account and
	 * the record is flagged unmapped (unless RADIUS claims the MAC) */
	e->unmapped = !(dp_linemap_lookup(a->linemap, DP_LINE_SUBSCRIBER, e->subscriber.v,
					  e->subscriber.len, &m.account) ||
			dp_linemap_lookup(a->linemap, DP_LINE_REMOTE, e->remote.v, e->remote.len,
					  &m.account) ||
			dp_linemap_lookup(a->linemap, DP_LINE_CIRCUIT, e->circuit.v,
					  e->circuit.len, &m.account));
	if (e->unmapped) {
		const struct rt_text *acct = e->remote.len ? &e->remote
					     : e->circuit.len ? &e->circuit
					     : e->subscriber.len ? &e->subscriber : NULL;
		if (acct) {
			m.account = view(acct);
		} else {
			m.account.p = a->mac_buf;
			m.account.len = 17;
		}
	}
	if (e->remote.len)
		m.calling_number = view(&e->remote);
	else if (e->circuit.len)
		m.calling_number = view(&e->circuit);
	else {
		m.calling_number.p = a->mac_buf;
		m.calling_number.len = 17;
	}
	m.nas_port_id = view(&e->circuit);
	if (e->has_nas) {
		m.has_nas_rec = true;
		m.nas_rec = e->nas;
	}
	m.has_ipv4 = e->has_ip;
	memcpy(m.ipv4, e->ip, 4);
	m.has_client_mac = true;
	memcpy(m.client_mac, e->mac, 6);
	if (status != DP_ACCT_STOP) {
		m.has_expires = true;
		m.expires_ns = e->lease_end_ns;
	} else if (cause) {
		m.has_cause = true;
		m.cause = cause;
	}
	m.keepalive = status == DP_ACCT_INTERIM;
	return dp_tracker_acct(t, &m);
}

int dp_access_dhcp4(dp_access *a, dp_tracker *t, const struct dp_frame *f, int64_t ts_ns)
{
	struct dp_dhcp4 d;
	struct dp_cur in = dp_cur_make(f->payload, f->payload_len);
	prune(a, ts_ns);
	if (dp_dhcp4_decode(&in, &d) != DP_DHCP4_OK) {
		a->c.malformed_dhcp4++;
		return dp_tracker_advance(t, ts_ns);
	}
	a->c.dhcp4_messages++;
	if (d.htype != 1 || d.hlen != 6)
		return dp_tracker_advance(t, ts_ns); /* not Ethernet: no MAC to key on */
	static const uint8_t zero4[4];
	struct entry *e = find(a, d.chaddr, 0, 2);
	if (e && ts_ns > e->lease_end_ns) {
		drop(a, e); /* the tracker closed it as lease-expired */
		e = NULL;
	}
	int err = 0;
	if (d.op == 2 && d.msg_type == DP_DHCP4_ACK && memcmp(d.yiaddr, zero4, 4) != 0) {
		uint32_t lease = d.has_lease_time ? d.lease_time : 86400;
		int64_t end = lease == 0xffffffffu ? INT64_MAX / 2 : ts_ns + (int64_t)lease * NS;
		if (e && e->has_ip && memcmp(e->ip, d.yiaddr, 4) != 0) {
			/* another address: the old binding ends here */
			err = dhcp_emit(a, t, e, DP_ACCT_STOP, ts_ns, 10 /* NAS-Request */);
			drop(a, e);
			e = NULL;
			if (err)
				return err;
		}
		bool renew = e && e->has_ip;
		if (!e) {
			e = get(a, d.chaddr, 0, 2, ts_ns);
			if (!e)
				return -ENOMEM;
		}
		e->has_ip = true;
		memcpy(e->ip, d.yiaddr, 4);
		e->lease_end_ns = end;
		e->last_ns = ts_ns;
		if (d.has_relay_info) {
			e->circuit.len = e->remote.len = e->subscriber.len = 0;
			set_view_text(&e->circuit, d.circuit_id);
			set_view_text(&e->remote, d.remote_id);
			set_view_text(&e->subscriber, d.subscriber_id);
		}
		if (memcmp(d.giaddr, zero4, 4) != 0) {
			e->has_nas = true;
			e->nas.family = 4;
			memset(e->nas.a, 0, sizeof(e->nas.a));
			memcpy(e->nas.a, d.giaddr, 4);
		}
		err = dhcp_emit(a, t, e, renew ? DP_ACCT_INTERIM : DP_ACCT_START, ts_ns, 0);
	} else if (d.op == 1 && (d.msg_type == DP_DHCP4_RELEASE || d.msg_type == DP_DHCP4_DECLINE)) {
		if (e && e->has_ip) {
			err = dhcp_emit(a, t, e, DP_ACCT_STOP, ts_ns,
					d.msg_type == DP_DHCP4_RELEASE ? RT_CAUSE_RELEASE
								       : 17 /* User-Error */);
			drop(a, e);
		}
	} else if (d.op == 1 && d.has_relay_info) {
		/* the relay's option 82 on requests: keep it for the ACK */
		struct entry *x = e ? e : get(a, d.chaddr, 0, 2, ts_ns);
		if (!x)
			return -ENOMEM;
		if (!e)
			x->lease_end_ns = ts_ns + IDLE_NS; /* a request, no lease yet */
		x->circuit.len = x->remote.len = x->subscriber.len = 0;
		set_view_text(&x->circuit, d.circuit_id);
		set_view_text(&x->remote, d.remote_id);
		set_view_text(&x->subscriber, d.subscriber_id);
	}
	return err ? err : dp_tracker_advance(t, ts_ns);
}

/* ---- DHCPv6 (RFC 8415) ----------------------------------------------------- */

static int dhcp6_emit(dp_access *a, dp_tracker *t, struct entry *e, uint32_t status, int64_t ts,
		      unsigned cause)
{
	struct dp_acct_msg m;
	msg_init(&m, status, ts, RT_SRC_DHCP);
	int n = snprintf(a->sid_buf, sizeof(a->sid_buf), "dhcp6:%.*s", (int)e->duid_hex.len,
			 e->duid_hex.v);
	m.session_id.p = a->sid_buf;
	m.session_id.len = (uint8_t)(n < (int)sizeof(a->sid_buf) ? n : (int)sizeof(a->sid_buf) - 1);
	/* the line identity (Remote-ID, else Interface-ID) stands in for an
	 * unmapped account, else the client's DUID */
	const struct rt_text *line = e->remote.len ? &e->remote : e->circuit.len ? &e->circuit
									: &e->duid_hex;
	m.account = view(line);
	m.calling_number = view(line);
	m.nas_port_id = view(&e->circuit);
	m.has_ipv6_addr = e->has_v6addr;
	memcpy(m.ipv6_addr, e->v6addr, 16);
	m.delegated_prefix = e->pd;
	m.delegated_prefix.present = e->has_pd;
	if (status != DP_ACCT_STOP) {
		m.has_expires = true;
		m.expires_ns = e->lease_end_ns;
		m.keepalive = status == DP_ACCT_INTERIM;
	} else if (cause) {
		m.has_cause = true;
		m.cause = cause;
	}
	return dp_tracker_acct(t, &m);
}

/* 48 bits of a DUID: the table key (the session id carries the DUID). */
static void duid_key(struct rt_view duid, uint8_t key[6])
{
	uint64_t h = 1469598103934665603ULL;
	for (unsigned i = 0; i < duid.len; i++)
		h = (h ^ (uint8_t)duid.p[i]) * 1099511628211ULL;
	for (unsigned i = 0; i < 6; i++)
		key[i] = (uint8_t)(h >> (8 * i));
}

static void text_hex(struct rt_text *t, struct rt_view v)
{
	static const char hx[] = "0123456789abcdef";
	unsigned n = 0;
	for (unsigned i = 0; i < v.len && n + 2 <= 96; i++) {
		t->v[n++] = hx[(uint8_t)v.p[i] >> 4];
		t->v[n++] = hx[(uint8_t)v.p[i] & 15];
	}
	t->len = (uint8_t)n;
}

int dp_access_dhcp6(dp_access *a, dp_tracker *t, const struct dp_frame *f, int64_t ts_ns)
{
	struct dp_dhcp6 d;
	struct dp_cur in = dp_cur_make(f->payload, f->payload_len);
	prune(a, ts_ns);
	if (dp_dhcp6_decode(&in, &d) != DP_DHCP6_OK) {
		a->c.malformed_dhcp6++;
		return dp_tracker_advance(t, ts_ns);
	}
	a->c.dhcp6_messages++;
	if (!d.client_id.len)
		return dp_tracker_advance(t, ts_ns);
	uint8_t key[6];
	duid_key(d.client_id, key);
	struct entry *e = find(a, key, 0, 3);
	if (e && e->has_ip && ts_ns > e->lease_end_ns) {
		drop(a, e); /* the tracker closed it as lease-expired */
		e = NULL;
	}
	int err = 0;
	if (d.msg_type == DP_DHCP6_REPLY && !(d.has_status && d.status != 0)) {
		/* RFC 8415 section 18.2.10: the leases are the IA_NA/IA_PD
		 * contents with a non-zero valid lifetime */
		uint32_t valid = 0;
		bool has_addr = false, has_pd = false;
		uint8_t addr[16] = {0};
		struct rt_prefix6 pd = {0};
		for (unsigned i = 0; i < d.addr_count; i++)
			if (d.addrs[i].valid && !(d.addrs[i].has_status && d.addrs[i].status)) {
				if (!has_addr)
					memcpy(addr, d.addrs[i].addr, 16);
				has_addr = true;
				if (d.addrs[i].valid > valid)
					valid = d.addrs[i].valid;
			}
		for (unsigned i = 0; i < d.prefix_count; i++)
			if (d.prefixes[i].valid && !(d.prefixes[i].has_status && d.prefixes[i].status)) {
				if (!has_pd)
					pd = d.prefixes[i].prefix;
				has_pd = true;
				if (d.prefixes[i].valid > valid)
					valid = d.prefixes[i].valid;
			}
		if (!has_addr && !has_pd)
			return dp_tracker_advance(t, ts_ns); /* no lease in it */
		bool renew = e && e->has_ip;
		if (!e) {
			e = get(a, key, 0, 3, ts_ns);
			if (!e)
				return -ENOMEM;
			text_hex(&e->duid_hex, d.client_id);
		}
		e->has_ip = true; /* "bound" */
		e->has_v6addr = has_addr;
		if (has_addr)
			memcpy(e->v6addr, addr, 16);
		e->has_pd = has_pd;
		if (has_pd) {
			e->pd = pd;
			/* text form: bits beyond the length are zero */
			for (unsigned b = 0; b < 16; b++) {
				unsigned bits = b * 8;
				if (bits >= pd.plen)
					e->pd.a[b] = 0;
				else if (pd.plen - bits < 8)
					e->pd.a[b] &= (uint8_t)(0xff00u >> (pd.plen - bits));
			}
		}
		e->lease_end_ns = valid == 0xffffffffu ? INT64_MAX / 2 : ts_ns + (int64_t)valid * NS;
		e->last_ns = ts_ns;
		if (d.interface_id.len || d.remote_id.len) {
			e->circuit.len = e->remote.len = 0;
			set_view_text(&e->circuit, d.interface_id);
			set_view_text(&e->remote, d.remote_id);
		}
		err = dhcp6_emit(a, t, e, renew ? DP_ACCT_INTERIM : DP_ACCT_START, ts_ns, 0);
	} else if (d.msg_type == DP_DHCP6_RELEASE && e && e->has_ip) {
		err = dhcp6_emit(a, t, e, DP_ACCT_STOP, ts_ns, RT_CAUSE_RELEASE);
		drop(a, e);
	}
	return err ? err : dp_tracker_advance(t, ts_ns);
}

/* ---- L2TPv2 (RFC 2661) ------------------------------------------------------ */

/*
 * Keys (48 bits of a hash in the entry's mac field): kind 4, the session by
 * (LAC, LNS, LAC tunnel, LAC session); kind 5, a tunnel by (LAC, LNS, LNS
 * tunnel) -> LAC tunnel; kind 6, the LNS's session id -> the kind 4 entry's
 * LAC ids.  Data from the LNS carries the LAC's ids, data from the LAC the
 * LNS's.
 */
static void l2tp_key(const struct rt_addr *lac, const struct rt_addr *lns, uint16_t x,
		     uint16_t y, uint8_t kind, uint8_t key[6])
{
	uint64_t h = 1469598103934665603ULL ^ kind;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ lac->a[i]) * 1099511628211ULL;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ lns->a[i]) * 1099511628211ULL;
	h = (h ^ x) * 1099511628211ULL;
	h = (h ^ y) * 1099511628211ULL;
	for (unsigned i = 0; i < 6; i++)
		key[i] = (uint8_t)(h >> (8 * i));
}

static int l2tp_emit(dp_access *a, dp_tracker *t, struct entry *e, uint32_t status, int64_t ts,
		     unsigned cause)
{
	struct dp_acct_msg m;
	msg_init(&m, status, ts, RT_SRC_L2TP);
	char lac[48];
	if (e->lac.family == 4)
		snprintf(lac, sizeof(lac), "%u.%u.%u.%u", e->lac.a[0], e->lac.a[1], e->lac.a[2],
			 e->lac.a[3]);
	else
		snprintf(lac, sizeof(lac), "%02x%02x::%02x%02x", e->lac.a[0], e->lac.a[1],
			 e->lac.a[14], e->lac.a[15]);
	int n = snprintf(a->sid_buf, sizeof(a->sid_buf), "l2tp:%s:%u:%u", lac, e->lac_tid, e->sid);
	m.session_id.p = a->sid_buf;
	m.session_id.len = (uint8_t)n;
	m.account = view(&e->account);
	m.calling_number = view(&e->remote); /* the Calling Number AVP */
	m.has_nas_rec = true;
	m.nas_rec = e->lns;                  /* the LNS terminates the PPP session */
	m.has_ipv4 = e->has_ip;
	memcpy(m.ipv4, e->ip, 4);
	if (status == DP_ACCT_STOP && cause) {
		m.has_cause = true;
		m.cause = cause;
	}
	m.keepalive = status == DP_ACCT_INTERIM;
	if (status == DP_ACCT_START && a->accepts)
		(void)dp_accepts_fill_ppp(a->accepts, &m, &e->lns, m.nas_id, NULL);
	return dp_tracker_acct(t, &m);
}

static struct entry *l2tp_session(dp_access *a, const struct rt_addr *lac,
				  const struct rt_addr *lns, uint16_t lac_tid, uint16_t lac_sid)
{
	uint8_t k[6];
	l2tp_key(lac, lns, lac_tid, lac_sid, 4, k);
	return find(a, k, lac_sid, 4);
}

/* The session a message from the LAC names by the LNS's ids. */
static struct entry *l2tp_by_lns_ids(dp_access *a, const struct rt_addr *lac,
				     const struct rt_addr *lns, uint16_t lns_tid, uint16_t lns_sid)
{
	uint8_t k[6];
	l2tp_key(lac, lns, lns_tid, lns_sid, 6, k);
	struct entry *alias = find(a, k, lns_sid, 6);
	return alias ? l2tp_session(a, lac, lns, alias->lac_tid, alias->lns_sid) : NULL;
}

static int l2tp_ppp(dp_access *a, dp_tracker *t, struct entry *e, const struct dp_l2tp *l,
		    bool up, int64_t ts)
{
	struct dp_ppp ppp;
	if (!ppp_control(a, l->ppp_protocol, l->ppp_payload, l->ppp_len, &ppp))
		return 0;
	e->last_ns = ts;
	bool ended = false;
	int err = ppp_step(a, t, e, &ppp, up, ts, l2tp_emit, &ended);
	if (ended)
		e->authed = false; /* the CDN that follows changes nothing */
	return err;
}

int dp_access_l2tp(dp_access *a, dp_tracker *t, const struct dp_frame *f, int64_t ts_ns,
		   const struct dp_secrets *secrets)
{
	struct dp_l2tp l;
	struct dp_l2tp_hidden_buf hb;
	struct dp_cur in = dp_cur_make(f->payload, f->payload_len);
	const struct dp_secret *sec = secrets ? dp_secrets_lookup(secrets, &f->src) : NULL;
	prune(a, ts_ns);
	if (dp_l2tp_decode(&in, sec ? sec->v : NULL, sec ? sec->len : 0, &hb, &l) != DP_L2TP_OK) {
		a->c.malformed_l2tp++;
		return dp_tracker_advance(t, ts_ns);
	}
	a->c.l2tp_messages++;
	int err = 0;
	uint8_t k[6];
	struct entry *e;
	if (!l.control) {
		/* data: from the LNS it names the LAC's ids, from the LAC the LNS's;
		 * try the LNS->LAC reading first (LAC = destination) */
		bool up = false;
		e = l2tp_session(a, &f->dst, &f->src, l.tunnel_id, l.session_id);
		if (!e) {
			e = l2tp_by_lns_ids(a, &f->src, &f->dst, l.tunnel_id, l.session_id);
			up = true;
		}
		if (e)
			err = l2tp_ppp(a, t, e, &l, up, ts_ns);
		return err ? err : dp_tracker_advance(t, ts_ns);
	}
	switch (l.msg_type) {
	case DP_L2TP_SCCRP: /* LNS -> LAC: header = LAC tunnel, AVP 9 = LNS tunnel */
		if (!l.has_assigned_tunnel_id)
			break;
		l2tp_key(&f->dst, &f->src, l.assigned_tunnel_id, 0, 5, k);
		e = get(a, k, 0, 5, ts_ns);
		if (!e)
			return -ENOMEM;
		e->lac_tid = l.tunnel_id;
		e->last_ns = ts_ns;
		break;
	case DP_L2TP_ICRQ: { /* LAC -> LNS: header = LNS tunnel, AVP 14 = LAC session */
		if (!l.has_assigned_session_id)
			break;
		l2tp_key(&f->src, &f->dst, l.tunnel_id, 0, 5, k);
		struct entry *tun = find(a, k, 0, 5);
		if (!tun)
			break; /* tunnel set-up not seen */
		l2tp_key(&f->src, &f->dst, tun->lac_tid, l.assigned_session_id, 4, k);
		e = get(a, k, l.assigned_session_id, 4, ts_ns);
		if (!e)
			return -ENOMEM;
		e->lac = f->src;
		e->lns = f->dst;
		e->lac_tid = tun->lac_tid;
		e->lns_tid = l.tunnel_id;
		e->last_ns = ts_ns;
		e->remote.len = 0;
		if (l.calling_hidden)
			rt_text_set(&e->remote, "hidden", 6);
		else
			set_view_text(&e->remote, l.calling);
		break;
	}
	case DP_L2TP_ICRP: { /* LNS -> LAC: header = LAC ids, AVP 14 = LNS session */
		e = l2tp_session(a, &f->dst, &f->src, l.tunnel_id, l.session_id);
		if (!e || !l.has_assigned_session_id)
			break;
		e->lns_sid = l.assigned_session_id;
		l2tp_key(&f->dst, &f->src, e->lns_tid, e->lns_sid, 6, k);
		struct entry *al = get(a, k, e->lns_sid, 6, ts_ns);
		if (!al)
			return -ENOMEM;
		al->lac_tid = e->lac_tid;
		al->lns_sid = e->sid; /* the LAC session id */
		al->last_ns = ts_ns;
		break;
	}
	case DP_L2TP_CDN: {
		/* from the LNS: header = LAC ids; from the LAC: header = LNS ids */
		bool from_lac = false;
		e = l2tp_session(a, &f->dst, &f->src, l.tunnel_id, l.session_id);
		if (!e) {
			e = l2tp_by_lns_ids(a, &f->src, &f->dst, l.tunnel_id, l.session_id);
			from_lac = e != NULL;
		}
		if (!e)
			break;
		if (e->authed)
			err = l2tp_emit(a, t, e, DP_ACCT_STOP, ts_ns, from_lac ? 1 : 10);
		drop(a, e);
		break;
	}
	default:
		break;
	}
	return err ? err : dp_tracker_advance(t, ts_ns);
}

bool dp_access_dhcp4_unmapped(const dp_access *a, const struct rt_session *s)
{
	static const char pfx[] = "dhcp:";
	uint8_t mac[6];
	if (s->sources != RT_SRC_DHCP || s->session_id.len != 5 + 17 ||
	    memcmp(s->session_id.v, pfx, 5) != 0 || !rt_mac_parse(s->session_id.v + 5, 17, mac))
		return false;
	const struct entry *e = find((dp_access *)a, mac, 0, 2);
	return e && e->unmapped;
}
