/* The core observations of OBSERVATIONS.md: mapping, refusals, reclaim, fork, mlock, madvise. */
#include "observer.h"

/* ---------- observations ---------- */

void obs_kernel(struct rec *r)
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

void obs_map_droppable(struct rec *r)
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

void obs_map_refusals(struct rec *r)
{
	size_t one = (size_t)page_size;
	int base = MAP_ANONYMOUS | P_DROPPABLE;

	j_int(r, "mmap_errno", try_map(one, base));
	j_int(r, "locked_errno", try_map(one, base | MAP_LOCKED));
	j_int(r, "hugetlb_errno", try_map(2u << 20, base | MAP_HUGETLB));
	j_int(r, "growsdown_errno", try_map(one, base | MAP_GROWSDOWN));
	/* the controls: the same flags on a private mapping */
	base = MAP_ANONYMOUS | MAP_PRIVATE;
	j_int(r, "control_locked_errno", try_map(one, base | MAP_LOCKED));
	j_int(r, "control_hugetlb_errno", try_map(2u << 20, base | MAP_HUGETLB));
	j_int(r, "control_growsdown_errno", try_map(one, base | MAP_GROWSDOWN));
}

static void j_pageout(struct rec *r, const char *k, struct pageout po)
{
	j_open(r, k);
	j_int(r, "pageout_errno", po.err);
	j_int(r, "pageout_attempts", po.attempts);
	j_census(r, "census", po.census);
	j_int(r, "swap_kb", po.swap_kb);
	j_close(r);
}

void obs_reclaim(struct rec *r)
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
	j_int(r, "swap_total_kb", meminfo_kb("SwapTotal:"));
	j_pageout(r, "droppable", dp_po);
	j_pageout(r, "control", control_po);
}

struct fork_report {
	struct census child, child_control;
	struct vma child_vma;
};

void obs_fork(struct rec *r)
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

void obs_mlock(struct rec *r)
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

void obs_madvise_refusals(struct rec *r)
{
	size_t len = (size_t)page_size;
	int err, control_err, keep = 0, dump = 0;
	unsigned char *dp = map_droppable(len, &err);
	unsigned char *control = map_private(len, &control_err);

	if (!control) {
		rec_outcome(r, "madvise-refusals", "error", "cannot map the private control");
		return;
	}
	fill(control, 1);
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
	j_int(r, "control_keeponfork_errno", errno_of(madvise(control, len, P_KEEPONFORK)));
	j_int(r, "control_dodump_errno", errno_of(madvise(control, len, P_DODUMP)));
}
