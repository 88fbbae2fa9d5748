/* JSON records, built in a fixed buffer (no allocation in the observed process). */
#include "observer.h"

/* ---------- JSON record builder ---------- */

void put(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(r->buf) - r->len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < room ? (size_t)n : room - 1;
}

void key(struct rec *r, const char *k)
{
	put(r, "%s\"%s\":", r->fresh ? "" : ",", k);
	r->fresh = 0;
}

void put_string(struct rec *r, const char *s)
{
	put(r, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(r, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(r, "\\u%04x", c);
		else
			put(r, "%c", c);
	}
	put(r, "\"");
}

void j_int(struct rec *r, const char *k, long long v) { key(r, k); put(r, "%lld", v); }
void j_uint(struct rec *r, const char *k, unsigned long long v) { key(r, k); put(r, "%llu", v); }
void j_bool(struct rec *r, const char *k, int v) { key(r, k); put(r, v ? "true" : "false"); }
void j_str(struct rec *r, const char *k, const char *v) { key(r, k); put_string(r, v); }
void j_open(struct rec *r, const char *k) { key(r, k); put(r, "{"); r->fresh = 1; }
void j_close(struct rec *r) { put(r, "}"); r->fresh = 0; }

void rec_begin(struct rec *r, const char *obs, const char *outcome)
{
	r->len = 0;
	r->fresh = 1;
	put(r, "{");
	j_str(r, "obs", obs);
	j_str(r, "outcome", outcome);
}

/* Replace whatever was built with a non-"ok" record. */
void rec_outcome(struct rec *r, const char *obs, const char *outcome, const char *detail)
{
	rec_begin(r, obs, outcome);
	j_str(r, "detail", detail);
}
