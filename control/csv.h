/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file csv.h
 * @brief A bounded RFC 4180 CSV reader over a memory buffer.
 *
 * Design note
 * -----------
 * Records are separated by LF or CRLF; fields by commas.  A field may be
 * quoted with '"'; inside quotes commas, CR, LF and doubled quotes ("") are
 * data.  A quote inside an unquoted field, or anything but a comma or the
 * end of the record after a closing quote, is an error.  A UTF-8 byte-order
 * mark at the very start is skipped; a NUL byte anywhere is an error.
 *
 * Bounds: at most CTL_CSV_FIELDS_MAX fields per record and CTL_CSV_REC_MAX
 * bytes of field data per record; longer records are errors.  After an
 * error the reader resynchronises at the next line feed, so a caller can
 * report every bad line of a file.  The reader never reads outside
 * [buf, buf + len) and never allocates.
 */
#ifndef CTL_CSV_H
#define CTL_CSV_H

#include <stddef.h>

#define CTL_CSV_FIELDS_MAX 64
#define CTL_CSV_REC_MAX 8192

enum ctl_csv_res {
	CTL_CSV_RECORD = 1, /**< a record was read */
	CTL_CSV_EOF = 0,
	CTL_CSV_E_QUOTE = -1,     /**< '"' inside an unquoted field */
	CTL_CSV_E_AFTER_QUOTE = -2, /**< data after a closing quote */
	CTL_CSV_E_UNTERMINATED = -3, /**< quoted field runs to the end of the file */
	CTL_CSV_E_FIELDS = -4,    /**< more than CTL_CSV_FIELDS_MAX fields */
	CTL_CSV_E_LONG = -5,      /**< more than CTL_CSV_REC_MAX bytes */
	CTL_CSV_E_NUL = -6,       /**< NUL byte */
};

struct ctl_csv {
	const char *p, *end;
	unsigned line; /**< line number of the next byte (1-based) */
};

struct ctl_csv_rec {
	unsigned line;   /**< line the record starts on */
	unsigned nfields;
	unsigned off[CTL_CSV_FIELDS_MAX];
	unsigned len[CTL_CSV_FIELDS_MAX];
	char buf[CTL_CSV_REC_MAX + 1]; /**< field bytes, each NUL-terminated */
};

void ctl_csv_init(struct ctl_csv *c, const char *buf, size_t len);

/**
 * Read the next record.  Blank lines are records of one empty field.
 * @param[out] ret  filled on CTL_CSV_RECORD; ret->line is set on errors too
 * @return CTL_CSV_RECORD, CTL_CSV_EOF, or a negative enum ctl_csv_res
 */
int ctl_csv_next(struct ctl_csv *c, struct ctl_csv_rec *ret);

/** Human-readable name of a negative result. */
const char *ctl_csv_strerror(int res);

/** Field i of a record, NUL-terminated ("" past the last field). */
static inline const char *ctl_csv_field(const struct ctl_csv_rec *r, unsigned i)
{
	return i < r->nfields ? r->buf + r->off[i] : "";
}

#endif /* CTL_CSV_H */
