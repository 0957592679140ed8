/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The real-name registry in DIR/registry.mdb.
 *
 * Record layout (value of key = account bytes), little-endian:
 *
 *     0      2     3         4        5       6              7
 *     +------+-----+---------+--------+-------+--------------+
 *     | "RG" | ver | category| doctype| status| agent_doctype|
 *     +------+-----+---------+--------+-------+--------------+
 *     | i64 registered_at | i64 suspended_at | i64 terminated_at |
 *     +------------------------------------------------------------+
 *     | 6 x (u16 length, bytes): doc_number, name, address, agent,  |
 *     |   agent_doc_number, agent_name                               |
 *     +------------------------------------------------------------+
 *
 * ver is 1.  A record read back is checked against these bounds (lengths
 * within the fields of struct ctl_identity, nothing left over).
 */
#include "registry.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idcheck.h"
#include "session.h"
#include "timefmt.h"

#define REG_MAGIC0 'R'
#define REG_MAGIC1 'G'
#define REG_VERSION 1
#define REG_HDR 31
#define REG_MAP_SIZE (1ULL << 30)

struct ctl_registry {
	MDB_env *env; /**< NULL: read-only and no registry yet (empty) */
	MDB_dbi dbi;
	int write;
};

/* ---- names ------------------------------------------------------------ */

static const char *const cat_names[] = {NULL, "individual", "organisation"};
static const char *const doc_names[CTL_DOC_MAX] = {
	NULL,		   "resident_id",   "residence_permit", "passport",
	"hk_macau_permit", "taiwan_permit", "credit_code",	"business_licence",
};
static const char *const status_names[] = {NULL, "active", "suspended", "terminated"};

#define NAME_OF(t, v) ((v) < sizeof(t) / sizeof((t)[0]) ? (t)[v] : NULL)

const char *ctl_category_name(unsigned c)
{
	return NAME_OF(cat_names, c);
}

const char *ctl_doc_type_name(unsigned t)
{
	return NAME_OF(doc_names, t);
}

const char *ctl_status_name(unsigned s)
{
	return NAME_OF(status_names, s);
}

static unsigned parse_name(const char *const *t, unsigned n, const char *name)
{
	for (unsigned i = 1; i < n; i++)
		if (t[i] && strcmp(t[i], name) == 0)
			return i;
	return 0;
}

unsigned ctl_category_parse(const char *name)
{
	return parse_name(cat_names, 3, name);
}

unsigned ctl_doc_type_parse(const char *name)
{
	return parse_name(doc_names, CTL_DOC_MAX, name);
}

unsigned ctl_status_parse(const char *name)
{
	return parse_name(status_names, 4, name);
}

const char *ctl_registry_strerror(int err)
{
	if (err == -EBADMSG)
		return "registry record failed validation";
	if (err == -EROFS)
		return "registry opened read-only";
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	return strerror(-err);
}

/* ---- open / close ------------------------------------------------------ */

int ctl_registry_open(const char *store_dir, int write, ctl_registry **ret)
{
	struct stat sb;
	if (stat(store_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return -ENOENT;
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/registry.mdb", store_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	ctl_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->write = write;
	if (!write && access(path, F_OK) != 0) {
		*ret = r; /* no registry yet: empty */
		return 0;
	}
	int rc = mdb_env_create(&r->env);
	if (rc)
		goto free_r;
	rc = mdb_env_set_mapsize(r->env, REG_MAP_SIZE);
	if (rc)
		goto close_env;
	rc = mdb_env_open(r->env, path,
			  MDB_NOSUBDIR | MDB_NOTLS | (write ? 0 : MDB_RDONLY), 0600);
	if (rc)
		goto close_env;
	MDB_txn *txn;
	rc = mdb_txn_begin(r->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	if (rc)
		goto close_env;
	rc = mdb_dbi_open(txn, NULL, 0, &r->dbi);
	if (rc) {
		mdb_txn_abort(txn);
		goto close_env;
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		goto close_env;
	*ret = r;
	return 0;
close_env:
	mdb_env_close(r->env);
free_r:
	free(r);
	return rc > 0 ? -rc : rc;
}

void ctl_registry_close(ctl_registry *r)
{
	if (!r)
		return;
	if (r->env)
		mdb_env_close(r->env);
	free(r);
}

/* ---- record codec ------------------------------------------------------- */

static void put_i64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (unsigned i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t get_i64(const unsigned char *p)
{
	uint64_t u = 0;
	for (unsigned i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

struct str_field {
	size_t off, cap;
};

#define SF(m) {offsetof(struct ctl_identity, m), sizeof(((struct ctl_identity *)0)->m)}
static const struct str_field str_fields[] = {
	SF(doc_number), SF(name), SF(address), SF(agent), SF(agent_doc_number), SF(agent_name),
};
#define N_STR (sizeof(str_fields) / sizeof(str_fields[0]))
#define REC_MAX (REG_HDR + N_STR * 2 + sizeof(struct ctl_identity))

static size_t encode(const struct ctl_identity *id, unsigned char *b)
{
	b[0] = REG_MAGIC0;
	b[1] = REG_MAGIC1;
	b[2] = REG_VERSION;
	b[3] = id->category;
	b[4] = id->doc_type;
	b[5] = id->status;
	b[6] = id->agent_doc_type;
	put_i64(b + 7, id->registered_at_ns);
	put_i64(b + 15, id->suspended_at_ns);
	put_i64(b + 23, id->terminated_at_ns);
	size_t o = REG_HDR;
	for (unsigned i = 0; i < N_STR; i++) {
		const char *s = (const char *)id + str_fields[i].off;
		size_t n = strnlen(s, str_fields[i].cap - 1);
		b[o] = (unsigned char)(n & 0xff);
		b[o + 1] = (unsigned char)(n >> 8);
		memcpy(b + o + 2, s, n);
		o += 2 + n;
	}
	return o;
}

static int decode(const MDB_val *k, const MDB_val *v, struct ctl_identity *id)
{
	const unsigned char *b = v->mv_data;
	size_t len = v->mv_size;
	memset(id, 0, sizeof(*id));
	if (k->mv_size == 0 || k->mv_size >= sizeof(id->account))
		return -EBADMSG;
	if (len < REG_HDR || b[0] != REG_MAGIC0 || b[1] != REG_MAGIC1 || b[2] != REG_VERSION)
		return -EBADMSG;
	memcpy(id->account, k->mv_data, k->mv_size);
	id->category = b[3];
	id->doc_type = b[4];
	id->status = b[5];
	id->agent_doc_type = b[6];
	id->registered_at_ns = get_i64(b + 7);
	id->suspended_at_ns = get_i64(b + 15);
	id->terminated_at_ns = get_i64(b + 23);
	size_t o = REG_HDR;
	for (unsigned i = 0; i < N_STR; i++) {
		if (len - o < 2)
			return -EBADMSG;
		size_t n = (size_t)b[o] | (size_t)b[o + 1] << 8;
		o += 2;
		if (n >= str_fields[i].cap || n > len - o)
			return -EBADMSG;
		memcpy((char *)id + str_fields[i].off, b + o, n);
		o += n;
	}
	return o == len ? 0 : -EBADMSG;
}

/* ---- reading ------------------------------------------------------------- */

int ctl_registry_get(ctl_registry *r, const char *account, size_t len,
		     struct ctl_identity *ret)
{
	if (!r->env || len == 0 || len >= CTL_REG_TEXT_MAX)
		return -ENOENT;
	MDB_txn *txn;
	int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc > 0 ? -rc : rc;
	MDB_val k = {len, (void *)account}, v;
	rc = mdb_get(txn, r->dbi, &k, &v);
	if (rc == 0) {
		struct ctl_identity id;
		rc = decode(&k, &v, &id);
		if (rc == 0)
			*ret = id;
	} else if (rc == MDB_NOTFOUND) {
		rc = -ENOENT;
	}
	mdb_txn_abort(txn);
	return rc;
}

int ctl_registry_foreach(ctl_registry *r,
			 int (*fn)(void *ctx, const struct ctl_identity *id), void *ctx)
{
	if (!r->env)
		return 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc > 0 ? -rc : rc;
	rc = mdb_cursor_open(txn, r->dbi, &cur);
	if (rc)
		goto abort_txn;
	MDB_val k, v;
	struct ctl_identity *id = malloc(sizeof(*id));
	if (!id) {
		rc = -ENOMEM;
		goto close_cur;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		rc = decode(&k, &v, id);
		if (rc)
			break;
		rc = fn(ctx, id);
		if (rc)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	free(id);
close_cur:
	mdb_cursor_close(cur);
abort_txn:
	mdb_txn_abort(txn);
	return rc > 0 ? -rc : rc;
}

/* ---- writing ------------------------------------------------------------- */

int ctl_registry_put(ctl_registry *r, const struct ctl_identity *ids, size_t n)
{
	if (!r->write || !r->env)
		return -EROFS;
	MDB_txn *txn;
	int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
	if (rc)
		return rc > 0 ? -rc : rc;
	unsigned char *b = malloc(REC_MAX);
	if (!b) {
		mdb_txn_abort(txn);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t al = strnlen(ids[i].account, sizeof(ids[i].account) - 1);
		if (al == 0) {
			rc = -EINVAL;
			break;
		}
		MDB_val k = {al, (void *)ids[i].account};
		MDB_val v = {encode(&ids[i], b), b};
		rc = mdb_put(txn, r->dbi, &k, &v, 0);
		if (rc)
			break;
	}
	free(b);
	if (rc) {
		mdb_txn_abort(txn);
		return rc > 0 ? -rc : rc;
	}
	rc = mdb_txn_commit(txn);
	return rc > 0 ? -rc : rc;
}

int ctl_registry_purge(ctl_registry *r, int64_t cutoff_ns,
		       void (*fn)(void *ctx, const struct ctl_identity *id), void *ctx,
		       size_t *ret_n)
{
	if (!r->write || !r->env)
		return -EROFS;
	MDB_txn *txn;
	MDB_cursor *cur;
	size_t n = 0;
	int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
	if (rc)
		return rc > 0 ? -rc : rc;
	rc = mdb_cursor_open(txn, r->dbi, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return rc > 0 ? -rc : rc;
	}
	struct ctl_identity *id = malloc(sizeof(*id));
	if (!id) {
		rc = -ENOMEM;
		goto close_cur;
	}
	MDB_val k, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		rc = decode(&k, &v, id);
		if (rc)
			break;
		if (id->status != CTL_STATUS_TERMINATED || id->terminated_at_ns == RT_TIME_NONE ||
		    id->terminated_at_ns >= cutoff_ns)
			continue;
		if (fn)
			fn(ctx, id);
		rc = mdb_cursor_del(cur, 0);
		if (rc)
			break;
		n++;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	free(id);
close_cur:
	mdb_cursor_close(cur);
	if (rc) {
		mdb_txn_abort(txn);
		return rc > 0 ? -rc : rc;
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		return rc > 0 ? -rc : rc;
	*ret_n = n;
	return 0;
}

int64_t ctl_registry_cutoff_years(int64_t now_ns, unsigned years)
{
	const int64_t day = 86400LL * 1000000000LL;
	int64_t days = now_ns / day - (now_ns % day < 0);
	int64_t tod = now_ns - days * day;
	/* civil from days (Howard Hinnant's algorithm) */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	y -= years;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		d = 28;
	return ctl_days_from_civil(y, m, d) * day + tod;
}

/* ---- validation ------------------------------------------------------- */

int ctl_identity_validate(struct ctl_identity *id, int64_t today_ns, char *why, size_t whylen)
{
#define FAIL(...) do { snprintf(why, whylen, __VA_ARGS__); return -EINVAL; } while (0)
	if (!id->account[0])
		FAIL("account is empty");
	if (strlen(id->account) > RT_TEXT_MAX)
		FAIL("account longer than %d bytes", RT_TEXT_MAX);
	if (!ctl_category_name(id->category))
		FAIL("category must be individual or organisation");
	if (!ctl_doc_type_name(id->doc_type))
		FAIL("unknown doc_type");
	ctl_id_normalise(id->doc_number, strlen(id->doc_number));
	enum ctl_id_fail f = ctl_id_check(id->doc_type, id->doc_number, strlen(id->doc_number),
					  today_ns);
	if (f != CTL_ID_OK)
		FAIL("doc_number '%s' is not a valid %s: %s", id->doc_number,
		     ctl_doc_type_name(id->doc_type), ctl_id_fail_str(f));
	bool org_doc = id->doc_type == CTL_DOC_CREDIT_CODE || id->doc_type == CTL_DOC_BUSINESS_LICENCE;
	if (id->category == CTL_CAT_INDIVIDUAL && org_doc)
		FAIL("an individual cannot register with a %s", ctl_doc_type_name(id->doc_type));
	if (id->category == CTL_CAT_ORGANISATION && !org_doc)
		FAIL("an organisation registers with a credit_code or business_licence");
	if (!id->name[0])
		FAIL("name is empty");
	if (!id->address[0])
		FAIL("address is empty");
	if (!ctl_status_name(id->status))
		FAIL("status must be active, suspended or terminated");
	if (id->registered_at_ns == RT_TIME_NONE)
		FAIL("registered_at is missing");
	if (id->status == CTL_STATUS_SUSPENDED && id->suspended_at_ns == RT_TIME_NONE)
		FAIL("status suspended needs suspended_at");
	if (id->status == CTL_STATUS_TERMINATED && id->terminated_at_ns == RT_TIME_NONE)
		FAIL("status terminated needs terminated_at");
	if (id->status != CTL_STATUS_TERMINATED && id->terminated_at_ns != RT_TIME_NONE)
		FAIL("terminated_at given but status is %s", ctl_status_name(id->status));
	if (id->terminated_at_ns != RT_TIME_NONE && id->terminated_at_ns < id->registered_at_ns)
		FAIL("terminated_at is before registered_at");
	if (id->suspended_at_ns != RT_TIME_NONE && id->suspended_at_ns < id->registered_at_ns)
		FAIL("suspended_at is before registered_at");
	if (id->category == CTL_CAT_ORGANISATION) {
		if (!ctl_doc_type_name(id->agent_doc_type) ||
		    id->agent_doc_type == CTL_DOC_CREDIT_CODE ||
		    id->agent_doc_type == CTL_DOC_BUSINESS_LICENCE)
			FAIL("an organisation needs the agent's personal document "
			     "(agent_doc_type)");
		ctl_id_normalise(id->agent_doc_number, strlen(id->agent_doc_number));
		f = ctl_id_check(id->agent_doc_type, id->agent_doc_number,
				 strlen(id->agent_doc_number), today_ns);
		if (f != CTL_ID_OK)
			FAIL("agent_doc_number '%s' is not a valid %s: %s", id->agent_doc_number,
			     ctl_doc_type_name(id->agent_doc_type), ctl_id_fail_str(f));
		if (!id->agent_name[0])
			FAIL("an organisation needs the agent's name (agent_name)");
	}
	return 0;
#undef FAIL
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *jtime(int64_t ns)
{
	if (ns == RT_TIME_NONE)
		return json_null();
	char b[CTL_TIME_BUF];
	ctl_time_format(ns, b);
	return json_string(b);
}

static json_t *jstr(const char *s)
{
	json_t *j = *s ? json_string(s) : json_null();
	return j ? j : json_null();
}

json_t *ctl_identity_json(const struct ctl_identity *id)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	const char *c = ctl_category_name(id->category), *d = ctl_doc_type_name(id->doc_type),
		   *s = ctl_status_name(id->status);
	json_object_set_new(o, "category", c ? json_string(c) : json_null());
	json_object_set_new(o, "doc_type", d ? json_string(d) : json_null());
	json_object_set_new(o, "doc_number", jstr(id->doc_number));
	json_object_set_new(o, "name", jstr(id->name));
	json_object_set_new(o, "address", jstr(id->address));
	json_object_set_new(o, "status", s ? json_string(s) : json_null());
	json_object_set_new(o, "registered_at", jtime(id->registered_at_ns));
	json_object_set_new(o, "suspended_at", jtime(id->suspended_at_ns));
	json_object_set_new(o, "terminated_at", jtime(id->terminated_at_ns));
	json_object_set_new(o, "agent", jstr(id->agent));
	if (id->category == CTL_CAT_ORGANISATION) {
		const char *a = ctl_doc_type_name(id->agent_doc_type);
		json_object_set_new(o, "agent_doc_type", a ? json_string(a) : json_null());
		json_object_set_new(o, "agent_doc_number", jstr(id->agent_doc_number));
		json_object_set_new(o, "agent_name", jstr(id->agent_name));
	}
	return o;
}
