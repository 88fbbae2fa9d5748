/* pressure: fault a droppable range four times larger than a memory cgroup of our own (probe VM only). */
#include "observer.h"

/* ---------- fault-time memory pressure (only when asked, only as PID 1 of the probe VM) ---------- */

#define PRESSURE_LIMIT (16L << 20)
#define PRESSURE_LENGTH (4 * PRESSURE_LIMIT)
/* With swap, a private control larger than the limit is written first: part of it must reach swap. */
#define PRESSURE_CONTROL (PRESSURE_LIMIT * 3 / 2)
#define PRESSURE_SWAP_MAX (2 * PRESSURE_LIMIT)
#define CGROUP_ROOT "/sys/fs/cgroup"
#define PROBE_CGROUP CGROUP_ROOT "/patchcheck-probe"

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
	long droppable_swap_kb, control_swap_kb;
	struct census census, control_census;
};

/* The grandchild: join the limited cgroup, write the private control (with swap), then a droppable range four
 * times the limit; read the swap use of both, then every page back. */
static void fault_in_cgroup(int fd, long control_length)
{
	struct pressure_report rep;
	char pid[32];
	unsigned char *p, *control = NULL;
	int control_err;

	memset(&rep, 0, sizeof(rep));
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_text(PROBE_CGROUP "/cgroup.procs", pid) != 0)
		_exit(3);
	if (control_length) {
		control = map_private((size_t)control_length, &control_err);
		if (!control)
			_exit(4);
		fill(control, control_length / page_size);
	}
	p = map_droppable(PRESSURE_LENGTH, &rep.mmap_err);
	if (p) {
		fill(p, PRESSURE_LENGTH / page_size);
		rep.droppable_swap_kb = vma_swap_kb(p);
		rep.control_swap_kb = control ? vma_swap_kb(control) : 0;
		rep.census = take_census(p, PRESSURE_LENGTH / page_size, NULL);
		rep.control_census = take_census(control, control_length / page_size, NULL);
	}
	write_all(fd, &rep, sizeof(rep));
	_exit(0);
}

static long oom_kills(void)
{
	const char *line = strstr(read_file(PROBE_CGROUP "/memory.events"), "oom_kill ");
	return line ? strtol(line + 9, NULL, 10) : 0;
}

void obs_pressure(struct rec *r)
{
	struct pressure_report rep;
	char limit[32], detail[160];
	int fds[2], status = 0, err;
	long swap_total = meminfo_kb("SwapTotal:");
	/* Without room in swap the control could only be OOM-killed (and its death blamed on the droppable). */
	long control_length = swap_total && meminfo_kb("SwapFree:") * 1024 >= 2 * PRESSURE_CONTROL ? PRESSURE_CONTROL : 0;
	pid_t pid;

	memset(&rep, 0, sizeof(rep));

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
	snprintf(limit, sizeof(limit), "%ld", PRESSURE_SWAP_MAX);
	write_text(PROBE_CGROUP "/memory.swap.max", limit); /* absent without swap accounting: fine */
	snprintf(limit, sizeof(limit), "%ld", PRESSURE_LIMIT);
	if ((err = write_text(PROBE_CGROUP "/memory.max", limit)) != 0 || pipe(fds) != 0 || (pid = fork()) < 0) {
		rec_outcome(r, "pressure", "error", "cannot limit the probe's cgroup or start its child");
		rmdir(PROBE_CGROUP);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		fault_in_cgroup(fds[1], control_length);
	}
	close(fds[1]);
	if (!read_all(fds[0], &rep, sizeof(rep)))
		memset(&rep, 0, sizeof(rep));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 4)) {
		rec_outcome(r, "pressure", "error",
			    WEXITSTATUS(status) == 3 ? "cannot move the child into the probe's cgroup"
						     : "cannot map the private control");
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
	j_int(r, "swap_total_kb", swap_total);
	j_int(r, "control_length", control_length);
	j_int(r, "control_swap_kb", rep.control_swap_kb);
	j_int(r, "droppable_swap_kb", rep.droppable_swap_kb);
	j_census(r, "control_census", rep.control_census);
	for (int i = 0; i < 50 && rmdir(PROBE_CGROUP) != 0; i++)
		usleep(20000); /* a task that just exited can take a moment to leave its cgroup */
}
