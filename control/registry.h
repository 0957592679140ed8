/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file registry.h
 * @brief The real-name registry: account -> registered identity.
 *
 * Design note
 * -----------
 * Stored in its own LMDB environment inside the store directory
 * (DIR/registry.mdb, MDB_NOSUBDIR, 0600), so that a store and the registry
 * it is joined with travel together and the session store's writer is never
 * blocked by a registry import.  One writer (import, purge); any number of
 * readers (query joins).
 *
 * Documents are validated on import (DESIGN.md section 6): 18-digit
 * resident ID (region code shape, real birth date, ISO 7064 MOD 11-2 check
 * character), 18-character unified social credit code (GB 32100-2015 check
 * character), passports and HK/Macau/Taiwan permits by format.  An
 * organisation also needs its handling agent's identity.
 *
 * Registration data is personal data: only the lawful-query paths read it,
 * and those are audited (control/audit.h).
 */
#ifndef CTL_REGISTRY_H
#define CTL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_REG_TEXT_MAX 256

enum ctl_category {
	CTL_CAT_INDIVIDUAL = 1,
	CTL_CAT_ORGANISATION = 2,
};

enum ctl_doc_type {
	CTL_DOC_NONE = 0,
	CTL_DOC_RESIDENT_ID,      /**< "resident_id" */
	CTL_DOC_RESIDENCE_PERMIT, /**< "residence_permit" */
	CTL_DOC_PASSPORT,         /**< "passport" */
	CTL_DOC_HK_MACAU_PERMIT,  /**< "hk_macau_permit" */
	CTL_DOC_TAIWAN_PERMIT,    /**< "taiwan_permit" */
	CTL_DOC_CREDIT_CODE,      /**< "credit_code" */
	CTL_DOC_BUSINESS_LICENCE, /**< "business_licence" */
	CTL_DOC_MAX
};

enum ctl_status {
	CTL_STATUS_ACTIVE = 1,
	CTL_STATUS_SUSPENDED = 2,
	CTL_STATUS_TERMINATED = 3,
};

/** One registered identity.  Text fields are NUL-terminated UTF-8. */
struct ctl_identity {
	char account[CTL_REG_TEXT_MAX];
	uint8_t category;  /**< enum ctl_category */
	uint8_t doc_type;  /**< enum ctl_doc_type */
	char doc_number[64];
	char name[CTL_REG_TEXT_MAX];
	char address[CTL_REG_TEXT_MAX * 2];
	uint8_t status;    /**< enum ctl_status */
	int64_t registered_at_ns;
	int64_t suspended_at_ns;  /**< RT_TIME_NONE (INT64_MIN) if never */
	int64_t terminated_at_ns; /**< RT_TIME_NONE if not terminated */
	char agent[CTL_REG_TEXT_MAX];  /**< registering agent / channel */
	uint8_t agent_doc_type;        /**< organisations: the handling agent's document */
	char agent_doc_number[64];
	char agent_name[CTL_REG_TEXT_MAX];
};

typedef struct ctl_registry ctl_registry;

/**
 * Open the registry of a store directory.
 * @param[in] write  0: read-only (a missing registry is an empty one);
 *                   1: writable, created if missing
 * @return 0, -ENOENT (no store dir), -errno, or a negative LMDB error
 */
int ctl_registry_open(const char *store_dir, int write, ctl_registry **ret);

/** NULL ok. */
void ctl_registry_close(ctl_registry *r);

/**
 * Look an account up (exact bytes).
 * @return 0 and fills ret, -ENOENT if the account is not registered (or
 *         len is 0 or >= CTL_REG_TEXT_MAX), -EBADMSG (the stored record
 *         failed validation), or a negative LMDB error
 */
int ctl_registry_get(ctl_registry *r, const char *account, size_t len,
		     struct ctl_identity *ret);

/**
 * The `registered` object joined into query results: category, doc_type,
 * doc_number, name, address, status, registered_at, suspended_at,
 * terminated_at, agent (and agent_doc_type, agent_doc_number, agent_name
 * for organisations).  New reference; NULL on allocation failure.
 */
json_t *ctl_identity_json(const struct ctl_identity *id);


/* ---- names ------------------------------------------------------------ */

/** "individual", "organisation"; NULL for an unknown value. */
const char *ctl_category_name(unsigned c);
/** "resident_id", ...; NULL for an unknown value. */
const char *ctl_doc_type_name(unsigned t);
/** "active", "suspended", "terminated"; NULL for an unknown value. */
const char *ctl_status_name(unsigned s);
/** Name -> value; 0 when unknown. */
unsigned ctl_category_parse(const char *name);
unsigned ctl_doc_type_parse(const char *name);
unsigned ctl_status_parse(const char *name);

/* ---- writing and walking ------------------------------------------------ */

/** LMDB error or -errno of this module as text. */
const char *ctl_registry_strerror(int err);

/**
 * Store identities, all or nothing, in one write transaction: an account
 * already registered is replaced.  Identities are not validated here (see
 * ctl_identity_validate()).
 * @return 0, -EROFS (read-only handle), -EINVAL (empty account), or a
 *         negative LMDB error (nothing is changed)
 */
int ctl_registry_put(ctl_registry *r, const struct ctl_identity *ids, size_t n);

/**
 * Visit every identity in account byte order.  fn returns non-zero to stop
 * (that value is returned).  The identity is valid only during the call.
 * @return 0, fn's value, -EBADMSG (a stored record failed validation), or
 *         a negative LMDB error
 */
int ctl_registry_foreach(ctl_registry *r,
			 int (*fn)(void *ctx, const struct ctl_identity *id), void *ctx);

/**
 * Delete every terminated account whose termination is strictly before
 * cutoff_ns, in one transaction; fn (may be NULL) sees each one first.
 * @param[out] ret_n  accounts purged (set on success)
 * @return 0, -EROFS, -EBADMSG, or a negative LMDB error (nothing removed)
 */
int ctl_registry_purge(ctl_registry *r, int64_t cutoff_ns,
		       void (*fn)(void *ctx, const struct ctl_identity *id), void *ctx,
		       size_t *ret_n);

/**
 * The purge cutoff "now minus `years` calendar years" (same month, day and
 * time of day; 29 February becomes 28 February).  An account terminated at
 * exactly the cutoff is kept; one nanosecond earlier it is purged.
 */
int64_t ctl_registry_cutoff_years(int64_t now_ns, unsigned years);

/**
 * Check one identity as the import does: account, name and address
 * non-empty, known category/doc type/status, document number valid for its
 * type (ctl_id_check), status dates consistent, an organisation's agent
 * document valid.  Document numbers are upper-cased in place first.
 * @param[out] why  reason on failure
 * @return 0, or -EINVAL with why filled
 */
int ctl_identity_validate(struct ctl_identity *id, int64_t today_ns, char *why, size_t whylen);

#endif /* CTL_REGISTRY_H */
