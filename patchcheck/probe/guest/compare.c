/* compare-lazyfree: MADV_FREE against MAP_DROPPABLE, side by side (only when asked). */
#include "observer.h"

/* ---------- MADV_FREE against MAP_DROPPABLE (only when asked) ---------- */

enum { COMPARE_PAGES = 64 }; /* more than a per-CPU LRU batch holds */

static int redirtied(long i) { return i % 8 == 0; }

static unsigned char compare_pattern(long i)
{
	unsigned char b = (unsigned char)(((0x5a + i) & 0xff) ^ (redirtied(i) ? 0xff : 0));
	return b ? b : 0x01;
}

struct compare_side {
	unsigned char *addr;
	int mmap_err, advise_err;
	long kb_after_advise, kb_after_redirty;
};

static long lazyfree_kb(const void *addr)
{
	const struct vma *v;
	read_smaps();
	v = vma_containing(addr);
	return v ? v->lazyfree_kb : 0;
}

static struct compare_side compare_prepare(int flags, int advise)
{
	size_t len = COMPARE_PAGES * (size_t)page_size;
	struct compare_side side;

	memset(&side, 0, sizeof(side));
	side.addr = map(len, flags, &side.mmap_err);
	if (!side.addr)
		return side;
	fill(side.addr, COMPARE_PAGES);
	side.advise_err = advise ? errno_of(madvise(side.addr, len, P_FREE)) : 0;
	side.kb_after_advise = lazyfree_kb(side.addr);
	for (long i = 0; i < COMPARE_PAGES; i++)
		if (redirtied(i))
			memset(side.addr + i * page_size, compare_pattern(i), (size_t)page_size);
	side.kb_after_redirty = lazyfree_kb(side.addr);
	return side;
}

static struct census fork_census(const unsigned char *addr, const unsigned char *expected)
{
	struct census c = { 0, 0, 0 };
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return c;
	if (pid == 0) {
		c = take_census(addr, COMPARE_PAGES, expected);
		write_all(fds[1], &c, sizeof(c));
		_exit(0);
	}
	close(fds[1]);
	if (!read_all(fds[0], &c, sizeof(c)))
		memset(&c, 0, sizeof(c));
	close(fds[0]);
	waitpid(pid, &status, 0);
	return c;
}

static void j_pages_where(struct rec *r, const char *k, const unsigned char *addr,
			  const unsigned char *expected, int want_zero)
{
	key(r, k);
	put(r, "[");
	for (long i = 0, n = 0; i < COMPARE_PAGES; i++) {
		struct census c = take_census(addr + i * page_size, 1, &expected[i]);
		if (want_zero ? c.zero : c.kept)
			put(r, n++ ? ",%ld" : "%ld", i);
	}
	put(r, "]");
}

static void compare_reclaim(struct rec *r, const char *k, const struct compare_side *side,
			    const unsigned char *expected)
{
	size_t len = COMPARE_PAGES * (size_t)page_size;
	struct pageout po;
	long before;

	j_open(r, k);
	j_int(r, "mmap_errno", side->mmap_err);
	if (side->addr) {
		j_int(r, "advise_errno", side->advise_err);
		j_int(r, "lazyfree_kb_after_advise", side->kb_after_advise);
		j_int(r, "lazyfree_kb_after_redirty", side->kb_after_redirty);
		j_census(r, "fork_child_census", fork_census(side->addr, expected));
		/* A re-dirtied MADV_FREE page is kept by the first reclaim pass (it is swap-backed again): pages
		 * still kept get a second MADV_PAGEOUT; Swap: is read before any page is read back. */
		po = page_out(side->addr, COMPARE_PAGES, expected);
		j_int(r, "pageout_errno", po.err);
		j_int(r, "pageout_attempts", po.attempts);
		j_int(r, "swap_kb", po.swap_kb);
		j_pages_where(r, "surviving", side->addr, expected, 0);
		j_pages_where(r, "zero", side->addr, expected, 1);
		before = status_kb("VmLck:");
		j_int(r, "mlock_errno", errno_of(mlock(side->addr, len)));
		j_int(r, "vmlck_delta_kb", status_kb("VmLck:") - before);
		munlock(side->addr, len);
	}
}

/* Per mapping flag do_mmap() refuses with MAP_DROPPABLE: errno of mmap(type|flag), then (advise) of
 * MADV_FREE on what was mapped. */
static void compare_refusals(struct rec *r, int type, int advise)
{
	static const struct {
		const char *name;
		int flag;
		size_t len;
	} flags[] = { { "MAP_LOCKED", MAP_LOCKED, 0 }, { "MAP_HUGETLB", MAP_HUGETLB, 2u << 20 },
		      { "MAP_GROWSDOWN", MAP_GROWSDOWN, 0 } };

	j_open(r, "refusals");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		size_t len = flags[i].len ? flags[i].len : (size_t)page_size;
		int err, advise_err = 0;
		unsigned char *p = map(len, type | flags[i].flag, &err);

		if (p && advise)
			advise_err = errno_of(madvise(p, len, P_FREE));
		if (p)
			munmap(p, len);
		j_open(r, flags[i].name);
		j_int(r, "mmap_errno", err);
		j_int(r, "advise_errno", advise_err);
		j_close(r);
	}
	j_close(r);
}

void obs_compare_lazyfree(struct rec *r)
{
	unsigned char expected[COMPARE_PAGES];
	struct compare_side lazyfree, droppable;

	for (long i = 0; i < COMPARE_PAGES; i++)
		expected[i] = compare_pattern(i);
	pin_cpu();
	lazyfree = compare_prepare(MAP_ANONYMOUS | MAP_PRIVATE, 1);
	droppable = compare_prepare(MAP_ANONYMOUS | P_DROPPABLE, 0);
	j_int(r, "pages", COMPARE_PAGES);
	key(r, "redirtied");
	put(r, "[");
	for (long i = 0, n = 0; i < COMPARE_PAGES; i++)
		if (redirtied(i))
			put(r, n++ ? ",%ld" : "%ld", i);
	put(r, "]");
	j_int(r, "swap_total_kb", meminfo_kb("SwapTotal:"));
	compare_reclaim(r, "lazyfree", &lazyfree, expected);
	compare_refusals(r, MAP_ANONYMOUS | MAP_PRIVATE, 1);
	j_close(r);
	compare_reclaim(r, "droppable", &droppable, expected);
	compare_refusals(r, MAP_ANONYMOUS | P_DROPPABLE, 0);
	j_close(r);
}
