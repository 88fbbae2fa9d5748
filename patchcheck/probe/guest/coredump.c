/* coredump: a child holding a droppable and a private mapping dumps core; its program headers and its bytes
 * show what was written. Inside the probe VM the observer owns the machine and sets core_pattern to "core";
 * elsewhere it never changes it, and runs only when the pattern is a bare file name (as the host observer). */
#include "observer.h"

#include <dirent.h>
#include <sys/resource.h>

#define CORE_PATTERN "/proc/sys/kernel/core_pattern"
#define CORE_PAGES 4
#define CORE_LIMIT (16L << 20)

/* The droppable mapping holds the re-dirtied pattern, so its bytes differ from the control's. */
static unsigned char dropped_byte(long i) { return (unsigned char)(pattern(i) ^ 0xff); }

static const char *unusable(const char *pattern, char *why, size_t size)
{
	if (pattern[0] == '|') {
		snprintf(why, size, "core_pattern pipes to a handler (%.*s); the probe never changes core_pattern",
			 (int)strcspn(pattern + 1, " "), pattern + 1);
		return why;
	}
	if (!pattern[0] || strchr(pattern, '/')) {
		snprintf(why, size, "core_pattern '%s' writes outside the probe's temporary directory", pattern);
		return why;
	}
	return NULL;
}

static void dump_core(const char *dir, int fd)
{
	struct rlimit lim;
	unsigned long out[3] = { 0, 0, 0 };
	int err, control_err;
	unsigned char *dp, *control;

	if (chdir(dir) != 0)
		_exit(2);
	alarm(10);
	getrlimit(RLIMIT_CORE, &lim);
	lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max > CORE_LIMIT ? CORE_LIMIT : lim.rlim_max;
	setrlimit(RLIMIT_CORE, &lim);
	dp = map_droppable(CORE_PAGES * (size_t)page_size, &err);
	control = map_private(CORE_PAGES * (size_t)page_size, &control_err);
	for (long i = 0; dp && i < CORE_PAGES; i++)
		memset(dp + i * page_size, dropped_byte(i), (size_t)page_size);
	if (control)
		fill(control, CORE_PAGES);
	out[0] = (unsigned long)dp;
	out[1] = (unsigned long)err;
	out[2] = (unsigned long)control;
	write_all(fd, out, sizeof(out));
	close(fd);
	abort();
}

struct core_facts {
	int found, dp_segment, dp_bytes_found;
	long dp_filesz, control_filesz, size;
};

static void read_core(const char *path, unsigned long dp, unsigned long control, struct core_facts *f)
{
	static unsigned char page[65536];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t at;

	if (fd < 0)
		return;
	f->found = 1;
	f->size = lseek(fd, 0, SEEK_END);
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
		for (int i = 0; i < eh.e_phnum; i++) {
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (size_t)i * eh.e_phentsize)) != sizeof(ph))
				break;
			if (ph.p_type != PT_LOAD)
				continue;
			if (ph.p_vaddr == dp) {
				f->dp_segment = 1;
				f->dp_filesz = (long)ph.p_filesz;
			} else if (ph.p_vaddr == control) {
				f->control_filesz = (long)ph.p_filesz;
			}
		}
	}
	/* Whatever the headers say: is a page of the droppable mapping's bytes anywhere in the file? */
	for (at = 0; page_size <= (long)sizeof(page) && pread(fd, page, (size_t)page_size, at) == page_size;
	     at += page_size) {
		for (long i = 0; i < CORE_PAGES; i++) {
			long j = 0;
			while (j < page_size && page[j] == dropped_byte(i))
				j++;
			f->dp_bytes_found |= j == page_size;
		}
	}
	close(fd);
}

void obs_coredump(struct rec *r)
{
	char pattern[256], why[320], dir[] = "/tmp/patchcheck-core-XXXXXX", path[512];
	unsigned long got[3] = { 0, 0, 0 };
	struct core_facts facts = { 0, 0, 0, 0, 0, 0 };
	int fds[2], status;
	struct dirent *entry;
	DIR *listing;
	pid_t pid;

	if (!want_coredump) {
		rec_outcome(r, "coredump", "skipped", "real core dump not requested (--coredump)");
		return;
	}
	if (access(CORE_PATTERN, F_OK) != 0) {
		rec_outcome(r, "coredump", "unsupported", "no " CORE_PATTERN ": kernel without CONFIG_COREDUMP");
		return;
	}
	if (is_pid1) {
		int fd = open(CORE_PATTERN, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			write_all(fd, "core", 4);
			close(fd);
		}
	}
	snprintf(pattern, sizeof(pattern), "%s", read_file(CORE_PATTERN));
	pattern[strcspn(pattern, "\n")] = 0;
	if (unusable(pattern, why, sizeof(why))) {
		rec_outcome(r, "coredump", "skipped", why);
		return;
	}
	if (!mkdtemp(dir) || pipe(fds) != 0 || (pid = fork()) < 0) {
		rec_outcome(r, "coredump", "error", "cannot make the temporary directory or the dumping child");
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		dump_core(dir, fds[1]);
	}
	close(fds[1]);
	if (!read_all(fds[0], got, sizeof(got)))
		memset(got, 0, sizeof(got));
	close(fds[0]);
	waitpid(pid, &status, 0);
	listing = opendir(dir);
	while (listing && (entry = readdir(listing)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (!facts.found)
			read_core(path, got[0], got[2], &facts);
		unlink(path);
	}
	if (listing)
		closedir(listing);
	rmdir(dir);
	if (!facts.found) {
		rec_outcome(r, "coredump", "skipped", "no core file was written (RLIMIT_CORE hard limit or dumpable flag)");
		j_str(r, "core_pattern", pattern);
		j_int(r, "mmap_errno", (long long)got[1]);
		return;
	}
	j_str(r, "core_pattern", pattern);
	j_int(r, "mmap_errno", (long long)got[1]);
	j_bool(r, "core_found", 1);
	j_bool(r, "droppable_segment", facts.dp_segment);
	j_int(r, "droppable_filesz", facts.dp_filesz);
	j_int(r, "control_filesz", facts.control_filesz);
	j_int(r, "core_bytes", facts.size);
	j_bool(r, "droppable_bytes_found", facts.dp_bytes_found);
}
