/* SPDX-License-Identifier: BSD-2-Clause */
/* retaind's config file (inih) and API tokens (ctl_config.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "config.h" /* HAVE_DPDK */
#include "audit.h"
#include "ctl_config.h"
#include "timefmt.h"

#define CFG_KEYS_MAX 64 /* more than there are known keys */

struct parse_ctx {
	struct ctl_config *c;
	char why[256]; /* the handler's reason for the line inih reports */
	unsigned seen;
	/* every key given so far, and which one the previous line gave: a key
	 * given twice is an error (the second would silently drop the first),
	 * and so is an indented continuation line, which inih hands over as
	 * the previous key again -- except for [dpdk] eal */
	struct {
		char section[64], name[64];
	} keys[CFG_KEYS_MAX];
	unsigned n_keys;
	unsigned last; /* index + 1 in keys of the previous line's key; 0: none */
	/* inih goes on after a bad line and reports the first one: why is
	 * that line's reason only if the handler failed on that very line */
	const char *text; /* what the reader has not handed to inih yet */
	size_t left;
	int line;         /* lines handed to inih so far (inih's count) */
	int why_line;     /* the line why is about */
};

enum { SEEN_DIR = 1, SEEN_LISTEN = 2, SEEN_CERT = 4, SEEN_KEY = 8, SEEN_TOKENS = 16 };

static bool set_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

static bool parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi || v[0] == '-')
		return false;
	*ret = (uint32_t)x;
	return true;
}

/* "A.B.C.D:PORT" or "[V6]:PORT". */
static bool parse_listen(struct ctl_config *c, const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v)
		return false;
	const char *h = v;
	size_t hn = (size_t)(colon - v);
	if (h[0] == '[') {
		if (hn < 3 || h[hn - 1] != ']')
			return false;
		h++;
		hn -= 2;
	}
	if (hn >= sizeof(c->host))
		return false;
	memcpy(c->host, h, hn);
	c->host[hn] = '\0';
	unsigned char a[16];
	if (inet_pton(AF_INET, c->host, a) != 1 && inet_pton(AF_INET6, c->host, a) != 1)
		return false;
	uint32_t port;
	if (!parse_u32(colon + 1, 1, 65535, &port))
		return false;
	c->port = (uint16_t)port;
	return set_str(c->listen, sizeof(c->listen), v);
}

static const char *const dpdk_keys[] = {
	"eal", "mode", "ports", "queues", "ring", "burst", "timestamps", "test_analysis_delay_us",
};

static bool dpdk_key_known(const char *name)
{
	for (unsigned i = 0; i < sizeof(dpdk_keys) / sizeof(dpdk_keys[0]); i++)
		if (strcmp(name, dpdk_keys[i]) == 0)
			return true;
	return false;
}

/* [dpdk]: one key; false on a bad value or an unknown key. */
static bool dpdk_kv(struct ctl_config *c, const char *name, const char *value)
{
	c->has_dpdk = 1;
	if (strcmp(name, "eal") == 0) {
		/* An INI line is short (inih: 200 bytes): the EAL arguments may go
		 * on indented continuation lines, each handed here again. */
		size_t have = strlen(c->dpdk_eal), n = strlen(value);
		if (have == 0)
			return set_str(c->dpdk_eal, sizeof(c->dpdk_eal), value);
		if (n == 0 || have + 1 + n >= sizeof(c->dpdk_eal))
			return false;
		c->dpdk_eal[have] = ' ';
		memcpy(c->dpdk_eal + have + 1, value, n + 1);
		return true;
	}
	if (strcmp(name, "mode") == 0) {
		if (strcmp(value, "mirror") == 0)
			c->dpdk_mode = CTL_DPDK_MIRROR;
		else if (strcmp(value, "bridge") == 0)
			c->dpdk_mode = CTL_DPDK_BRIDGE;
		else
			return false;
		return true;
	}
	if (strcmp(name, "ports") == 0)
		return set_str(c->dpdk_ports, sizeof(c->dpdk_ports), value);
	if (strcmp(name, "queues") == 0)
		return parse_u32(value, 1, 64, &c->dpdk_queues);
	if (strcmp(name, "ring") == 0)
		return parse_u32(value, 1, 1u << 20, &c->dpdk_ring);
	if (strcmp(name, "burst") == 0)
		return parse_u32(value, 1, 256, &c->dpdk_burst);
	if (strcmp(name, "timestamps") == 0) {
		if (strcmp(value, "clock") == 0)
			c->dpdk_ts = 0;
		else if (strcmp(value, "capture") == 0)
			c->dpdk_ts = 1;
		else
			return false;
		return true;
	}
	if (strcmp(name, "test_analysis_delay_us") == 0)
		return parse_u32(value, 0, 1000000, &c->dpdk_test_delay_us);
	return false;
}

static void trim_blanks(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* [dpdk] ports: bridge mode wants 1..CTL_DPDK_MAX_PAIRS pairs "A:B" (both
 * sides non-empty, A != B); mirror mode plain names (no ':'). */
static bool dpdk_ports_ok(const struct ctl_config *c, char *why, size_t whylen)
{
	const char *s = c->dpdk_ports;
	if (c->dpdk_mode == CTL_DPDK_MIRROR) {
		if (strchr(s, ':')) {
			snprintf(why, whylen, "[dpdk] ports: mode mirror takes port names, not pairs");
			return false;
		}
		return true;
	}
	unsigned pairs = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *colon = memchr(s, ':', n);
		bool ok = colon != NULL;
		if (ok) {
			/* each side blank-trimmed, as the worker reads it */
			const char *a = s, *b = colon + 1;
			size_t an = (size_t)(colon - s), bn = (size_t)(s + n - b);
			trim_blanks(&a, &an);
			trim_blanks(&b, &bn);
			ok = an && bn && !memchr(b, ':', bn) &&
			     !(an == bn && memcmp(a, b, an) == 0); /* A:A */
		}
		if (!ok || ++pairs > CTL_DPDK_MAX_PAIRS) {
			snprintf(why, whylen,
				 "[dpdk] ports: mode bridge takes 1 to %d pairs A:B of two ports",
				 CTL_DPDK_MAX_PAIRS);
			return false;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	if (pairs == 0) {
		snprintf(why, whylen, "[dpdk] ports: mode bridge needs its port pairs A:B");
		return false;
	}
	return true;
}

/* Note the key of this line; false (why set) when it was given before,
 * other than by continuation lines of [dpdk] eal. */
static bool key_once(struct parse_ctx *p, const char *section, const char *name)
{
	unsigned i;
	for (i = 0; i < p->n_keys; i++)
		if (strcmp(p->keys[i].section, section) == 0 && strcmp(p->keys[i].name, name) == 0)
			break;
	if (i < p->n_keys) {
		if (p->last == i + 1 && strcmp(section, "dpdk") == 0 && strcmp(name, "eal") == 0)
			return true;
		snprintf(p->why, sizeof(p->why),
			 p->last == i + 1 ? "[%.32s] %.32s: a continuation line or the key again "
					    "(only [dpdk] eal continues on indented lines)"
					  : "[%.32s] %.32s given twice",
			 section, name);
		return false;
	}
	if (p->n_keys == CFG_KEYS_MAX || strlen(section) >= sizeof(p->keys[0].section) ||
	    strlen(name) >= sizeof(p->keys[0].name)) {
		/* only unknown keys get here: the caller rejects those */
		p->last = 0;
		return true;
	}
	strcpy(p->keys[i].section, section);
	strcpy(p->keys[i].name, name);
	p->n_keys++;
	p->last = i + 1;
	return true;
}

static int kv(struct parse_ctx *p, const char *section, const char *name, const char *value)
{
	struct ctl_config *c = p->c;
	bool ok;
	if (!key_once(p, section, name))
		return 0;
	if (strcmp(section, "store") == 0 && strcmp(name, "dir") == 0) {
		ok = set_str(c->store_dir, sizeof(c->store_dir), value);
		p->seen |= SEEN_DIR;
	} else if (strcmp(section, "store") == 0 && strcmp(name, "map_mb") == 0) {
		ok = parse_u32(value, 1, CTL_MAP_MB_MAX, &c->map_mb);
	} else if (strcmp(section, "store") == 0 && strcmp(name, "keys") == 0) {
		ok = set_str(c->keys_path, sizeof(c->keys_path), value);
	} else if (strcmp(section, "store") == 0 && strcmp(name, "retention") == 0) {
		ok = ctl_duration_parse(value, &c->retention_ns) == 0 && c->retention_ns > 0 &&
		     c->retention_ns <= CTL_RETENTION_MAX_NS;
	} else if (strcmp(section, "store") == 0 && strcmp(name, "seal_grace") == 0) {
		ok = ctl_duration_parse(value, &c->seal_grace_ns) == 0 && c->seal_grace_ns > 0 &&
		     c->seal_grace_ns <= CTL_RETENTION_MAX_NS;
	} else if (strcmp(section, "store") == 0 && strcmp(name, "test_now") == 0) {
		ok = ctl_time_parse(value, &c->test_now_ns) == 0 && c->test_now_ns > 0;
	} else if (strcmp(section, "api") == 0 && strcmp(name, "listen") == 0) {
		ok = parse_listen(c, value);
		p->seen |= SEEN_LISTEN;
	} else if (strcmp(section, "api") == 0 && strcmp(name, "cert") == 0) {
		ok = set_str(c->cert, sizeof(c->cert), value);
		p->seen |= SEEN_CERT;
	} else if (strcmp(section, "api") == 0 && strcmp(name, "key") == 0) {
		ok = set_str(c->key, sizeof(c->key), value);
		p->seen |= SEEN_KEY;
	} else if (strcmp(section, "api") == 0 && strcmp(name, "tokens") == 0) {
		ok = set_str(c->tokens, sizeof(c->tokens), value);
		p->seen |= SEEN_TOKENS;
	} else if (strcmp(section, "api") == 0 && strcmp(name, "max_body") == 0) {
		/* Bounded so that the request fits an audit entry (CTL_AUDIT_LINE_MAX). */
		ok = parse_u32(value, 256, 32768, &c->max_body);
	} else if (strcmp(section, "api") == 0 && strcmp(name, "max_rows") == 0) {
		ok = parse_u32(value, 1, 10000000, &c->max_rows);
	} else if (strcmp(section, "capture") == 0 && strcmp(name, "interface") == 0) {
		ok = set_str(c->iface, sizeof(c->iface), value) && value[0];
		c->has_capture = 1;
	} else if (strcmp(section, "capture") == 0 && strcmp(name, "secrets") == 0) {
		ok = set_str(c->secrets, sizeof(c->secrets), value);
	} else if (strcmp(section, "access") == 0 && strcmp(name, "line_map") == 0) {
		ok = set_str(c->line_map, sizeof(c->line_map), value) && value[0];
	} else if (strcmp(section, "capture") == 0 && strcmp(name, "direction") == 0) {
		ok = true;
		if (strcmp(value, "both") == 0)
			c->direction = 0;
		else if (strcmp(value, "in") == 0)
			c->direction = 1;
		else if (strcmp(value, "out") == 0)
			c->direction = 2;
		else
			ok = false;
	} else if (strcmp(section, "capture") == 0 && strcmp(name, "filter") == 0) {
		ok = set_str(c->filter, sizeof(c->filter), strcmp(value, "default") ? value : "");
	} else if (strcmp(section, "capture") == 0 && strcmp(name, "commit_ms") == 0) {
		ok = parse_u32(value, 1, 60000, &c->commit_ms);
	} else if (strcmp(section, "capture") == 0 && strcmp(name, "checkpoint_s") == 0) {
		ok = parse_u32(value, 1, 86400, &c->checkpoint_s);
	} else if (strcmp(section, "listener") == 0 && strcmp(name, "listen") == 0) {
		ok = set_str(c->acct_listen, sizeof(c->acct_listen), value) && value[0];
	} else if (strcmp(section, "dpdk") == 0) {
		ok = dpdk_kv(c, name, value);
		if (!ok && !p->why[0] && !dpdk_key_known(name)) {
			snprintf(p->why, sizeof(p->why), "unknown setting [dpdk] %.32s", name);
			return 0;
		}
	} else if (strcmp(section, "daemon") == 0 && strcmp(name, "user") == 0) {
		ok = set_str(c->user, sizeof(c->user), value);
	} else if (strcmp(section, "daemon") == 0 && strcmp(name, "test_stall_ms") == 0) {
		ok = parse_u32(value, 0, 600000, &c->test_stall_ms);
	} else {
		snprintf(p->why, sizeof(p->why), "unknown setting [%.32s] %.32s", section, name);
		return 0;
	}
	if (!ok)
		snprintf(p->why, sizeof(p->why), "bad value for [%.32s] %.32s: '%.48s'", section,
			 name, value);
	return ok;
}

static int on_kv(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	if (p->why[0])
		return 0; /* the first bad line is the one reported */
	int ok = kv(p, section, name, value);
	if (!ok && p->why[0])
		p->why_line = p->line;
	return ok;
}

/* inih's line reader (as fgets) over the text, counting lines. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	if (p->left == 0 || num < 2)
		return NULL;
	size_t n = 0, max = (size_t)num - 1;
	while (n < max && n < p->left) {
		char ch = p->text[n++];
		if (ch == '\n')
			break;
	}
	memcpy(str, p->text, n);
	str[n] = '\0';
	p->text += n;
	p->left -= n;
	p->line++;
	return str;
}

/* Read a whole (small) file into a NUL-terminated heap buffer. */
static int slurp(const char *path, size_t max, char **ret, size_t *ret_len, char *err,
		 size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	int rc = 0;
	while (b) {
		n += fread(b + n, 1, cap - n, f);
		if (n < cap)
			break;
		if (cap >= max) {
			snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
			rc = -EFBIG;
			goto out_free;
		}
		char *nb = realloc(b, cap * 2 + 1);
		if (!nb)
			goto out_free;
		b = nb;
		cap *= 2;
	}
	if (!b) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out_close;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out_free;
	}
	fclose(f);
	b[n] = '\0';
	*ret = b;
	*ret_len = n;
	return 0;
out_free:
	if (!rc) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
	}
	free(b);
out_close:
	fclose(f);
	return rc;
}

int ctl_config_load(const char *path, struct ctl_config *ret, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = slurp(path, CTL_CONFIG_FILE_MAX, &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = ctl_config_parse_buf(path, buf, len, ret, err, errlen);
	free(buf);
	return rc;
}

int ctl_config_parse_buf(const char *path, const char *buf, size_t len, struct ctl_config *ret,
			 char *err, size_t errlen)
{
	struct ctl_config c;
	memset(&c, 0, sizeof(c));
	c.max_body = 16384;
	c.max_rows = 100000;
	c.commit_ms = 50;
	c.checkpoint_s = 60;
	c.retention_ns = CTL_RETENTION_DEFAULT_NS;
	c.dpdk_queues = 1;
	c.dpdk_ring = 4096;
	c.dpdk_burst = 32;
	struct parse_ctx p = {.c = &c};
	/* inih reads a C string: a NUL inside the text is an error, not an
	 * end that silently drops what follows */
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return -EINVAL;
	}
	p.text = buf;
	p.left = len;
	int line = ini_parse_stream(read_line, &p, on_kv, &p);
	if (line < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (line != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 p.why[0] && p.why_line == line ? p.why : "not a valid INI line");
		return -EINVAL;
	}
	static const struct {
		unsigned bit;
		const char *name;
	} need[] = {{SEEN_DIR, "[store] dir"}, {SEEN_LISTEN, "[api] listen"},
		    {SEEN_CERT, "[api] cert"}, {SEEN_KEY, "[api] key"},
		    {SEEN_TOKENS, "[api] tokens"}};
	/* [api] is all or nothing; [store] dir always */
	c.has_api = (p.seen & (SEEN_LISTEN | SEEN_CERT | SEEN_KEY | SEEN_TOKENS)) != 0;
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(p.seen & need[i].bit) && (i == 0 || c.has_api)) {
			snprintf(err, errlen, "%s: %s is missing", path, need[i].name);
			return -EINVAL;
		}
	if (!c.has_api && !c.has_capture && !c.has_dpdk && !c.acct_listen[0]) {
		snprintf(err, errlen,
			 "%s: nothing to do: give [api], [capture] interface, [dpdk] or [listener] "
			 "listen", path);
		return -EINVAL;
	}
	if (c.has_dpdk) {
		char why[160];
		if (!HAVE_DPDK) {
			snprintf(err, errlen, "%s: [dpdk]: this retaind is built without DPDK", path);
			return -EINVAL;
		}
		if (c.has_capture) {
			snprintf(err, errlen, "%s: [capture] interface and [dpdk] exclude each other",
				 path);
			return -EINVAL;
		}
		if (!dpdk_ports_ok(&c, why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", path, why);
			return -EINVAL;
		}
	}
	*ret = c;
	return 0;
}

/* ---- tokens ------------------------------------------------------------ */

const char *ctl_role_name(enum ctl_role r)
{
	switch (r) {
	case CTL_ROLE_AUTHORITY:
		return "authority";
	case CTL_ROLE_OPERATOR:
		return "operator";
	case CTL_ROLE_AUDITOR:
		return "auditor";
	default:
		return NULL;
	}
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

void ctl_tokens_clear(struct ctl_tokens *t)
{
	/* Not secret (hashes), but no reason to leave them around. */
	if (t->v)
		OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int ctl_tokens_load(const char *path, struct ctl_tokens *ret, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = slurp(path, CTL_TOKENS_FILE_MAX, &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = ctl_tokens_parse_buf(path, buf, len, ret, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int ctl_tokens_parse_buf(const char *path, const char *text, size_t len, struct ctl_tokens *ret,
			 char *err, size_t errlen)
{
	struct ctl_tokens t = {0};
	size_t cap = 0;
	char buf[512];
	unsigned lineno = 0;
	int rc = 0;
	const char *cur = text, *end = text + len;
	while (cur < end) {
		lineno++;
		const char *nl = memchr(cur, '\n', (size_t)(end - cur));
		size_t n = nl ? (size_t)(nl - cur) : (size_t)(end - cur);
		if (n >= sizeof(buf) - 1) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -EINVAL;
			goto out_clear;
		}
		if (memchr(cur, '\0', n)) {
			snprintf(err, errlen, "%s:%u: NUL byte", path, lineno);
			rc = -EINVAL;
			goto out_clear;
		}
		memcpy(buf, cur, n);
		buf[n] = '\0';
		cur = nl ? nl + 1 : end;
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *save, *name = strtok_r(buf, " \t\r\n", &save);
		if (!name)
			continue;
		char *role = strtok_r(NULL, " \t\r\n", &save);
		char *hex = strtok_r(NULL, " \t\r\n", &save);
		char *extra = strtok_r(NULL, " \t\r\n", &save);
		struct ctl_token tk;
		memset(&tk, 0, sizeof(tk));
		if (!role || !hex || extra || strlen(name) >= sizeof(tk.name)) {
			snprintf(err, errlen, "%s:%u: expected NAME ROLE SHA256HEX", path, lineno);
			rc = -EINVAL;
			goto out_clear;
		}
		memcpy(tk.name, name, strlen(name) + 1);
		for (enum ctl_role r = CTL_ROLE_AUTHORITY; r <= CTL_ROLE_AUDITOR; r++)
			if (strcmp(role, ctl_role_name(r)) == 0)
				tk.role = r;
		if (tk.role == CTL_ROLE_NONE) {
			snprintf(err, errlen, "%s:%u: role '%.32s' is not authority, operator or "
					      "auditor", path, lineno, role);
			rc = -EINVAL;
			goto out_clear;
		}
		bool ok = strlen(hex) == 64;
		for (unsigned i = 0; ok && i < 32; i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
			ok = hi >= 0 && lo >= 0;
			if (ok) /* -1 << 4 is undefined (found by fuzz_config) */
				tk.hash[i] = (unsigned char)(hi << 4 | lo);
		}
		if (!ok) {
			snprintf(err, errlen, "%s:%u: the token hash must be 64 hex digits (SHA-256)",
				 path, lineno);
			rc = -EINVAL;
			goto out_clear;
		}
		for (size_t i = 0; i < t.n; i++)
			if (strcmp(t.v[i].name, tk.name) == 0) {
				snprintf(err, errlen, "%s:%u: client '%s' listed twice", path, lineno,
					 tk.name);
				rc = -EINVAL;
				goto out_clear;
			}
		if (t.n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct ctl_token *p = realloc(t.v, nc * sizeof(*p));
			if (!p) {
				rc = -ENOMEM;
				goto out_clear;
			}
			t.v = p;
			cap = nc;
		}
		t.v[t.n++] = tk;
	}
	*ret = t;
	return 0;
out_clear:
	ctl_tokens_clear(&t);
	return rc;
}

const struct ctl_token *ctl_tokens_find(const struct ctl_tokens *t, const char *token,
					size_t len)
{
	char hex[CTL_AUDIT_HEX];
	if (ctl_sha256_hex(token, len, hex) < 0)
		return NULL;
	unsigned char h[32];
	for (unsigned i = 0; i < 32; i++)
		h[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	/* Compare with every entry, whatever matched, so the time taken says
	 * nothing about which (or whether a) hash matched. */
	const struct ctl_token *found = NULL;
	for (size_t i = 0; i < t->n; i++) {
		bool eq = CRYPTO_memcmp(h, t->v[i].hash, 32) == 0;
		if (eq)
			found = &t->v[i];
	}
	return found;
}
