/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Field-by-field equality of two sessions for the tracker tests (every
 * field, bytes past a flag included: the record is plain data).
 */
#ifndef SESS_EQ_H
#define SESS_EQ_H

#include <stdbool.h>
#include <string.h>

#include "session.h"

static inline bool text_eq(const struct rt_text *a, const struct rt_text *b)
{
	return a->len == b->len && memcmp(a->v, b->v, a->len) == 0;
}

static inline bool prefix_eq(const struct rt_prefix6 *a, const struct rt_prefix6 *b)
{
	return a->present == b->present && a->plen == b->plen && memcmp(a->a, b->a, 16) == 0;
}

static inline bool sess_eq(const struct rt_session *a, const struct rt_session *b)
{
	return a->start_ns == b->start_ns && a->stop_ns == b->stop_ns &&
	       a->last_news_ns == b->last_news_ns && a->prev_news_ns == b->prev_news_ns &&
	       text_eq(&a->account, &b->account) && text_eq(&a->session_id, &b->session_id) &&
	       text_eq(&a->calling_number, &b->calling_number) && text_eq(&a->nas_id, &b->nas_id) &&
	       text_eq(&a->nas_port_id, &b->nas_port_id) &&
	       a->nas_ip.family == b->nas_ip.family && memcmp(a->nas_ip.a, b->nas_ip.a, 16) == 0 &&
	       a->has_ipv4 == b->has_ipv4 && memcmp(a->ipv4, b->ipv4, 4) == 0 &&
	       a->has_ipv6_addr == b->has_ipv6_addr && memcmp(a->ipv6_addr, b->ipv6_addr, 16) == 0 &&
	       prefix_eq(&a->ipv6_prefix, &b->ipv6_prefix) &&
	       prefix_eq(&a->delegated_prefix, &b->delegated_prefix) &&
	       a->has_calling_mac == b->has_calling_mac &&
	       memcmp(a->calling_mac, b->calling_mac, 6) == 0 &&
	       a->has_clock_skew == b->has_clock_skew && a->clock_skew_ms == b->clock_skew_ms &&
	       a->stop_cause == b->stop_cause && a->sources == b->sources && a->auth == b->auth &&
	       a->flags == b->flags;
}

#endif
