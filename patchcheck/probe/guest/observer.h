/*
 * Shared declarations of the in-guest observer (observer.c is the entry point; see its comment).
 * Names and constants follow patchcheck/probe/OBSERVATIONS.md.
 */
#ifndef PATCHCHECK_OBSERVER_H
#define PATCHCHECK_OBSERVER_H

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* What the command line asked for (observer.c). */
extern int want_pressure, want_coredump, is_pid1;

/* ---- json.c: one record, built in a fixed buffer ---- */
struct rec {
	char buf[16384];
	size_t len;
	int fresh; /* no comma before the next member */
};

void put(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void key(struct rec *r, const char *k);
void put_string(struct rec *r, const char *s);
void j_int(struct rec *r, const char *k, long long v);
void j_uint(struct rec *r, const char *k, unsigned long long v);
void j_bool(struct rec *r, const char *k, int v);
void j_str(struct rec *r, const char *k, const char *v);
void j_open(struct rec *r, const char *k);
void j_close(struct rec *r);
void rec_begin(struct rec *r, const char *obs, const char *outcome);
void rec_outcome(struct rec *r, const char *obs, const char *outcome, const char *detail);

/* ---- memory.c: pages, patterns, censuses ---- */
extern long page_size;

struct census {
	long kept, zero, other;
};

struct pageout {
	int err, attempts;
	long swap_kb; /* the VMA's Swap: right after the last MADV_PAGEOUT, before any page is read back */
	struct census census;
};

unsigned char pattern(long i);
void fill(unsigned char *addr, long pages);
struct census take_census(const unsigned char *addr, long pages, const unsigned char *expected);
void j_census(struct rec *r, const char *k, struct census c);
unsigned char *map(size_t len, int flags, int *err);
unsigned char *map_droppable(size_t len, int *err);
unsigned char *map_private(size_t len, int *err);
int errno_of(int ret);
void pin_cpu(void);
struct pageout page_out(unsigned char *addr, long pages, const unsigned char *expected);
int read_all(int fd, void *buf, size_t len);
void write_all(int fd, const void *buf, size_t len);

/* ---- procfs.c: smaps and status ---- */
#define MAX_FLAGS 48

struct vma {
	unsigned long start, end;
	long swap_kb, locked_kb, lazyfree_kb;
	int nflags;
	char flags[MAX_FLAGS][3];
};

extern struct vma vmas[4096];
extern int nvmas;

const char *read_file(const char *path);
void read_smaps(void);
const struct vma *vma_containing(const void *addr);
const struct vma *vma_ending_at(unsigned long a);
const struct vma *vma_starting_at(unsigned long a);
int has_flag(const struct vma *v, const char *flag);
void j_flags(struct rec *r, const char *k, const struct vma *v);
long status_kb(const char *name);
long meminfo_kb(const char *name);
long vma_swap_kb(const void *addr);

/* ---- the observations, each filling one record ---- */
void obs_kernel(struct rec *r);
void obs_map_droppable(struct rec *r);
void obs_map_refusals(struct rec *r);
void obs_reclaim(struct rec *r);
void obs_fork(struct rec *r);
void obs_mlock(struct rec *r);
void obs_madvise_refusals(struct rec *r);
void obs_coredump(struct rec *r);
void obs_swap(struct rec *r);
void obs_pressure(struct rec *r);
void obs_vdso_getrandom(struct rec *r);
void obs_compare_lazyfree(struct rec *r);

#endif
