/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file idcheck.h
 * @brief Validation of identity document numbers (DESIGN.md section 6).
 *
 * Design note
 * -----------
 * Pure functions over a byte string (no NUL needed, any bytes allowed), so
 * they can be unit-tested and fuzzed alone.  Input is expected normalised:
 * ASCII upper case (ctl_id_normalise() does that); a lower-case letter is a
 * charset error.  What is checked, per document type:
 *
 *  - resident_id, residence_permit: 18 characters.  Digits 1-6 a region
 *    code whose first two digits are a province-level code (11-15, 21-23,
 *    31-37, 41-46, 50-54, 61-65, 71, 81, 82, 83, 91); digits 7-14 a real
 *    calendar date from 1900-01-01 to today; digits 15-17 a sequence; the
 *    18th the ISO 7064 MOD 11-2 check character (0-9 or X).  A
 *    residence_permit (HK/Macau/Taiwan residents: 81/82/83; foreigners'
 *    permanent residence cards: 91) has the same structure and must start
 *    with 81, 82, 83 or 91.
 *  - credit_code (GB 32100-2015): 18 characters of 0-9 A-H J-N P-R T-U
 *    W-Y; the 18th is the check character 31 - (sum mod 31) over weights
 *    3^i mod 31 (31 maps to 0).
 *  - business_licence: a 15-digit registration number (digits only) or a
 *    valid 18-character credit code.
 *  - passport: 5 to 17 characters of A-Z 0-9 with at least one digit
 *    (Chinese passports E12345678 / G12345678 / EA1234567; foreign ones
 *    are mostly 6-9 alphanumerics; we do not know every issuer's rules).
 *  - hk_macau_permit (Mainland Travel Permit for HK/Macau residents): H or
 *    M followed by 8 or 10 digits.
 *  - taiwan_permit (Mainland Travel Permit for Taiwan residents): 8 digits,
 *    or 10 characters of A-Z 0-9.
 */
#ifndef CTL_IDCHECK_H
#define CTL_IDCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/** Why a document number was rejected; ctl_id_fail_str() names them. */
enum ctl_id_fail {
	CTL_ID_OK = 0,
	CTL_ID_EMPTY,      /**< no characters */
	CTL_ID_LENGTH,     /**< wrong number of characters for the type */
	CTL_ID_CHARSET,    /**< a character the type does not use */
	CTL_ID_REGION,     /**< resident ID: not a province-level region code */
	CTL_ID_BIRTH_DATE, /**< resident ID: impossible date, before 1900 or in the future */
	CTL_ID_CHECK,      /**< wrong check character */
	CTL_ID_FORMAT,     /**< shape of the type not met (prefix, digits) */
	CTL_ID_TYPE,       /**< unknown document type */
	CTL_ID_FAIL_MAX
};

/** Human-readable reason; never NULL. */
const char *ctl_id_fail_str(enum ctl_id_fail f);

/**
 * Validate a document number.
 * @param[in] type      enum ctl_doc_type
 * @param[in] today_ns  "today" for birth-date checks (ns since the epoch, UTC)
 * @return CTL_ID_OK or the first reason found
 */
enum ctl_id_fail ctl_id_check(unsigned type, const char *s, size_t n, int64_t today_ns);

enum ctl_id_fail ctl_id_check_resident(const char *s, size_t n, int64_t today_ns);
enum ctl_id_fail ctl_id_check_credit_code(const char *s, size_t n);

/** ISO 7064 MOD 11-2 check character of 17 digits; 0 if one is not a digit. */
char ctl_id_resident_check_char(const char *first17);
/** GB 32100-2015 check character of 17 characters; 0 if one is not in the charset. */
char ctl_id_credit_check_char(const char *first17);

/** In-place ASCII upper-casing (document numbers are case-insensitive). */
void ctl_id_normalise(char *s, size_t n);

#endif /* CTL_IDCHECK_H */
