/* SPDX-License-Identifier: BSD-2-Clause */
#include "xmlout.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "timefmt.h"

void ctl_xml_text(FILE *f, const void *v, size_t n)
{
	char stackbuf[2 * 512 + 1];
	char *buf = n <= 512 ? stackbuf : malloc(2 * n + 1);
	if (!buf)
		return;
	size_t m = ctl_utf8_clean(v, n, buf);
	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)buf[i];
		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\r':
			fputs("&#13;", f);
			break;
		case '\t':
		case '\n':
			fputc(c, f);
			break;
		default:
			if (c < 0x20) {
				/* not an XML 1.0 character: its control picture */
				fputc(0xe2, f);
				fputc(0x90, f);
				fputc(0x80 | c, f);
			} else if (c == 0xef && i + 2 < m && (unsigned char)buf[i + 1] == 0xbf &&
				   ((unsigned char)buf[i + 2] == 0xbe ||
				    (unsigned char)buf[i + 2] == 0xbf)) {
				fputs("\xef\xbf\xbd", f); /* U+FFFE/U+FFFF -> U+FFFD */
				i += 2;
			} else {
				fputc(c, f);
			}
		}
	}
	if (buf != stackbuf)
		free(buf);
}

static void el_text(FILE *f, const char *ind, const char *name, const void *v, size_t n)
{
	fprintf(f, "%s<%s>", ind, name);
	ctl_xml_text(f, v, n);
	fprintf(f, "</%s>\n", name);
}

static void el_str(FILE *f, const char *ind, const char *name, const char *s)
{
	if (s && *s)
		el_text(f, ind, name, s, strlen(s));
}

static void el_rt(FILE *f, const char *ind, const char *name, const struct rt_text *t)
{
	if (t->len)
		el_text(f, ind, name, t->v, t->len);
}

void ctl_xml_begin(FILE *f)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<retainedData xmlns=\"" CTL_XML_NS "\" version=\"1\">\n"
	      "  <retainedDataHeader>\n"
	      "    <producer>retain</producer>\n",
	      f);
	char now[CTL_TIME_BUF];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ctl_time_format((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec, now);
	fprintf(f, "    <timeStampOfThisMessage>%s</timeStampOfThisMessage>\n"
		   "  </retainedDataHeader>\n"
		   "  <results>\n", now);
}

static void prefix(FILE *f, const char *name, const struct rt_prefix6 *p)
{
	char a[INET6_ADDRSTRLEN];
	if (!p->present)
		return;
	inet_ntop(AF_INET6, p->a, a, sizeof(a));
	fprintf(f, "        <%s>%s/%u</%s>\n", name, a, p->plen, name);
}

static void time_el(FILE *f, const char *ind, const char *name, int64_t ns)
{
	char b[CTL_TIME_BUF];
	if (ns == RT_TIME_NONE)
		return;
	ctl_time_format(ns, b);
	fprintf(f, "%s<%s>%s</%s>\n", ind, name, b, name);
}

static void identity(FILE *f, const struct ctl_identity *id)
{
	const char *ind = "          ";
	fputs("        <registeredIdentity registered=\"true\">\n", f);
	el_str(f, ind, "category", ctl_category_name(id->category));
	el_str(f, ind, "documentType", ctl_doc_type_name(id->doc_type));
	el_str(f, ind, "documentNumber", id->doc_number);
	el_str(f, ind, "name", id->name);
	el_str(f, ind, "address", id->address);
	el_str(f, ind, "status", ctl_status_name(id->status));
	time_el(f, ind, "registeredAt", id->registered_at_ns);
	time_el(f, ind, "suspendedAt", id->suspended_at_ns);
	time_el(f, ind, "terminatedAt", id->terminated_at_ns);
	el_str(f, ind, "agent", id->agent);
	if (id->category == CTL_CAT_ORGANISATION) {
		el_str(f, ind, "agentDocumentType", ctl_doc_type_name(id->agent_doc_type));
		el_str(f, ind, "agentDocumentNumber", id->agent_doc_number);
		el_str(f, ind, "agentName", id->agent_name);
	}
	fputs("        </registeredIdentity>\n", f);
}

int ctl_xml_row(FILE *f, const struct rt_session *s, const struct ctl_identity *id, bool joined)
{
	const char *ind = "        ";
	char a[INET6_ADDRSTRLEN];
	fputs("    <networkAccessRecord>\n"
	      "      <nwAccessSubscriber>\n", f);
	el_rt(f, ind, "subscriberID", &s->account);
	if (id)
		identity(f, id);
	else if (joined)
		fputs("        <registeredIdentity registered=\"false\"/>\n", f);
	fputs("      </nwAccessSubscriber>\n"
	      "      <nwAccessServiceUsage>\n", f);
	if (s->nas_ip.family) {
		ctl_addr_str(&s->nas_ip, a, sizeof(a));
		fprintf(f, "%s<nasIPAddress>%s</nasIPAddress>\n", ind, a);
	}
	el_rt(f, ind, "nasIdentifier", &s->nas_id);
	el_rt(f, ind, "nasPortID", &s->nas_port_id);
	el_rt(f, ind, "sessionID", &s->session_id);
	time_el(f, ind, "sessionStartTime", s->start_ns);
	time_el(f, ind, "sessionEndTime", s->stop_ns);
	fprintf(f, "%s<sessionStartTimeNs>%lld</sessionStartTimeNs>\n", ind, (long long)s->start_ns);
	if (s->stop_ns != RT_TIME_NONE)
		fprintf(f, "%s<sessionEndTimeNs>%lld</sessionEndTimeNs>\n", ind,
			(long long)s->stop_ns);
	if (s->stop_cause != RT_CAUSE_NONE) {
		const char *c = rt_cause_name(s->stop_cause);
		if (c)
			el_str(f, ind, "sessionTerminationCause", c);
		else
			fprintf(f, "%s<sessionTerminationCause>cause-%u</sessionTerminationCause>\n",
				ind, s->stop_cause);
	}
	if (s->has_ipv4) {
		inet_ntop(AF_INET, s->ipv4, a, sizeof(a));
		fprintf(f, "%s<assignedIPv4Address>%s</assignedIPv4Address>\n", ind, a);
	}
	prefix(f, "assignedIPv6Prefix", &s->ipv6_prefix);
	prefix(f, "delegatedIPv6Prefix", &s->delegated_prefix);
	if (s->has_ipv6_addr) {
		inet_ntop(AF_INET6, s->ipv6_addr, a, sizeof(a));
		fprintf(f, "%s<assignedIPv6Address>%s</assignedIPv6Address>\n", ind, a);
	}
	el_rt(f, ind, "callingNumber", &s->calling_number);
	if (s->has_calling_mac)
		fprintf(f, "%s<callingMAC>%02x:%02x:%02x:%02x:%02x:%02x</callingMAC>\n", ind,
			s->calling_mac[0], s->calling_mac[1], s->calling_mac[2],
			s->calling_mac[3], s->calling_mac[4], s->calling_mac[5]);
	static const char *const src[] = {"radius", "pppoe", "dhcp", "l2tp"};
	for (unsigned i = 0; i < 4; i++)
		if (s->sources & (1u << i))
			fprintf(f, "%s<source>%s</source>\n", ind, src[i]);
	el_str(f, ind, "authentication", rt_auth_name(s->auth));
	if (s->has_clock_skew)
		fprintf(f, "%s<clockSkewMs>%d</clockSkewMs>\n", ind, s->clock_skew_ms);
	if (s->flags & RT_FLAG_UNMAPPED)
		fprintf(f, "%s<unmapped>true</unmapped>\n", ind);
	fputs("      </nwAccessServiceUsage>\n"
	      "    </networkAccessRecord>\n", f);
	return 0;
}

void ctl_xml_end(FILE *f, unsigned long long rows)
{
	fprintf(f, "  </results>\n"
		   "  <numberOfRecords>%llu</numberOfRecords>\n"
		   "</retainedData>\n", rows);
}
