/* Filling pages with the schema's pattern, taking censuses, mapping, reclaiming. */
#include "observer.h"

long page_size;

/* ---------- memory, patterns and censuses ---------- */

unsigned char pattern(long i)
{
	unsigned char b = (unsigned char)((0x5a + i) & 0xff);
	return b ? b : 0x01;
}

void fill(unsigned char *addr, long pages)
{
	for (long i = 0; i < pages; i++)
		memset(addr + i * page_size, pattern(i), (size_t)page_size);
}

/* expected[i]: the byte page i was last filled with; NULL means the plain pattern. */
struct census take_census(const unsigned char *addr, long pages, const unsigned char *expected)
{
	struct census c = { 0, 0, 0 };
	for (long i = 0; addr && i < pages; i++) {
		const unsigned char *p = addr + i * page_size;
		unsigned char want = expected ? expected[i] : pattern(i);
		int all_want = 1, all_zero = 1;
		for (long j = 0; j < page_size; j++) {
			all_want &= p[j] == want;
			all_zero &= p[j] == 0;
		}
		if (all_want)
			c.kept++;
		else if (all_zero)
			c.zero++;
		else
			c.other++;
	}
	return c;
}

void j_census(struct rec *r, const char *k, struct census c)
{
	j_open(r, k);
	j_int(r, "kept", c.kept);
	j_int(r, "zero", c.zero);
	j_int(r, "other", c.other);
	j_close(r);
}

/* mmap returning NULL on failure with *err = errno (0 on success). */
unsigned char *map(size_t len, int flags, int *err)
{
	void *p = mmap(NULL, len, RW, flags, -1, 0);
	*err = p == MAP_FAILED ? errno : 0;
	return p == MAP_FAILED ? NULL : p;
}

unsigned char *map_droppable(size_t len, int *err) { return map(len, MAP_ANONYMOUS | P_DROPPABLE, err); }
unsigned char *map_private(size_t len, int *err) { return map(len, MAP_ANONYMOUS | MAP_PRIVATE, err); }

int errno_of(int ret) { return ret == 0 ? 0 : errno; }

void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set); /* errors ignored, as the schema says */
}

/* MADV_PAGEOUT, and once more if any page is still kept (it may have sat in a per-CPU LRU batch). The VMA's
 * Swap: is read right after each MADV_PAGEOUT (reading a swapped-out page back faults it in again); the larger
 * reading counts. */
struct pageout page_out(unsigned char *addr, long pages, const unsigned char *expected)
{
	struct pageout po = { 0, 0, 0, { 0, 0, 0 } };
	long swap_kb;

	if (!addr)
		return po;
	pin_cpu();
	po.err = errno_of(madvise(addr, (size_t)(pages * page_size), P_PAGEOUT));
	po.attempts = 1;
	po.swap_kb = vma_swap_kb(addr);
	po.census = take_census(addr, pages, expected);
	if (po.census.kept > 0) {
		po.err = errno_of(madvise(addr, (size_t)(pages * page_size), P_PAGEOUT));
		po.attempts = 2;
		swap_kb = vma_swap_kb(addr);
		po.swap_kb = swap_kb > po.swap_kb ? swap_kb : po.swap_kb;
		po.census = take_census(addr, pages, expected);
	}
	return po;
}

int read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	while (got < len && (n = read(fd, (char *)buf + got, len - got)) > 0)
		got += (size_t)n;
	return got == len;
}

void write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;
	while (len > 0 && (n = write(fd, buf, len)) > 0) {
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
}
