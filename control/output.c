/* SPDX-License-Identifier: BSD-2-Clause */
#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "xmlout.h"

int ctl_fmt_parse(const char *name, enum ctl_fmt *ret)
{
	static const struct {
		const char *n;
		enum ctl_fmt f;
	} t[] = {{"json", CTL_FMT_JSON},
		 {"jsonl", CTL_FMT_JSONL},
		 {"csv", CTL_FMT_CSV},
		 {"table", CTL_FMT_TABLE},
		 {"xml", CTL_FMT_XML}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].n) == 0) {
			*ret = t[i].f;
			return 0;
		}
	return -EINVAL;
}

void ctl_addr_str(const struct rt_addr *a, char *buf, size_t len)
{
	if (a->family == 4)
		inet_ntop(AF_INET, a->a, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->a, buf, (socklen_t)len);
	else if (len)
		buf[0] = '\0';
}

/* Length of a valid UTF-8 sequence at s (max n), or 0 if invalid. */
static unsigned utf8_seq(const unsigned char *s, unsigned n)
{
	unsigned char c = s[0];
	unsigned need;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (need > n)
		return 0;
	for (unsigned i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* Raw bytes -> valid UTF-8 (invalid bytes read as Latin-1).  out must hold
 * 2 * len + 1 bytes. */
size_t ctl_utf8_clean(const void *v, size_t len, char *out)
{
	const unsigned char *s = v;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned n = utf8_seq(s + i, len - i > 4 ? 4 : (unsigned)(len - i));
		if (n == 0) {
			unsigned char c = s[i];
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = 0;
	return o;
}

static size_t text_utf8(const struct rt_text *t, char *out)
{
	return ctl_utf8_clean(t->v, t->len, out);
}

static json_t *jtext(const struct rt_text *t)
{
	char buf[2 * RT_TEXT_MAX + 1];
	if (!t->len)
		return json_null();
	size_t n = text_utf8(t, buf);
	json_t *j = json_stringn(buf, n);
	return j ? j : json_null();
}

static void prefix_str(const struct rt_prefix6 *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, p->a, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
}

/* Text fields shared by JSON and CSV: NULL means absent. */
struct row_text {
	char ipv4[INET_ADDRSTRLEN];
	char v6p[INET6_ADDRSTRLEN + 5], v6d[INET6_ADDRSTRLEN + 5], v6a[INET6_ADDRSTRLEN];
	char mac[18];
	char nas[INET6_ADDRSTRLEN];
	char start[CTL_TIME_BUF], stop[CTL_TIME_BUF];
	char cause[16];
	char sources[40];
};

static void row_text_fill(const struct rt_session *s, struct row_text *t)
{
	memset(t, 0, sizeof(*t));
	if (s->has_ipv4)
		inet_ntop(AF_INET, s->ipv4, t->ipv4, sizeof(t->ipv4));
	if (s->ipv6_prefix.present)
		prefix_str(&s->ipv6_prefix, t->v6p, sizeof(t->v6p));
	if (s->delegated_prefix.present)
		prefix_str(&s->delegated_prefix, t->v6d, sizeof(t->v6d));
	if (s->has_ipv6_addr)
		inet_ntop(AF_INET6, s->ipv6_addr, t->v6a, sizeof(t->v6a));
	if (s->has_calling_mac)
		snprintf(t->mac, sizeof(t->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 s->calling_mac[0], s->calling_mac[1], s->calling_mac[2],
			 s->calling_mac[3], s->calling_mac[4], s->calling_mac[5]);
	ctl_addr_str(&s->nas_ip, t->nas, sizeof(t->nas));
	ctl_time_format(s->start_ns, t->start);
	if (s->stop_ns != RT_TIME_NONE)
		ctl_time_format(s->stop_ns, t->stop);
	if (s->stop_cause != RT_CAUSE_NONE && !rt_cause_name(s->stop_cause))
		snprintf(t->cause, sizeof(t->cause), "cause-%u", s->stop_cause);
	static const char *const src[] = {"radius", "pppoe", "dhcp", "l2tp"};
	size_t o = 0;
	for (unsigned i = 0; i < 4; i++)
		if (s->sources & (1u << i))
			o += (size_t)snprintf(t->sources + o, sizeof(t->sources) - o, "%s%s",
					      o ? "," : "", src[i]);
}

static const char *cause_str(const struct rt_session *s, const struct row_text *t)
{
	if (s->stop_cause == RT_CAUSE_NONE)
		return NULL;
	const char *n = rt_cause_name(s->stop_cause);
	return n ? n : t->cause;
}

static json_t *jstr_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *ctl_session_json(const struct rt_session *s)
{
	struct row_text t;
	row_text_fill(s, &t);
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "account", jtext(&s->account));
	json_object_set_new(o, "ipv4", jstr_or_null(t.ipv4));
	json_object_set_new(o, "ipv6_prefix", jstr_or_null(t.v6p));
	json_object_set_new(o, "delegated_prefix", jstr_or_null(t.v6d));
	json_object_set_new(o, "ipv6_addr", jstr_or_null(t.v6a));
	json_object_set_new(o, "calling_number", jtext(&s->calling_number));
	json_object_set_new(o, "calling_mac", jstr_or_null(t.mac));
	json_object_set_new(o, "nas_ip", jstr_or_null(t.nas));
	json_object_set_new(o, "nas_id", jtext(&s->nas_id));
	json_object_set_new(o, "nas_port_id", jtext(&s->nas_port_id));
	json_object_set_new(o, "session_id", jtext(&s->session_id));
	json_object_set_new(o, "start", json_string(t.start));
	json_object_set_new(o, "stop", jstr_or_null(t.stop));
	json_object_set_new(o, "start_ns", json_integer(s->start_ns));
	json_object_set_new(o, "stop_ns",
			    s->stop_ns == RT_TIME_NONE ? json_null() : json_integer(s->stop_ns));
	json_object_set_new(o, "stop_cause", jstr_or_null(cause_str(s, &t)));
	json_t *src = json_array();
	static const char *const names[] = {"radius", "pppoe", "dhcp", "l2tp"};
	for (unsigned i = 0; i < 4; i++)
		if (s->sources & (1u << i))
			json_array_append_new(src, json_string(names[i]));
	json_object_set_new(o, "sources", src);
	json_object_set_new(o, "auth", jstr_or_null(rt_auth_name(s->auth)));
	json_object_set_new(o, "clock_skew_ms",
			    s->has_clock_skew ? json_integer(s->clock_skew_ms) : json_null());
	/* only when set: a mapped (or non-DHCP) record has no such key */
	if (s->flags & RT_FLAG_UNMAPPED)
		json_object_set_new(o, "unmapped", json_true());
	return o;
}

static const char *const csv_join_header =
	",registered_category,registered_doc_type,registered_doc_number,registered_name,"
	"registered_status\n";

static const char *const csv_header =
	"account,ipv4,ipv6_prefix,delegated_prefix,ipv6_addr,calling_number,calling_mac,"
	"nas_ip,nas_id,nas_port_id,session_id,start,stop,start_ns,stop_ns,stop_cause,"
	"sources,auth,clock_skew_ms,unmapped\n";

static void csv_cell(FILE *f, const char *s, size_t n)
{
	bool quote = false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			quote = true;
	/* a leading = + - @ would be a formula in spreadsheets: quote and
	 * prefix nothing (data stays exact), the quote is enough for most */
	if (!quote) {
		fwrite(s, 1, n, f);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}

static void csv_text(FILE *f, const struct rt_text *t)
{
	char buf[2 * RT_TEXT_MAX + 1];
	size_t n = text_utf8(t, buf);
	csv_cell(f, buf, n);
}

static void row_csv(FILE *f, const struct rt_session *s)
{
	struct row_text t;
	row_text_fill(s, &t);
	csv_text(f, &s->account);
	fprintf(f, ",%s,%s,%s,%s,", t.ipv4, t.v6p, t.v6d, t.v6a);
	csv_text(f, &s->calling_number);
	fprintf(f, ",%s,%s,", t.mac, t.nas);
	csv_text(f, &s->nas_id);
	fputc(',', f);
	csv_text(f, &s->nas_port_id);
	fputc(',', f);
	csv_text(f, &s->session_id);
	fprintf(f, ",%s,%s,%lld,", t.start, t.stop, (long long)s->start_ns);
	if (s->stop_ns != RT_TIME_NONE)
		fprintf(f, "%lld", (long long)s->stop_ns);
	const char *c = cause_str(s, &t);
	fprintf(f, ",%s,", c ? c : "");
	csv_cell(f, t.sources, strlen(t.sources));
	const char *a = rt_auth_name(s->auth);
	fprintf(f, ",%s,", a ? a : "");
	if (s->has_clock_skew)
		fprintf(f, "%d", s->clock_skew_ms);
	fputs((s->flags & RT_FLAG_UNMAPPED) ? ",true" : ",", f);
}

static void row_table(FILE *f, const struct rt_session *s)
{
	struct row_text t;
	row_text_fill(s, &t);
	char acc[2 * RT_TEXT_MAX + 1], cal[2 * RT_TEXT_MAX + 1], sid[2 * RT_TEXT_MAX + 1];
	text_utf8(&s->account, acc);
	text_utf8(&s->calling_number, cal);
	text_utf8(&s->session_id, sid);
	/* seconds are enough for people; machines use json/csv */
	t.start[19] = 0;
	t.stop[19] = 0;
	const char *c = cause_str(s, &t);
	fprintf(f, "%-19s  %-19s  %-20s  %-15s  %-20s  %-15s  %-16s  %s", t.start,
		*t.stop ? t.stop : "(open)", acc, *t.ipv4 ? t.ipv4 : "-", *cal ? cal : "-",
		t.nas, sid, c ? c : "-");
	if (s->flags & RT_FLAG_UNMAPPED)
		fputs(" (unmapped)", f);
}

void ctl_out_begin_joined(struct ctl_out *o, FILE *f, enum ctl_fmt fmt, ctl_registry *reg)
{
	o->f = f;
	o->fmt = fmt;
	o->rows = 0;
	o->err = 0;
	o->reg = reg;
	if (fmt == CTL_FMT_CSV) {
		fwrite(csv_header, 1, strlen(csv_header) - 1, f);
		fputs(reg ? csv_join_header : "\n", f);
	} else if (fmt == CTL_FMT_TABLE) {
		fprintf(f, "%-19s  %-19s  %-20s  %-15s  %-20s  %-15s  %-16s  %s", "START (UTC)",
			"STOP (UTC)", "ACCOUNT", "IPV4", "CALLING", "NAS", "SESSION", "CAUSE");
		fputs(reg ? "  REGISTERED NAME\n" : "\n", f);
	} else if (fmt == CTL_FMT_JSON) {
		fputs("[", f);
	} else if (fmt == CTL_FMT_XML) {
		ctl_xml_begin(f);
	}
}

void ctl_out_begin(struct ctl_out *o, FILE *f, enum ctl_fmt fmt)
{
	ctl_out_begin_joined(o, f, fmt, NULL);
}

/* The joined identity of a session: 1 registered (id filled), 0 not
 * registered, negative on a registry error. */
static int join(struct ctl_out *o, const struct rt_session *s, struct ctl_identity *id)
{
	int rc = ctl_registry_get(o->reg, s->account.v, s->account.len, id);
	if (rc == 0)
		return 1;
	return rc == -ENOENT ? 0 : rc;
}

static void csv_join(FILE *f, const struct ctl_identity *id)
{
	if (!id) {
		fputs(",,,,,", f);
		return;
	}
	const char *c = ctl_category_name(id->category), *d = ctl_doc_type_name(id->doc_type),
		   *st = ctl_status_name(id->status);
	fprintf(f, ",%s,%s,", c ? c : "", d ? d : "");
	csv_cell(f, id->doc_number, strlen(id->doc_number));
	fputc(',', f);
	char buf[2 * sizeof(id->name) + 1];
	size_t n = ctl_utf8_clean(id->name, strlen(id->name), buf);
	csv_cell(f, buf, n);
	fprintf(f, ",%s", st ? st : "");
}

int ctl_out_row(struct ctl_out *o, const struct rt_session *s)
{
	struct ctl_identity idbuf, *id = NULL;
	if (o->reg) {
		int rc = join(o, s, &idbuf);
		if (rc < 0)
			return o->err = rc;
		if (rc)
			id = &idbuf;
	}
	switch (o->fmt) {
	case CTL_FMT_JSON:
	case CTL_FMT_JSONL: {
		json_t *j = ctl_session_json(s);
		if (!j)
			return o->err = -ENOMEM;
		if (o->reg) {
			json_t *r = id ? ctl_identity_json(id) : json_null();
			if (!r) {
				json_decref(j);
				return o->err = -ENOMEM;
			}
			json_object_set_new(j, "registered", r);
		}
		if (o->fmt == CTL_FMT_JSON)
			fputs(o->rows ? ",\n " : "\n ", o->f);
		if (json_dumpf(j, o->f, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0 && !o->err)
			o->err = -EIO;
		if (o->fmt == CTL_FMT_JSONL)
			fputc('\n', o->f);
		json_decref(j);
		break;
	}
	case CTL_FMT_CSV:
		row_csv(o->f, s);
		if (o->reg)
			csv_join(o->f, id);
		fputc('\n', o->f);
		break;
	case CTL_FMT_TABLE:
		row_table(o->f, s);
		if (o->reg) {
			char nb[2 * sizeof(idbuf.name) + 1];
			if (id)
				ctl_utf8_clean(id->name, strlen(id->name), nb);
			fprintf(o->f, "  %s", id ? nb : "(unregistered)");
		}
		fputc('\n', o->f);
		break;
	case CTL_FMT_XML:
		if (ctl_xml_row(o->f, s, id, o->reg != NULL) < 0)
			return o->err = -ENOMEM;
		break;
	}
	o->rows++;
	if (ferror(o->f) && !o->err)
		o->err = -EIO;
	return o->err;
}

int ctl_out_end(struct ctl_out *o)
{
	if (o->fmt == CTL_FMT_JSON)
		fputs(o->rows ? "\n]\n" : "]\n", o->f);
	else if (o->fmt == CTL_FMT_TABLE)
		fprintf(o->f, "(%llu session%s)\n", o->rows, o->rows == 1 ? "" : "s");
	else if (o->fmt == CTL_FMT_XML)
		ctl_xml_end(o->f, o->rows);
	if (fflush(o->f) != 0 && !o->err)
		o->err = -errno;
	return o->err;
}
