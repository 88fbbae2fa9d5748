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
 * As PID 1 it first gives the VM swap (swap.c: the virtio disk patchcheck attached), and owns core_pattern.
 *
 * Arguments (kernel command line after "--"): "pressure", "coredump", "compare-lazyfree" request the optional
 * observations, as the host probe's --pressure, --coredump and --compare lazyfree do; "timeout=N" sets the
 * per-observation limit in seconds; "selftest" adds a crashing and a hanging observation (for the tests).
 */
#include "observer.h"

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

int want_pressure, want_coredump, is_pid1;
static int seq, want_lazyfree, want_selftest, smaps_missing;
static unsigned timeout_seconds = 20; /* per observation; under TCG every check still takes well under 1 s */

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
	static struct rec header;
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
	put(&header, "PATCHCHECK-BEGIN {");
	header.fresh = 1;
	j_int(&header, "observer", OBSERVER_VERSION);
	j_str(&header, "release", u.release);
	j_bool(&header, "pid1", pid1);
	j_bool(&header, "proc", proc);
	put(&header, "}\n");
	write_all(1, header.buf, header.len);
	run("kernel", obs_kernel);
	run("swap", obs_swap);
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
