/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Access-Request/Access-Accept correlation (accepts.h, ACCESS.md).
 *
 * Fixed, direct-mapped tables allocated once: REQ_SLOTS pending requests,
 * ENT_SLOTS accepted users (about 7 MiB together).  Keys are 64-bit FNV-1a
 * hashes, and every hit is confirmed by comparing the key fields, so a
 * hash collision can only evict, never mix two users.
 */
#include "accepts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REQ_SLOTS 4096u
#define ENT_SLOTS 8192u

/* Which address fields an accounting session ever carried itself. */
enum {
	HAS_IPV4 = 1u << 0,
	HAS_V6ADDR = 1u << 1,
	HAS_V6PFX = 1u << 2,
	HAS_DPFX = 1u << 3,
};

struct acc_req {
	uint64_t tag; /* 0: empty */
	int64_t seen_ns;
	struct rt_addr client; /* the key fields the tag hashes, to confirm a hit */
	uint16_t port;
	uint8_t id;
	uint8_t auth[16];
	struct rt_addr nas;
	struct rt_text user, nas_id;
	bool has_mac;
	uint8_t mac[6];
};

struct acc_ent {
	uint64_t key; /* hash(NAS, User-Name); 0: empty */
	int64_t accept_ns;
	struct rt_addr nas;
	struct rt_text user, class_, nas_id;
	bool has_mac;
	uint8_t mac[6];
	bool has_ipv4, has_v6addr;
	uint8_t ipv4[4], v6addr[16];
	struct rt_prefix6 v6pfx, dpfx;
	bool bound;         /* matched by an accounting session ... */
	uint64_t bound_sid; /* ... with this Acct-Session-Id hash */
	uint8_t acct_has;   /* HAS_* the accounting carried itself */
};

struct dp_accepts {
	struct acc_req req[REQ_SLOTS];
	struct acc_ent ent[ENT_SLOTS];
	uint32_t by_class[ENT_SLOTS]; /* entry + 1 */
	uint32_t by_user[ENT_SLOTS];  /* entry + 1 */
};

int dp_accepts_alloc(dp_accepts **ret)
{
	dp_accepts *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*ret = a;
	return 0;
}

void dp_accepts_free(dp_accepts *a)
{
	free(a);
}

#define FNV0 1469598103934665603ULL
#define FNVP 1099511628211ULL

static uint64_t fnv(uint64_t h, const void *v, size_t n)
{
	const uint8_t *b = v;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNVP;
	return h;
}

static uint64_t addr_hash(uint64_t h, const struct rt_addr *x)
{
	h = fnv(h, &x->family, 1);
	return fnv(h, x->a, x->family == 6 ? 16 : 4);
}

static uint64_t req_tag(const struct rt_addr *client, uint16_t port, uint8_t id)
{
	uint64_t h = addr_hash(FNV0, client);
	uint8_t b[3] = {(uint8_t)(port >> 8), (uint8_t)port, id};
	return fnv(h, b, 3) | 1;
}

static uint64_t user_key(const struct rt_addr *nas, const char *u, size_t n)
{
	return fnv(addr_hash(FNV0, nas), u, n) | 1;
}

static size_t mix(uint64_t h, size_t slots)
{
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) & (slots - 1);
}

static bool addr_eq(const struct rt_addr *x, const struct rt_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, x->family == 6 ? 16 : 4) == 0;
}

static bool text_eq(const struct rt_text *t, const char *v, size_t n)
{
	return t->len == n && memcmp(t->v, v, n) == 0;
}

/* The NAS a request speaks for: NAS-IP-Address, else NAS-IPv6-Address,
 * else its source (the rule the tracker keys accounting by). */
static void nas_of(const struct dp_radius_acct *r, const struct rt_addr *src, struct rt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (r->has_nas_ip) {
		out->family = 4;
		memcpy(out->a, r->nas_ip, 4);
	} else if (r->has_nas_ipv6) {
		out->family = 6;
		memcpy(out->a, r->nas_ipv6, 16);
	} else {
		*out = *src;
	}
}

void dp_accepts_request(dp_accepts *a, const struct rt_addr *client, uint16_t port,
			const struct dp_radius_access *r, int64_t ts_ns)
{
	uint64_t tag = req_tag(client, port, r->attrs.identifier);
	struct acc_req *q = &a->req[mix(tag, REQ_SLOTS)];
	q->tag = tag;
	q->seen_ns = ts_ns;
	q->client = *client;
	q->port = port;
	q->id = r->attrs.identifier;
	memcpy(q->auth, r->attrs.authenticator, 16);
	nas_of(&r->attrs, client, &q->nas);
	/* User-Name, Calling-Station-Id, NAS-Identifier: never the password */
	rt_text_set(&q->user, r->attrs.user_name.p, r->attrs.user_name.len);
	rt_text_set(&q->nas_id, r->attrs.nas_id.p, r->attrs.nas_id.len);
	q->has_mac = r->attrs.calling.len &&
		     rt_mac_parse(r->attrs.calling.p, r->attrs.calling.len, q->mac);
}

static struct acc_req *req_find(const dp_accepts *a, const struct rt_addr *client, uint16_t port,
				uint8_t id, int64_t ts_ns)
{
	uint64_t tag = req_tag(client, port, id);
	const struct acc_req *q = &a->req[mix(tag, REQ_SLOTS)];
	if (q->tag != tag || ts_ns < q->seen_ns || ts_ns - q->seen_ns > DP_ACCEPT_REQ_WINDOW_NS)
		return NULL;
	/* a colliding tag must not pair a response with another client's
	 * request (an unsigned Accept answering a signed NAS's request) */
	if (!addr_eq(&q->client, client) || q->port != port || q->id != id)
		return NULL;
	return (struct acc_req *)q;
}

bool dp_accepts_request_auth(const dp_accepts *a, const struct rt_addr *client, uint16_t port,
			     uint8_t id, int64_t ts_ns, uint8_t ret_auth[16])
{
	const struct acc_req *q = req_find(a, client, port, id, ts_ns);
	if (!q)
		return false;
	memcpy(ret_auth, q->auth, 16);
	return true;
}

static struct acc_ent *ent_by_user_key(dp_accepts *a, const struct rt_addr *nas, const char *u,
				       size_t n)
{
	uint64_t k = user_key(nas, u, n);
	struct acc_ent *e = &a->ent[mix(k, ENT_SLOTS)];
	if (e->key != k || !addr_eq(&e->nas, nas) || !text_eq(&e->user, u, n))
		return NULL;
	return e;
}

enum dp_accept_verdict dp_accepts_response(dp_accepts *a, const struct rt_addr *client,
					   uint16_t port, const struct dp_radius_access *r,
					   const uint8_t *p, size_t len,
					   const struct dp_secret *sec, int64_t ts_ns)
{
	const struct dp_radius_acct *x = &r->attrs;
	struct acc_req *q = req_find(a, client, port, x->identifier, ts_ns);
	if (!q)
		return DP_ACCEPT_UNMATCHED;
	/* RFC 2865 section 3: the Response Authenticator binds the response
	 * to the request and the secret; a forged Accept fails here. */
	if (sec && !dp_radius_response_verify(p, len, q->auth, sec->v, sec->len))
		return DP_ACCEPT_BAD_AUTH;
	q->tag = 0; /* answered: a second response to it is unmatched */

	/* RFC 2865 section 5.1: an Accept may carry the User-Name the NAS is
	 * to use in accounting; else it is the request's. */
	const char *u = x->user_name.len ? x->user_name.p : q->user.v;
	size_t un = x->user_name.len ? x->user_name.len : q->user.len;

	if (x->code == DP_RADIUS_ACCESS_REJECT) {
		struct acc_ent *e = ent_by_user_key(a, &q->nas, u, un);
		if (e)
			e->key = 0;
		return DP_ACCEPT_REJECTED;
	}
	if (x->code != DP_RADIUS_ACCESS_ACCEPT)
		return DP_ACCEPT_OTHER;

	uint64_t k = user_key(&q->nas, u, un);
	size_t slot = mix(k, ENT_SLOTS);
	struct acc_ent *e = &a->ent[slot];
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->accept_ns = ts_ns;
	e->nas = q->nas;
	rt_text_set(&e->user, u, (unsigned)un);
	rt_text_set(&e->class_, x->class_.p, x->class_.len);
	e->nas_id = q->nas_id;
	e->has_mac = q->has_mac;
	memcpy(e->mac, q->mac, 6);
	e->has_ipv4 = x->has_framed_ip;
	memcpy(e->ipv4, x->framed_ip, 4);
	e->has_v6addr = x->has_framed_ipv6_addr;
	memcpy(e->v6addr, x->framed_ipv6_addr, 16);
	e->v6pfx = x->framed_ipv6_prefix;
	e->dpfx = x->delegated_prefix;
	if (e->class_.len)
		a->by_class[mix(fnv(FNV0, e->class_.v, e->class_.len), ENT_SLOTS)] =
			(uint32_t)slot + 1;
	if (e->user.len)
		a->by_user[mix(fnv(FNV0, e->user.v, e->user.len), ENT_SLOTS)] = (uint32_t)slot + 1;
	return DP_ACCEPT_STORED;
}

static struct acc_ent *ent_by_class(dp_accepts *a, struct rt_view c)
{
	if (!c.len)
		return NULL;
	uint32_t i = a->by_class[mix(fnv(FNV0, c.p, c.len), ENT_SLOTS)];
	if (!i)
		return NULL;
	struct acc_ent *e = &a->ent[i - 1];
	return e->key && text_eq(&e->class_, c.p, c.len) ? e : NULL;
}

/* Fill what m lacks; remember what it carried (accounting wins).
 * @return true if a field was filled */
static bool apply(struct acc_ent *e, struct dp_acct_msg *m, bool remember)
{
	const uint8_t keep = remember ? 0xff : 0;
	bool filled = false;
	if (m->has_ipv4) {
		e->acct_has |= HAS_IPV4 & keep;
	} else if (e->has_ipv4 && !(e->acct_has & HAS_IPV4)) {
		m->has_ipv4 = true;
		memcpy(m->ipv4, e->ipv4, 4);
		filled = true;
	}
	if (m->has_ipv6_addr) {
		e->acct_has |= HAS_V6ADDR & keep;
	} else if (e->has_v6addr && !(e->acct_has & HAS_V6ADDR)) {
		m->has_ipv6_addr = true;
		memcpy(m->ipv6_addr, e->v6addr, 16);
		filled = true;
	}
	if (m->ipv6_prefix.present) {
		e->acct_has |= HAS_V6PFX & keep;
	} else if (e->v6pfx.present && !(e->acct_has & HAS_V6PFX)) {
		m->ipv6_prefix = e->v6pfx;
		filled = true;
	}
	if (m->delegated_prefix.present) {
		e->acct_has |= HAS_DPFX & keep;
	} else if (e->dpfx.present && !(e->acct_has & HAS_DPFX)) {
		m->delegated_prefix = e->dpfx;
		filled = true;
	}
	return filled;
}

bool dp_accepts_fill_acct(dp_accepts *a, struct dp_acct_msg *m, struct rt_view class_)
{
	const int64_t now = m->capture_ns;
	uint64_t sid = fnv(FNV0, m->session_id.p, m->session_id.len);
	/* RFC 2865 section 5.25: Class "SHOULD be sent unmodified by the
	 * client to the accounting server as part of the Accounting-Request
	 * packet": the server's own token, the primary match (same NAS). */
	struct acc_ent *e = ent_by_class(a, class_);
	if (e && !addr_eq(&e->nas, &m->nas))
		e = NULL;
	if (!e && m->account.len) {
		e = ent_by_user_key(a, &m->nas, m->account.p, m->account.len);
		/* by User-Name: the first session within the window binds it;
		 * later only that session (a new login brings a new Accept) */
		if (e && (e->bound ? e->bound_sid != sid : now - e->accept_ns > DP_ACCEPT_WINDOW_NS))
			e = NULL;
	}
	if (!e || now < e->accept_ns || now - e->accept_ns > DP_ACCEPT_KEEP_NS)
		return false;
	if (!e->bound) {
		e->bound = true;
		e->bound_sid = sid;
	}
	(void)apply(e, m, e->bound_sid == sid);
	return true;
}

bool dp_accepts_fill_ppp(dp_accepts *a, struct dp_acct_msg *m, const struct rt_addr *lns,
			 struct rt_view ac_name, const uint8_t *mac)
{
	if (!m->account.len)
		return false;
	uint32_t i = a->by_user[mix(fnv(FNV0, m->account.p, m->account.len), ENT_SLOTS)];
	if (!i)
		return false;
	struct acc_ent *e = &a->ent[i - 1];
	const int64_t now = m->capture_ns;
	if (!e->key || !text_eq(&e->user, m->account.p, m->account.len) || now < e->accept_ns ||
	    now - e->accept_ns > DP_ACCEPT_WINDOW_NS)
		return false;
	bool same_nas;
	if (lns)
		same_nas = addr_eq(&e->nas, lns);
	else
		same_nas = (ac_name.len && text_eq(&e->nas_id, ac_name.p, ac_name.len)) ||
			   (mac && e->has_mac && memcmp(e->mac, mac, 6) == 0);
	if (!same_nas)
		return false;
	return apply(e, m, false);
}
