/* SPDX-License-Identifier: BSD-2-Clause */
#include "csv.h"

#include <stdbool.h>
#include <string.h>

void ctl_csv_init(struct ctl_csv *c, const char *buf, size_t len)
{
	c->p = buf;
	c->end = buf + len;
	c->line = 1;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
}

const char *ctl_csv_strerror(int res)
{
	switch (res) {
	case CTL_CSV_E_QUOTE:
		return "quote inside an unquoted field";
	case CTL_CSV_E_AFTER_QUOTE:
		return "characters after a closing quote";
	case CTL_CSV_E_UNTERMINATED:
		return "quoted field not terminated";
	case CTL_CSV_E_FIELDS:
		return "too many fields";
	case CTL_CSV_E_LONG:
		return "record too long";
	case CTL_CSV_E_NUL:
		return "NUL byte";
	default:
		return "ok";
	}
}

/* Skip to just after the next LF (error recovery). */
static void resync(struct ctl_csv *c)
{
	while (c->p < c->end) {
		char ch = *c->p++;
		if (ch == '\n') {
			c->line++;
			return;
		}
	}
}

int ctl_csv_next(struct ctl_csv *c, struct ctl_csv_rec *r)
{
	r->line = c->line;
	r->nfields = 0;
	if (c->p >= c->end)
		return CTL_CSV_EOF;
	size_t o = 0;  /* bytes used in r->buf */
	int err = 0;
	for (;;) {
		/* one field starts at c->p */
		if (r->nfields == CTL_CSV_FIELDS_MAX) {
			err = CTL_CSV_E_FIELDS;
			break;
		}
		unsigned f = r->nfields++;
		r->off[f] = (unsigned)o;
		bool quoted = c->p < c->end && *c->p == '"';
		bool rec_end = false;
		if (quoted) {
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					err = CTL_CSV_E_UNTERMINATED;
					break;
				}
				char ch = *c->p++;
				if (ch == '"') {
					if (c->p < c->end && *c->p == '"') {
						c->p++;
					} else {
						break; /* closing quote */
					}
				} else if (ch == '\0') {
					err = CTL_CSV_E_NUL;
					break;
				} else if (ch == '\n') {
					c->line++;
				}
				if (o >= CTL_CSV_REC_MAX) {
					err = CTL_CSV_E_LONG;
					break;
				}
				r->buf[o++] = ch;
			}
			if (err)
				break;
			/* after the closing quote: , or end of record */
			if (c->p >= c->end) {
				rec_end = true;
			} else if (*c->p == ',') {
				c->p++;
			} else if (*c->p == '\n') {
				c->p++;
				c->line++;
				rec_end = true;
			} else if (*c->p == '\r' && c->end - c->p >= 2 && c->p[1] == '\n') {
				c->p += 2;
				c->line++;
				rec_end = true;
			} else {
				err = CTL_CSV_E_AFTER_QUOTE;
				break;
			}
		} else {
			for (;;) {
				if (c->p >= c->end) {
					rec_end = true;
					break;
				}
				char ch = *c->p;
				if (ch == ',') {
					c->p++;
					break;
				}
				if (ch == '\n') {
					c->p++;
					c->line++;
					rec_end = true;
					break;
				}
				if (ch == '\r' && c->end - c->p >= 2 && c->p[1] == '\n') {
					c->p += 2;
					c->line++;
					rec_end = true;
					break;
				}
				if (ch == '"') {
					err = CTL_CSV_E_QUOTE;
					break;
				}
				if (ch == '\0') {
					err = CTL_CSV_E_NUL;
					break;
				}
				if (o >= CTL_CSV_REC_MAX) {
					err = CTL_CSV_E_LONG;
					break;
				}
				r->buf[o++] = ch;
				c->p++;
			}
			if (err)
				break;
		}
		r->len[f] = (unsigned)(o - r->off[f]);
		if (o >= CTL_CSV_REC_MAX + 1) {
			err = CTL_CSV_E_LONG;
			break;
		}
		r->buf[o++] = '\0';
		if (rec_end)
			return CTL_CSV_RECORD;
		if (o > CTL_CSV_REC_MAX) {
			err = CTL_CSV_E_LONG;
			break;
		}
	}
	/* an unterminated quote has consumed the rest of the file: nothing
	 * to resynchronise with */
	if (err != CTL_CSV_E_UNTERMINATED)
		resync(c);
	r->nfields = 0;
	return err;
}
