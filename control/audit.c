/* SPDX-License-Identifier: BSD-2-Clause */
/* The hash-chained audit log (audit.h has the format and its guarantees). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "timefmt.h"

struct ctl_audit {
	int fd;
};

static const char zero_hash[CTL_AUDIT_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* `,"hash":"` + 64 hex + `"}`: how every line ends before its '\n'. */
#define HASH_PREFIX ",\"hash\":\""
#define HASH_PREFIX_LEN 9
#define HASH_SUFFIX_LEN (HASH_PREFIX_LEN + 64 + 2)

/* ---- SHA-256 ----------------------------------------------------------- */

static void hex_of(const unsigned char *md, char out[CTL_AUDIT_HEX])
{
	static const char hx[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
}

/* SHA-256 of a || b (b may be empty). */
static int sha256_2(const void *a, size_t alen, const void *b, size_t blen,
		    char out[CTL_AUDIT_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	int ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, a, alen) == 1 &&
		 (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
		 EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	hex_of(md, out);
	return 0;
}

int ctl_sha256_hex(const void *buf, size_t len, char out[CTL_AUDIT_HEX])
{
	return sha256_2(buf, len, NULL, 0, out);
}

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (unsigned i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* ---- one line of the chain --------------------------------------------- */

const char *ctl_audit_fail_str(enum ctl_audit_fail f)
{
	static const char *const s[CTL_AUDIT_FAIL_MAX] = {
		[CTL_AUDIT_INTACT] = "intact",
		[CTL_AUDIT_TOO_LONG] = "line too long",
		[CTL_AUDIT_TRUNCATED] = "truncated (last line cut short)",
		[CTL_AUDIT_NOT_JSON] = "not a JSON object",
		[CTL_AUDIT_BAD_FIELDS] = "fields missing, misplaced or of the wrong type",
		[CTL_AUDIT_BAD_HASH] = "hash does not match the entry (edited)",
		[CTL_AUDIT_BAD_SEQ] = "out of sequence (an entry was deleted, inserted or moved)",
		[CTL_AUDIT_BAD_PREV] = "prev is not the previous entry's hash (that entry was changed)",
	};
	return (unsigned)f < CTL_AUDIT_FAIL_MAX ? s[f] : "unknown";
}

static bool str_or_null(json_t *v)
{
	return json_is_string(v) || json_is_null(v);
}

/* The keys of an entry, in order, and what each may hold. */
static bool fields_ok(json_t *o)
{
	static const char *const keys[] = {
		"seq", "time", "client", "role", "authority", "case", "query",
		"result_count", "result_digest", "outcome", "prev", "hash",
	};
	const unsigned nkeys = sizeof(keys) / sizeof(keys[0]);
	if (json_object_size(o) != nkeys)
		return false;
	unsigned i = 0;
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it), i++)
		if (i >= nkeys || strcmp(json_object_iter_key(it), keys[i]) != 0)
			return false;
	json_t *seq = json_object_get(o, "seq"), *rc = json_object_get(o, "result_count");
	json_t *dg = json_object_get(o, "result_digest");
	return json_is_integer(seq) && json_integer_value(seq) >= 1 &&
	       json_is_string(json_object_get(o, "time")) &&
	       json_is_string(json_object_get(o, "client")) &&
	       str_or_null(json_object_get(o, "role")) &&
	       str_or_null(json_object_get(o, "authority")) &&
	       str_or_null(json_object_get(o, "case")) &&
	       json_is_integer(rc) && json_integer_value(rc) >= 0 &&
	       (json_is_null(dg) || is_hex64(json_string_value(dg))) &&
	       json_is_string(json_object_get(o, "outcome")) &&
	       is_hex64(json_string_value(json_object_get(o, "prev"))) &&
	       is_hex64(json_string_value(json_object_get(o, "hash")));
}

/*
 * Check one line (without its '\n') on its own: a JSON object with the
 * right fields whose hash matches its bytes.  Sets *ret_seq and ret_hash /
 * ret_prev on success.
 */
static enum ctl_audit_fail line_check(const char *line, size_t n, int64_t *ret_seq,
				      char ret_hash[CTL_AUDIT_HEX], char ret_prev[CTL_AUDIT_HEX])
{
	if (n + 1 > CTL_AUDIT_LINE_MAX)
		return CTL_AUDIT_TOO_LONG;
	json_error_t jerr;
	json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return CTL_AUDIT_NOT_JSON;
	}
	enum ctl_audit_fail f = CTL_AUDIT_INTACT;
	if (!fields_ok(o)) {
		f = CTL_AUDIT_BAD_FIELDS;
		goto out_decref;
	}
	const char *hash = json_string_value(json_object_get(o, "hash"));
	/* The hash member must be the literal end of the line, so that the
	 * canonical bytes are exactly what precedes it. */
	if (n < HASH_SUFFIX_LEN + 1 ||
	    memcmp(line + n - HASH_SUFFIX_LEN, HASH_PREFIX, HASH_PREFIX_LEN) != 0 ||
	    memcmp(line + n - HASH_SUFFIX_LEN + HASH_PREFIX_LEN, hash, 64) != 0 ||
	    memcmp(line + n - 2, "\"}", 2) != 0) {
		f = CTL_AUDIT_BAD_FIELDS;
		goto out_decref;
	}
	char want[CTL_AUDIT_HEX];
	if (sha256_2(line, n - HASH_SUFFIX_LEN, "}", 1, want) < 0 || strcmp(want, hash) != 0) {
		f = CTL_AUDIT_BAD_HASH;
		goto out_decref;
	}
	*ret_seq = json_integer_value(json_object_get(o, "seq"));
	memcpy(ret_hash, hash, CTL_AUDIT_HEX);
	memcpy(ret_prev, json_string_value(json_object_get(o, "prev")), CTL_AUDIT_HEX);
out_decref:
	json_decref(o);
	return f;
}

struct chain {
	struct ctl_audit_report *r;
	uint64_t line;
};

static void chain_init(struct chain *c, struct ctl_audit_report *r)
{
	memset(r, 0, sizeof(*r));
	r->found_seq = -1;
	r->expected_seq = 1;
	memcpy(r->last_hash, zero_hash, CTL_AUDIT_HEX);
	c->r = r;
	c->line = 0;
}

static void chain_fail(struct chain *c, enum ctl_audit_fail f)
{
	struct ctl_audit_report *r = c->r;
	r->fail = f;
	r->line = c->line;
	if (f == CTL_AUDIT_BAD_SEQ)
		snprintf(r->detail, sizeof(r->detail),
			 "entry %llu (line %llu): found seq %lld: %s",
			 (unsigned long long)r->expected_seq, (unsigned long long)r->line,
			 (long long)r->found_seq, ctl_audit_fail_str(f));
	else
		snprintf(r->detail, sizeof(r->detail), "entry %llu (line %llu): %s",
			 (unsigned long long)r->expected_seq, (unsigned long long)r->line,
			 ctl_audit_fail_str(f));
}

/* Feed one line; returns false once the chain is broken. */
static bool chain_step(struct chain *c, const char *line, size_t n, bool nl, bool too_long)
{
	struct ctl_audit_report *r = c->r;
	c->line++;
	if (too_long) {
		chain_fail(c, CTL_AUDIT_TOO_LONG);
		return false;
	}
	if (!nl) {
		chain_fail(c, CTL_AUDIT_TRUNCATED);
		return false;
	}
	int64_t seq = -1;
	char hash[CTL_AUDIT_HEX], prev[CTL_AUDIT_HEX];
	enum ctl_audit_fail f = line_check(line, n, &seq, hash, prev);
	r->found_seq = seq;
	if (f == CTL_AUDIT_INTACT && (uint64_t)seq != r->expected_seq)
		f = CTL_AUDIT_BAD_SEQ;
	if (f == CTL_AUDIT_INTACT && strcmp(prev, r->last_hash) != 0)
		f = CTL_AUDIT_BAD_PREV;
	if (f != CTL_AUDIT_INTACT) {
		chain_fail(c, f);
		return false;
	}
	memcpy(r->last_hash, hash, CTL_AUDIT_HEX);
	r->entries++;
	r->expected_seq++;
	r->found_seq = -1;
	return true;
}

static void chain_done(struct chain *c)
{
	struct ctl_audit_report *r = c->r;
	if (r->fail == CTL_AUDIT_INTACT)
		snprintf(r->detail, sizeof(r->detail), "intact: %llu entr%s, last hash %s",
			 (unsigned long long)r->entries, r->entries == 1 ? "y" : "ies",
			 r->last_hash);
}

void ctl_audit_verify_buf(const char *buf, size_t len, struct ctl_audit_report *report)
{
	struct chain c;
	chain_init(&c, report);
	size_t off = 0;
	while (off < len) {
		const char *nlp = memchr(buf + off, '\n', len - off);
		size_t n = nlp ? (size_t)(nlp - (buf + off)) : len - off;
		if (!chain_step(&c, buf + off, n, nlp != NULL, n + 1 > CTL_AUDIT_LINE_MAX))
			return;
		off += n + 1;
	}
	chain_done(&c);
}

/* ---- bounded line reader over a file ----------------------------------- */

struct lreader {
	int fd;
	char *buf;    /* CTL_AUDIT_LINE_MAX bytes */
	size_t off, len;
	bool eof, skip;
};

/*
 * Next line.  @return 1 (line/n/nl/too_long set), 0 at the end, -errno.
 * A line longer than the buffer is returned once as too_long (its first
 * bytes) and the rest of it is skipped.
 */
static int lreader_next(struct lreader *r, const char **line, size_t *n, bool *nl,
			bool *too_long)
{
	for (;;) {
		char *p = r->len > r->off ? memchr(r->buf + r->off, '\n', r->len - r->off) : NULL;
		if (p && r->skip) {
			r->off = (size_t)(p - r->buf) + 1;
			r->skip = false;
			continue;
		}
		if (p) {
			*line = r->buf + r->off;
			*n = (size_t)(p - *line);
			*nl = true;
			*too_long = false;
			r->off += *n + 1;
			return 1;
		}
		if (r->skip) {
			r->off = r->len = 0;
		} else if (r->off > 0) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		if (r->len == CTL_AUDIT_LINE_MAX) {
			*line = r->buf;
			*n = r->len;
			*nl = false;
			*too_long = true;
			r->off = r->len = 0;
			r->skip = true;
			return 1;
		}
		if (r->eof) {
			if (r->len == 0 || r->skip)
				return 0;
			*line = r->buf;
			*n = r->len;
			*nl = false;
			*too_long = false;
			r->off = r->len = 0;
			return 1;
		}
		ssize_t got = read(r->fd, r->buf + r->len, CTL_AUDIT_LINE_MAX - r->len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			r->eof = true;
		r->len += (size_t)got;
	}
}

static int open_log_ro(const char *dir, int *ret_fd)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CTL_AUDIT_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int ctl_audit_verify(const char *dir, struct ctl_audit_report *report)
{
	struct chain c;
	int fd, rc = open_log_ro(dir, &fd);
	if (rc == -ENOENT) {
		chain_init(&c, report);
		chain_done(&c);
		return 0;
	}
	if (rc)
		return rc;
	struct lreader r = {.fd = fd, .buf = malloc(CTL_AUDIT_LINE_MAX)};
	if (!r.buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	chain_init(&c, report);
	const char *line = NULL; /* set by lreader_next when it returns 1 */
	size_t n = 0;
	bool nl = false, too_long = false;
	while ((rc = lreader_next(&r, &line, &n, &nl, &too_long)) == 1)
		if (!chain_step(&c, line, n, nl, too_long))
			break;
	if (rc == 0)
		chain_done(&c);
	if (rc == 1)
		rc = 0;
	free(r.buf);
out_close:
	close(fd);
	return rc;
}

int ctl_audit_read(const char *dir, int (*fn)(void *ctx, uint64_t line, json_t *entry),
		   void *ctx)
{
	int fd, rc = open_log_ro(dir, &fd);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	struct lreader r = {.fd = fd, .buf = malloc(CTL_AUDIT_LINE_MAX)};
	if (!r.buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	const char *line = NULL; /* set by lreader_next when it returns 1 */
	size_t n = 0;
	bool nl = false, too_long = false;
	uint64_t lineno = 0;
	while ((rc = lreader_next(&r, &line, &n, &nl, &too_long)) == 1) {
		lineno++;
		json_t *o = NULL;
		if (!too_long) {
			json_error_t jerr;
			o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
			if (!json_is_object(o)) {
				json_decref(o);
				o = NULL;
			}
		}
		int frc = fn(ctx, lineno, o);
		json_decref(o);
		if (frc) {
			rc = frc;
			break;
		}
	}
	free(r.buf);
out_close:
	close(fd);
	return rc;
}

/* ---- appending --------------------------------------------------------- */

int ctl_audit_open(const char *dir, ctl_audit **ret)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CTL_AUDIT_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	ctl_audit *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	int rc;
	bool created = false;
	a->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (a->fd < 0 && errno == ENOENT) {
		a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		created = true;
	}
	if (a->fd < 0) {
		rc = -errno;
		goto out_free;
	}
	struct stat sb;
	if (fstat(a->fd, &sb) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		goto out_close;
	}
	/* Personal data (case numbers, queried accounts): owner only. */
	if ((sb.st_mode & 077) && fchmod(a->fd, 0600) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (created) {
		/* The new name must survive a crash too. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	*ret = a;
	return 0;
out_close:
	close(a->fd);
out_free:
	free(a);
	return rc;
}

void ctl_audit_close(ctl_audit *a)
{
	if (!a)
		return;
	close(a->fd);
	free(a);
}

/* The chain head (last seq and hash) from the file's tail; the lock is held. */
static int read_head(int fd, int64_t *ret_seq, char ret_hash[CTL_AUDIT_HEX])
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (sb.st_size == 0) {
		*ret_seq = 0;
		memcpy(ret_hash, zero_hash, CTL_AUDIT_HEX);
		return 0;
	}
	size_t want = (uint64_t)sb.st_size < CTL_AUDIT_LINE_MAX ? (size_t)sb.st_size
								 : CTL_AUDIT_LINE_MAX;
	char *buf = malloc(want);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	size_t got = 0;
	while (got < want) {
		ssize_t k = pread(fd, buf + got, want - got, sb.st_size - (off_t)want + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = k < 0 ? -errno : -EIO;
			goto out_free;
		}
		got += (size_t)k;
	}
	if (buf[want - 1] != '\n') {
		rc = -EBADMSG;
		goto out_free;
	}
	size_t end = want - 1, start = end;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	if (start == 0 && want < (uint64_t)sb.st_size) {
		rc = -EBADMSG; /* the last line is longer than any we write */
		goto out_free;
	}
	char prev[CTL_AUDIT_HEX];
	if (line_check(buf + start, end - start, ret_seq, ret_hash, prev) != CTL_AUDIT_INTACT)
		rc = -EBADMSG;
out_free:
	free(buf);
	return rc;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The entry without its hash, keys in the order of audit.h. */
static json_t *entry_json(const struct ctl_audit_entry *e, int64_t seq, const char *prev)
{
	char tbuf[CTL_TIME_BUF];
	int64_t t = e->time_ns;
	if (t == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	ctl_time_format(t, tbuf);
	json_t *o = json_object();
	if (!o)
		return NULL;
	struct {
		const char *k;
		json_t *v;
	} kv[] = {
		{"seq", json_integer(seq)},
		{"time", json_string(tbuf)},
		{"client", jstr(e->client)},
		{"role", jstr(e->role)},
		{"authority", jstr(e->authority)},
		{"case", jstr(e->case_id)},
		{"query", e->query ? json_deep_copy(e->query) : json_null()},
		{"result_count", json_integer((json_int_t)e->result_count)},
		{"result_digest", jstr(e->result_digest)},
		{"outcome", jstr(e->outcome)},
		{"prev", json_string(prev)},
	};
	bool ok = true;
	for (unsigned i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		/* A NULL value (bad UTF-8, no memory) fails the set. */
		if (json_object_set_new(o, kv[i].k, kv[i].v) < 0)
			ok = false;
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int ctl_audit_append(ctl_audit *a, const struct ctl_audit_entry *e, uint64_t *ret_seq)
{
	if (!e->client || !e->outcome)
		return -EINVAL;
	int rc;
	while ((rc = flock(a->fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return -errno;
	int64_t seq = 0;
	char prev[CTL_AUDIT_HEX], hash[CTL_AUDIT_HEX];
	rc = read_head(a->fd, &seq, prev);
	if (rc)
		goto out_unlock;
	json_t *o = entry_json(e, seq + 1, prev);
	if (!o) {
		rc = -EINVAL; /* bad UTF-8 in a field, or no memory */
		goto out_unlock;
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	size_t n = strlen(s);
	/* canonical = s; line = s minus its '}' + hash member + '}' '\n' */
	if (n < 2 || s[n - 1] != '}' || n - 1 + HASH_SUFFIX_LEN + 1 > CTL_AUDIT_LINE_MAX) {
		rc = -EINVAL;
		goto out_free;
	}
	rc = ctl_sha256_hex(s, n, hash);
	if (rc)
		goto out_free;
	char *line = malloc(n + HASH_SUFFIX_LEN + 1);
	if (!line) {
		rc = -ENOMEM;
		goto out_free;
	}
	size_t m = n - 1;
	memcpy(line, s, m);
	memcpy(line + m, HASH_PREFIX, HASH_PREFIX_LEN);
	memcpy(line + m + HASH_PREFIX_LEN, hash, 64);
	memcpy(line + m + HASH_PREFIX_LEN + 64, "\"}\n", 3);
	m += HASH_SUFFIX_LEN + 1;
	rc = write_all(a->fd, line, m);
	/* Durable before any result leaves (audit.h). */
	if (rc == 0 && fdatasync(a->fd) < 0)
		rc = -errno;
	free(line);
	if (rc == 0 && ret_seq)
		*ret_seq = (uint64_t)seq + 1;
out_free:
	free(s);
out_unlock:
	flock(a->fd, LOCK_UN);
	return rc;
}
