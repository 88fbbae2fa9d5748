/* Reading /proc/self/smaps and /proc/self/status into plain structures. */
#include "observer.h"

/* ---------- /proc readers ---------- */

static char file_buf[1 << 20];

const char *read_file(const char *path)
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

struct vma vmas[4096];
int nvmas;

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
void read_smaps(void)
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

const struct vma *vma_containing(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	for (int i = 0; addr && i < nvmas; i++)
		if (vmas[i].start <= a && a < vmas[i].end)
			return &vmas[i];
	return NULL;
}

const struct vma *vma_ending_at(unsigned long a)
{
	for (int i = 0; a && i < nvmas; i++)
		if (vmas[i].end == a)
			return &vmas[i];
	return NULL;
}

const struct vma *vma_starting_at(unsigned long a)
{
	for (int i = 0; a && i < nvmas; i++)
		if (vmas[i].start == a)
			return &vmas[i];
	return NULL;
}

int has_flag(const struct vma *v, const char *flag)
{
	for (int i = 0; v && i < v->nflags; i++)
		if (strcmp(v->flags[i], flag) == 0)
			return 1;
	return 0;
}

void j_flags(struct rec *r, const char *k, const struct vma *v)
{
	key(r, k);
	put(r, "[");
	for (int i = 0; v && i < v->nflags; i++) {
		put(r, i ? "," : "");
		put_string(r, v->flags[i]);
	}
	put(r, "]");
}

long status_kb(const char *name)
{
	const char *line = strstr(read_file("/proc/self/status"), name);
	return line ? strtol(line + strlen(name), NULL, 10) : -1;
}

/* A "Name:  N kB" line of /proc/meminfo (system-wide), 0 when absent. */
long meminfo_kb(const char *name)
{
	const char *line = strstr(read_file("/proc/meminfo"), name);
	return line ? strtol(line + strlen(name), NULL, 10) : 0;
}

long vma_swap_kb(const void *addr)
{
	const struct vma *v;

	read_smaps();
	v = vma_containing(addr);
	return v ? v->swap_kb : 0;
}
