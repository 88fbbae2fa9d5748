/*
 * patchcheck's in-guest observer: runs as /init of a tiny initramfs (or as a plain program on the host, for
 * the no-drift test) and prints the observation records of patchcheck/probe/OBSERVATIONS.md as JSON lines:
 *
 *     PATCHCHECK-BEGIN {"observer": 1, ...}
 *     PATCHCHECK-RECORD <seq> {record}
 *     PATCHCHECK-END <count>
 *
 * It only observes; the host judges. Each observation runs in a forked child under alarm(), so a crash or a
 * hang becomes that observation's "crashed"/"timeout" record. As PID 1 it mounts /proc first and reboots at
 * the end (QEMU runs with -no-reboot, so that ends QEMU even on kernels without ACPI power-off).
 *
 * Arguments (kernel command line after "--"): "pressure", "coredump", "compare-lazyfree" request the optional
 * observations, as the host probe's --pressure, --coredump and --compare lazyfree do; "timeout=N" sets the
 * per-observation limit in seconds; "selftest" adds a crashing and a hanging observation (for the tests).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OBSERVER_VERSION 1
#define P_DROPPABLE 0x08
#define P_PAGEOUT 21
#define P_KEEPONFORK 19
#define P_DODUMP 17
#define P_FREE 8
#define RW (PROT_READ | PROT_WRITE)
static int smaps_missing; /* no /proc/self/smaps: a kernel without PROC_PAGE_MONITOR (or /proc) */
static unsigned timeout_seconds = 20; /* per observation; under TCG every check still takes well under 1 s */

static long page_size;

/* ---------- JSON record builder ---------- */

struct rec {
	char buf[16384];
	size_t len;
	int fresh; /* no comma before the next member */
};

static void put(struct rec *r, const char *fmt, ...)
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

static void key(struct rec *r, const char *k)
{
	put(r, "%s\"%s\":", r->fresh ? "" : ",", k);
	r->fresh = 0;
}

static void put_string(struct rec *r, const char *s)
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

static void j_int(struct rec *r, const char *k, long long v) { key(r, k); put(r, "%lld", v); }
static void j_uint(struct rec *r, const char *k, unsigned long long v) { key(r, k); put(r, "%llu", v); }
static void j_bool(struct rec *r, const char *k, int v) { key(r, k); put(r, v ? "true" : "false"); }
static void j_str(struct rec *r, const char *k, const char *v) { key(r, k); put_string(r, v); }
static void j_open(struct rec *r, const char *k) { key(r, k); put(r, "{"); r->fresh = 1; }
static void j_close(struct rec *r) { put(r, "}"); r->fresh = 0; }

static void rec_begin(struct rec *r, const char *obs, const char *outcome)
{
	r->len = 0;
	r->fresh = 1;
	put(r, "{");
	j_str(r, "obs", obs);
	j_str(r, "outcome", outcome);
}

/* Replace whatever was built with a non-"ok" record. */
static void rec_outcome(struct rec *r, const char *obs, const char *outcome, const char *detail)
{
	rec_begin(r, obs, outcome);
	j_str(r, "detail", detail);
}

/* ---------- memory, patterns and censuses ---------- */

struct census {
	long kept, zero, other;
};

static unsigned char pattern(long i)
{
	unsigned char b = (unsigned char)((0x5a + i) & 0xff);
	return b ? b : 0x01;
}

static void fill(unsigned char *addr, long pages)
{
	for (long i = 0; i < pages; i++)
		memset(addr + i * page_size, pattern(i), (size_t)page_size);
}

/* expected[i]: the byte page i was last filled with; NULL means the plain pattern. */
static struct census take_census(const unsigned char *addr, long pages, const unsigned char *expected)
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

static void j_census(struct rec *r, const char *k, struct census c)
{
	j_open(r, k);
	j_int(r, "kept", c.kept);
	j_int(r, "zero", c.zero);
	j_int(r, "other", c.other);
	j_close(r);
}

/* mmap returning NULL on failure with *err = errno (0 on success). */
static unsigned char *map(size_t len, int flags, int *err)
{
	void *p = mmap(NULL, len, RW, flags, -1, 0);
	*err = p == MAP_FAILED ? errno : 0;
	return p == MAP_FAILED ? NULL : p;
}

static unsigned char *map_droppable(size_t len, int *err) { return map(len, MAP_ANONYMOUS | P_DROPPABLE, err); }
static unsigned char *map_private(size_t len, int *err) { return map(len, MAP_ANONYMOUS | MAP_PRIVATE, err); }

static int errno_of(int ret) { return ret == 0 ? 0 : errno; }

static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set); /* errors ignored, as the schema says */
}

struct pageout {
	int err, attempts;
	struct census census;
};

/* MADV_PAGEOUT, and once more if any page is still kept (it may have sat in a per-CPU LRU batch). */
static struct pageout page_out(unsigned char *addr, long pages, const unsigned char *expected)
{
	struct pageout po = { 0, 0, { 0, 0, 0 } };
	if (!addr)
		return po;
	pin_cpu();
	po.err = errno_of(madvise(addr, (size_t)(pages * page_size), P_PAGEOUT));
	po.attempts = 1;
	po.census = take_census(addr, pages, expected);
	if (po.census.kept > 0) {
		po.err = errno_of(madvise(addr, (size_t)(pages * page_size), P_PAGEOUT));
		po.attempts = 2;
		po.census = take_census(addr, pages, expected);
	}
	return po;
}

/* ---------- /proc readers ---------- */

static char file_buf[1 << 20];

static const char *read_file(const char *path)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	file_buf[0] = 0;
	if (fd < 0)
		return file_buf;
	while (len < sizeof(file_buf) - 1 && (n = read(fd, file_buf + len, sizeof(file_buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	file_buf[len] = 0;
	return file_buf;
}

#define MAX_FLAGS 48

struct vma {
	unsigned long start, end;
	long swap_kb, locked_kb, lazyfree_kb;
	int nflags;
	char flags[MAX_FLAGS][3];
};

static struct vma vmas[4096];
static int nvmas;

static long field_kb(const char *line, const char *name)
{
	size_t n = strlen(name);
	return strncmp(line, name, n) == 0 ? strtol(line + n, NULL, 10) : -1;
}

static void parse_flags(struct vma *v, const char *p)
{
	while (*p && *p != '\n' && v->nflags < MAX_FLAGS) {
		while (*p == ' ')
			p++;
		if (p[0] && p[0] != '\n' && p[1] && p[1] != ' ' && p[1] != '\n') {
			v->flags[v->nflags][0] = p[0];
			v->flags[v->nflags][1] = p[1];
			v->flags[v->nflags][2] = 0;
			v->nflags++;
		}
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
}

/* Read /proc/self/smaps into vmas[]. */
static void read_smaps(void)
{
	const char *p = read_file("/proc/self/smaps");
	long v;

	nvmas = 0;
	while (*p) {
		unsigned long start, end;
		char *after;

		start = strtoul(p, &after, 16);
		if (after != p && *after == '-' && nvmas < (int)(sizeof(vmas) / sizeof(vmas[0]))) {
			end = strtoul(after + 1, &after, 16);
			if (*after == ' ') {
				memset(&vmas[nvmas], 0, sizeof(vmas[0]));
				vmas[nvmas].start = start;
				vmas[nvmas].end = end;
				nvmas++;
			}
		} else if (nvmas > 0) {
			struct vma *cur = &vmas[nvmas - 1];
			if ((v = field_kb(p, "Swap:")) >= 0)
				cur->swap_kb = v;
			else if ((v = field_kb(p, "Locked:")) >= 0)
				cur->locked_kb = v;
			else if ((v = field_kb(p, "LazyFree:")) >= 0)
				cur->lazyfree_kb = v;
			else if (strncmp(p, "VmFlags:", 8) == 0)
				parse_flags(cur, p + 8);
		}
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
}

static const struct vma *vma_containing(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	for (int i = 0; addr && i < nvmas; i++)
		if (vmas[i].start <= a && a < vmas[i].end)
			return &vmas[i];
	return NULL;
}

static const struct vma *vma_ending_at(unsigned long a)
{
	for (int i = 0; a && i < nvmas; i++)
		if (vmas[i].end == a)
			return &vmas[i];
	return NULL;
}

static const struct vma *vma_starting_at(unsigned long a)
{
	for (int i = 0; a && i < nvmas; i++)
		if (vmas[i].start == a)
			return &vmas[i];
	return NULL;
}

static int has_flag(const struct vma *v, const char *flag)
{
	for (int i = 0; v && i < v->nflags; i++)
		if (strcmp(v->flags[i], flag) == 0)
			return 1;
	return 0;
}

static void j_flags(struct rec *r, const char *k, const struct vma *v)
{
	key(r, k);
	put(r, "[");
	for (int i = 0; v && i < v->nflags; i++) {
		put(r, i ? "," : "");
		put_string(r, v->flags[i]);
	}
	put(r, "]");
}

static long status_kb(const char *name)
{
	const char *line = strstr(read_file("/proc/self/status"), name);
	return line ? strtol(line + strlen(name), NULL, 10) : -1;
}

/* ---------- observations ---------- */

static void obs_kernel(struct rec *r)
{
	struct utsname u;

	uname(&u);
	j_str(r, "release", u.release);
	j_str(r, "machine", u.machine);
	j_int(r, "page_size", page_size);
#ifdef __GLIBC__
	j_str(r, "observer", "guest glibc");
#else
	j_str(r, "observer", "guest musl");
#endif
}

static void obs_map_droppable(struct rec *r)
{
	const long pages = 4;
	size_t len = (size_t)(pages * page_size);
	unsigned char *guard = mmap(NULL, len + 2 * (size_t)page_size, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *addr = NULL;
	int err = 0, dp_count = 0;
	const struct vma *v;

	if (guard == MAP_FAILED) {
		rec_outcome(r, "map-droppable", "error", "cannot reserve the guard mapping");
		return;
	}
	addr = mmap(guard + page_size, len, RW, MAP_ANONYMOUS | P_DROPPABLE | MAP_FIXED, -1, 0);
	if (addr == MAP_FAILED) {
		err = errno;
		addr = NULL;
	} else {
		fill(addr, pages);
	}
	read_smaps();
	v = vma_containing(addr);
	for (int i = 0; i < nvmas; i++)
		dp_count += has_flag(&vmas[i], "dp");
	j_int(r, "mmap_errno", err);
	j_uint(r, "addr", (unsigned long)addr);
	j_int(r, "length", (long long)len);
	j_uint(r, "vma_start", v ? v->start : 0);
	j_uint(r, "vma_end", v ? v->end : 0);
	j_flags(r, "vm_flags", v);
	j_flags(r, "before_vm_flags", addr ? vma_ending_at((unsigned long)addr) : NULL);
	j_flags(r, "after_vm_flags", addr ? vma_starting_at((unsigned long)addr + len) : NULL);
	j_int(r, "dp_vma_count", dp_count);
}

/* errno of mmap(flags) of len bytes; unmapped again when it was accepted. */
static int try_map(size_t len, int flags)
{
	int err;
	unsigned char *p = map(len, flags, &err);
	if (p)
		munmap(p, len);
	return err;
}

static void obs_map_refusals(struct rec *r)
{
	size_t one = (size_t)page_size;
	int base = MAP_ANONYMOUS | P_DROPPABLE;

	j_int(r, "mmap_errno", try_map(one, base));
	j_int(r, "locked_errno", try_map(one, base | MAP_LOCKED));
	j_int(r, "hugetlb_errno", try_map(2u << 20, base | MAP_HUGETLB));
	j_int(r, "growsdown_errno", try_map(one, base | MAP_GROWSDOWN));
}

static void j_pageout(struct rec *r, const char *k, struct pageout po, const void *addr)
{
	const struct vma *v;

	read_smaps();
	v = vma_containing(addr);
	j_open(r, k);
	j_int(r, "pageout_errno", po.err);
	j_int(r, "pageout_attempts", po.attempts);
	j_census(r, "census", po.census);
	j_int(r, "swap_kb", v ? v->swap_kb : 0);
	j_close(r);
}

static void obs_reclaim(struct rec *r)
{
	const long pages = 16;
	size_t len = (size_t)(pages * page_size);
	int err, control_err;
	unsigned char *dp = map_droppable(len, &err);
	unsigned char *control = map_private(len, &control_err);
	struct pageout dp_po, control_po;

	if (!control) {
		rec_outcome(r, "reclaim", "error", "cannot map the private control");
		return;
	}
	if (dp)
		fill(dp, pages);
	fill(control, pages);
	dp_po = page_out(dp, pages, NULL);
	control_po = page_out(control, pages, NULL);
	j_int(r, "mmap_errno", err);
	j_int(r, "pages", pages);
	j_pageout(r, "droppable", dp_po, dp);
	j_pageout(r, "control", control_po, control);
}

struct fork_report {
	struct census child, child_control;
	struct vma child_vma;
};

static int read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	while (got < len && (n = read(fd, (char *)buf + got, len - got)) > 0)
		got += (size_t)n;
	return got == len;
}

static void write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;
	while (len > 0 && (n = write(fd, buf, len)) > 0) {
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
}

static void obs_fork(struct rec *r)
{
	const long pages = 4;
	size_t len = (size_t)(pages * page_size);
	int err, control_err, fds[2], status, fork_err = 0;
	unsigned char *dp = map_droppable(len, &err);
	unsigned char *control = map_private(len, &control_err);
	struct fork_report rep;
	pid_t pid;

	memset(&rep, 0, sizeof(rep));
	if (!control || pipe(fds) != 0) {
		rec_outcome(r, "fork", "error", "cannot set up the control mapping or pipe");
		return;
	}
	if (dp)
		fill(dp, pages);
	fill(control, pages);
	pid = fork();
	if (pid == 0) {
		const struct vma *v;

		close(fds[0]);
		rep.child = take_census(dp, pages, NULL);
		rep.child_control = take_census(control, pages, NULL);
		read_smaps();
		v = vma_containing(dp);
		if (v)
			rep.child_vma = *v;
		write_all(fds[1], &rep, sizeof(rep));
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0) {
		fork_err = errno;
	} else {
		int complete = read_all(fds[0], &rep, sizeof(rep));
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status)) {
			rec_begin(r, "fork", "crashed");
			j_int(r, "signal", WTERMSIG(status));
			j_str(r, "detail", "the forked child was killed by a signal");
			return;
		}
		if (!complete) {
			rec_outcome(r, "fork", "error", "the forked child sent no report");
			return;
		}
	}
	close(fds[0]);
	j_int(r, "mmap_errno", err);
	j_int(r, "pages", pages);
	j_int(r, "fork_errno", fork_err);
	j_census(r, "child_census", rep.child);
	j_census(r, "child_control_census", rep.child_control);
	j_flags(r, "child_vm_flags", rep.child_vma.nflags ? &rep.child_vma : NULL);
	j_census(r, "parent_census", take_census(dp, pages, NULL));
}

static void obs_mlock(struct rec *r)
{
	const long pages = 4;
	size_t len = (size_t)(pages * page_size);
	int err, control_err, mlock_err = 0, control_mlock_err;
	unsigned char *dp = map_droppable(len, &err);
	unsigned char *control = map_private(len, &control_err);
	long before, after = 0, control_after;
	const struct vma *v = NULL;
	long locked = 0;

	if (!control) {
		rec_outcome(r, "mlock", "error", "cannot map the private control");
		return;
	}
	if (dp)
		fill(dp, pages);
	fill(control, pages);
	before = status_kb("VmLck:");
	if (dp) {
		mlock_err = errno_of(mlock(dp, len));
		after = status_kb("VmLck:");
		read_smaps();
		v = vma_containing(dp);
		locked = v ? v->locked_kb : 0;
		munlock(dp, len);
	} else {
		after = before;
	}
	j_int(r, "mmap_errno", err);
	j_int(r, "length", (long long)len);
	j_int(r, "mlock_errno", mlock_err);
	j_int(r, "vmlck_before_kb", before);
	j_int(r, "vmlck_after_kb", after);
	j_int(r, "locked_after_kb", locked);
	j_flags(r, "vm_flags_after", v);
	control_mlock_err = errno_of(mlock(control, len));
	control_after = status_kb("VmLck:");
	munlock(control, len);
	j_int(r, "control_mlock_errno", control_mlock_err);
	j_int(r, "control_vmlck_after_kb", control_after);
}

static void obs_madvise_refusals(struct rec *r)
{
	size_t len = (size_t)page_size;
	int err, keep = 0, dump = 0;
	unsigned char *dp = map_droppable(len, &err);

	if (dp) {
		fill(dp, 1);
		keep = errno_of(madvise(dp, len, P_KEEPONFORK));
		dump = errno_of(madvise(dp, len, P_DODUMP));
	}
	read_smaps();
	j_int(r, "mmap_errno", err);
	j_int(r, "keeponfork_errno", keep);
	j_int(r, "dodump_errno", dump);
	j_flags(r, "vm_flags_after", vma_containing(dp));
}

/* ---------- vDSO getrandom ---------- */

typedef long (*vgetrandom_fn)(void *buf, size_t len, unsigned int flags, void *state, size_t state_len);

struct vgetrandom_params {
	uint32_t size_of_opaque_state, mmap_prot, mmap_flags, reserved[13];
};

/* The vDSO's dynamic symbol `name`, found through its section headers (the vDSO image carries them). */
static void *vdso_symbol(const unsigned char *base, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Shdr *sh;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	uintptr_t load_bias = 0;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 || !eh->e_shoff)
		return NULL;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			load_bias = (uintptr_t)base + ph[i].p_offset - ph[i].p_vaddr;
			break;
		}
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *syms;
		const char *strings;
		size_t count;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum || !sh[i].sh_entsize)
			continue;
		syms = (const Elf64_Sym *)(base + sh[i].sh_offset);
		strings = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		count = sh[i].sh_size / sh[i].sh_entsize;
		for (size_t s = 0; s < count; s++)
			if (syms[s].st_shndx != SHN_UNDEF && strcmp(strings + syms[s].st_name, name) == 0)
				return (void *)(load_bias + syms[s].st_value);
	}
	return NULL;
}

/* Two pages, the second PROT_NONE: the returned `len` bytes end exactly at the guard. */
static unsigned char *before_guard(size_t len)
{
	int err;
	unsigned char *p = map_private(2 * (size_t)page_size, &err);
	if (!p || mprotect(p + page_size, (size_t)page_size, PROT_NONE) != 0)
		return NULL;
	return p + page_size - len;
}

static int all_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void obs_vdso_getrandom(struct rec *r)
{
	const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	vgetrandom_fn fn = vdso ? (vgetrandom_fn)vdso_symbol(vdso, "__vdso_getrandom") : NULL;
	struct vgetrandom_params *params = (void *)before_guard(sizeof(*params));
	unsigned char *out = before_guard(32);
	unsigned char first[32];
	unsigned char *state;
	size_t state_len;
	long ret;
	int err;

	j_bool(r, "vdso_present", vdso != NULL);
	j_bool(r, "symbol_found", fn != NULL);
	if (!fn)
		return;
	if (!params || !out) {
		rec_outcome(r, "vdso-getrandom", "error", "cannot map guarded buffers");
		return;
	}
	memset(params, 0, sizeof(*params));
	ret = fn(NULL, 0, 0, params, ~0UL);
	j_int(r, "params_ret", ret);
	j_int(r, "size_of_opaque_state", params->size_of_opaque_state);
	j_int(r, "mmap_prot", params->mmap_prot);
	j_int(r, "mmap_flags", params->mmap_flags);
	if (ret != 0 || params->size_of_opaque_state == 0)
		return;
	state_len = ((size_t)params->size_of_opaque_state + (size_t)page_size - 1) & ~((size_t)page_size - 1);
	state = mmap(NULL, state_len, (int)params->mmap_prot, (int)params->mmap_flags, -1, 0);
	err = state == MAP_FAILED ? errno : 0;
	j_int(r, "state_mmap_errno", err);
	if (state == MAP_FAILED)
		return;
	read_smaps();
	j_flags(r, "state_vm_flags", vma_containing(state));
	ret = fn(out, 32, 0, state, params->size_of_opaque_state);
	memcpy(first, out, 32);
	j_int(r, "first_ret", ret);
	j_bool(r, "first_all_zero", all_zero(first, 32));
	pin_cpu();
	err = errno_of(madvise(state, state_len, P_PAGEOUT));
	if (!all_zero(state, state_len))
		err = errno_of(madvise(state, state_len, P_PAGEOUT));
	j_int(r, "pageout_errno", err);
	j_bool(r, "state_zero_after_pageout", all_zero(state, state_len));
	memset(out, 0, 32);
	ret = fn(out, 32, 0, state, params->size_of_opaque_state);
	j_int(r, "second_ret", ret);
	j_bool(r, "second_all_zero", all_zero(out, 32));
	j_bool(r, "same_output", memcmp(first, out, 32) == 0);
}

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
	const struct vma *v;

	j_open(r, k);
	j_int(r, "mmap_errno", side->mmap_err);
	if (side->addr) {
		j_int(r, "advise_errno", side->advise_err);
		j_int(r, "lazyfree_kb_after_advise", side->kb_after_advise);
		j_int(r, "lazyfree_kb_after_redirty", side->kb_after_redirty);
		j_census(r, "fork_child_census", fork_census(side->addr, expected));
		j_int(r, "pageout_errno",
		      errno_of(madvise(side->addr, COMPARE_PAGES * (size_t)page_size, P_PAGEOUT)));
		j_int(r, "pageout_attempts", 1);
		j_pages_where(r, "surviving", side->addr, expected, 0);
		j_pages_where(r, "zero", side->addr, expected, 1);
		read_smaps();
		v = vma_containing(side->addr);
		j_int(r, "swap_kb", v ? v->swap_kb : 0);
	}
	j_close(r);
}

static void obs_compare_lazyfree(struct rec *r)
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
	compare_reclaim(r, "lazyfree", &lazyfree, expected);
	compare_reclaim(r, "droppable", &droppable, expected);
}

static int want_pressure, want_coredump;

static void obs_coredump(struct rec *r)
{
	rec_outcome(r, "coredump", "skipped",
		    want_coredump ? "a real core dump is checked by the host observer only"
				  : "real core dump not requested (--coredump)");
}

/* ---------- fault-time memory pressure (only when asked, only as PID 1 of the probe VM) ---------- */

#define PRESSURE_LIMIT (16L << 20)
#define PRESSURE_LENGTH (4 * PRESSURE_LIMIT)
#define CGROUP_ROOT "/sys/fs/cgroup"
#define PROBE_CGROUP CGROUP_ROOT "/patchcheck-probe"

static int is_pid1;

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, text, strlen(text)) < 0)
		err = errno;
	close(fd);
	return err;
}

struct pressure_report {
	int mmap_err;
	struct census census;
};

/* The grandchild: join the limited cgroup, write a droppable range four times the limit, read it back. */
static void fault_in_cgroup(int fd)
{
	struct pressure_report rep = { 0, { 0, 0, 0 } };
	char pid[32];
	unsigned char *p;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_text(PROBE_CGROUP "/cgroup.procs", pid) != 0)
		_exit(3);
	p = map_droppable(PRESSURE_LENGTH, &rep.mmap_err);
	if (p) {
		fill(p, PRESSURE_LENGTH / page_size);
		rep.census = take_census(p, PRESSURE_LENGTH / page_size, NULL);
	}
	write_all(fd, &rep, sizeof(rep));
	_exit(0);
}

static long oom_kills(void)
{
	const char *line = strstr(read_file(PROBE_CGROUP "/memory.events"), "oom_kill ");
	return line ? strtol(line + 9, NULL, 10) : 0;
}

static void obs_pressure(struct rec *r)
{
	struct pressure_report rep = { 0, { 0, 0, 0 } };
	char limit[32], detail[160];
	int fds[2], status = 0, err;
	pid_t pid;

	if (!want_pressure) {
		rec_outcome(r, "pressure", "skipped", "memory pressure not requested (--pressure)");
		return;
	}
	if (!is_pid1) {
		rec_outcome(r, "pressure", "skipped", "the C observer makes memory pressure only inside the probe VM");
		return;
	}
	mkdir("/sys", 0555);
	mkdir("/sys/fs", 0555);
	mkdir(CGROUP_ROOT, 0555);
	if (mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL) != 0 && errno != EBUSY) {
		snprintf(detail, sizeof(detail), "cannot mount cgroup2 (%s): kernel without CONFIG_CGROUPS",
			 strerror(errno));
		rec_outcome(r, "pressure", "skipped", detail);
		return;
	}
	if ((err = write_text(CGROUP_ROOT "/cgroup.subtree_control", "+memory")) != 0) {
		snprintf(detail, sizeof(detail), "no memory controller (%s): kernel without CONFIG_MEMCG",
			 strerror(err));
		rec_outcome(r, "pressure", "skipped", detail);
		return;
	}
	if (mkdir(PROBE_CGROUP, 0755) != 0 && errno != EEXIST) {
		rec_outcome(r, "pressure", "error", "cannot create the probe's cgroup");
		return;
	}
	snprintf(limit, sizeof(limit), "%ld", PRESSURE_LIMIT);
	write_text(PROBE_CGROUP "/memory.swap.max", "0"); /* absent without swap accounting: fine */
	if ((err = write_text(PROBE_CGROUP "/memory.max", limit)) != 0 || pipe(fds) != 0 || (pid = fork()) < 0) {
		rec_outcome(r, "pressure", "error", "cannot limit the probe's cgroup or start its child");
		rmdir(PROBE_CGROUP);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		fault_in_cgroup(fds[1]);
	}
	close(fds[1]);
	if (!read_all(fds[0], &rep, sizeof(rep)))
		memset(&rep, 0, sizeof(rep));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		rec_outcome(r, "pressure", "error", "cannot move the child into the probe's cgroup");
		rmdir(PROBE_CGROUP);
		return;
	}
	j_str(r, "cgroup", "v2");
	j_int(r, "limit", PRESSURE_LIMIT);
	j_int(r, "mmap_errno", rep.mmap_err);
	j_int(r, "length", PRESSURE_LENGTH);
	j_int(r, "child_signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	j_census(r, "census", rep.census);
	j_int(r, "oom_kills", oom_kills());
	for (int i = 0; i < 50 && rmdir(PROBE_CGROUP) != 0; i++)
		usleep(20000); /* a task that just exited can take a moment to leave its cgroup */
}

/* Self-test observations (argument "selftest"): prove a crash and a hang become records, not a dead probe. */
static void obs_selftest_crash(struct rec *r)
{
	(void)r;
	raise(SIGSEGV);
}

static void obs_selftest_hang(struct rec *r)
{
	(void)r;
	for (;;)
		pause();
}

/* ---------- running observations in children ---------- */

static int seq, want_lazyfree, want_selftest;

static void emit(const char *json)
{
	static char line[sizeof(((struct rec *)0)->buf) + 64];
	int n = snprintf(line, sizeof(line), "PATCHCHECK-RECORD %d %s\n", seq++, json);
	/* One write per line: nothing of ours interleaves with it. */
	write_all(1, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void run(const char *obs, void (*observe)(struct rec *))
{
	static struct rec r;
	static char got[sizeof(r.buf)];
	size_t len = 0;
	int fds[2], status, finished = 0;
	pid_t pid;
	struct timespec start, now;

	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		rec_outcome(&r, obs, "error", "cannot fork the observation's child");
		put(&r, "}");
		emit(r.buf);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		alarm(timeout_seconds);
		rec_begin(&r, obs, "ok");
		if (smaps_missing)
			j_bool(&r, "smaps_missing", 1);
		observe(&r);
		put(&r, "}");
		write_all(fds[1], r.buf, r.len);
		_exit(0);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t n;
		long waited;

		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited > (timeout_seconds + 2) * 1000L)
			break;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fds[0], got + len, sizeof(got) - 1 - len);
		if (n <= 0) {
			finished = 1;
			break;
		}
		len += (size_t)n;
	}
	close(fds[0]);
	if (!finished)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	got[len] = 0;
	if (WIFSIGNALED(status) && (!finished || WTERMSIG(status) == SIGALRM)) {
		rec_outcome(&r, obs, "timeout", "no result within the time limit");
	} else if (WIFSIGNALED(status)) {
		char detail[96];
		snprintf(detail, sizeof(detail), "observer killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		rec_begin(&r, obs, "crashed");
		j_int(&r, "signal", WTERMSIG(status));
		j_str(&r, "detail", detail);
	} else if (len == 0 || got[len - 1] != '}') {
		rec_outcome(&r, obs, "error", "observer exited without a record");
	} else {
		emit(got);
		return;
	}
	put(&r, "}");
	emit(r.buf);
}

int main(int argc, char **argv)
{
	int pid1 = is_pid1 = getpid() == 1, proc;
	struct utsname u;
	char line[512];

	if (pid1) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	proc = access("/proc/self/status", R_OK) == 0;
	smaps_missing = access("/proc/self/smaps", R_OK) != 0;
	for (int i = 1; i < argc; i++) {
		want_pressure |= strcmp(argv[i], "pressure") == 0;
		want_coredump |= strcmp(argv[i], "coredump") == 0;
		want_lazyfree |= strcmp(argv[i], "compare-lazyfree") == 0;
		want_selftest |= strcmp(argv[i], "selftest") == 0;
		if (strncmp(argv[i], "timeout=", 8) == 0 && atoi(argv[i] + 8) > 0)
			timeout_seconds = (unsigned)atoi(argv[i] + 8);
	}
	page_size = sysconf(_SC_PAGESIZE);
	uname(&u);
	snprintf(line, sizeof(line),
		 "PATCHCHECK-BEGIN {\"observer\":%d,\"release\":\"%.64s\",\"pid1\":%s,\"proc\":%s}\n",
		 OBSERVER_VERSION, u.release, pid1 ? "true" : "false", proc ? "true" : "false");
	write_all(1, line, strlen(line));
	run("kernel", obs_kernel);
	run("map-droppable", obs_map_droppable);
	run("map-refusals", obs_map_refusals);
	run("reclaim", obs_reclaim);
	run("fork", obs_fork);
	run("mlock", obs_mlock);
	run("madvise-refusals", obs_madvise_refusals);
	run("coredump", obs_coredump);
	run("pressure", obs_pressure);
	run("vdso-getrandom", obs_vdso_getrandom);
	if (want_lazyfree)
		run("compare-lazyfree", obs_compare_lazyfree);
	if (want_selftest) {
		run("selftest-crash", obs_selftest_crash);
		run("selftest-hang", obs_selftest_hang);
	}
	snprintf(line, sizeof(line), "PATCHCHECK-END %d\n", seq);
	write_all(1, line, strlen(line));
	if (pid1) {
		sync();
		reboot(RB_AUTOBOOT);
		for (;;)
			pause();
	}
	return 0;
}
