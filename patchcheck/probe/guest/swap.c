/* swap: give the probe VM a swap device (the virtio disk patchcheck attached, with a swap signature). */
#include "observer.h"

#include <dirent.h>
#include <sys/syscall.h>

#define MODULE_DIR "/modules"
#define DEV_DIR "/devtmpfs"
#define SWAP_DEVICE DEV_DIR "/vda"

static char module_failures[200];

/* Load every /modules/NN-name.ko in name order (the host wrote them dependencies first). */
static void load_modules(struct rec *r)
{
	struct dirent **names;
	int n = scandir(MODULE_DIR, &names, NULL, alphasort);
	static char image[4 << 20];

	key(r, "modules");
	put(r, "{");
	r->fresh = 1;
	for (int i = 0; i < n; i++) {
		char path[512], name[256];
		int fd, err = 0;
		ssize_t len;
		char *dot;

		if (names[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), MODULE_DIR "/%s", names[i]->d_name);
		snprintf(name, sizeof(name), "%s", names[i]->d_name + (strlen(names[i]->d_name) > 3 ? 3 : 0));
		dot = strstr(name, ".ko");
		if (dot)
			*dot = 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd < 0 ? -1 : read(fd, image, sizeof(image));
		if (fd >= 0)
			close(fd);
		if (len <= 0 || (size_t)len == sizeof(image))
			err = EIO;
		else if (syscall(SYS_init_module, image, (unsigned long)len, "") != 0 && errno != EEXIST)
			err = errno;
		j_int(r, name, err);
		if (err) {
			size_t used = strlen(module_failures);
			snprintf(module_failures + used, sizeof(module_failures) - used, "%s%.40s: %.40s",
				 used ? ", " : "; loading ", name, strerror(err));
		}
		free(names[i]);
	}
	if (n > 0)
		free(names);
	j_close(r);
}

static int wait_for(const char *path, int tenths)
{
	for (int i = 0; i < tenths; i++) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(100000);
	}
	return access(path, F_OK) == 0;
}

/* Milliseconds until a private test page written out with MADV_PAGEOUT shows in Swap: (swap set-up may finish
 * asynchronously right after swapon); -1 when it never did within 2 s. */
static long swap_ready_ms(void)
{
	int err;
	unsigned char *page = map_private((size_t)page_size, &err);

	for (long waited = 0; page && waited <= 2000; waited += 50) {
		fill(page, 1);
		madvise(page, (size_t)page_size, P_PAGEOUT);
		if (vma_swap_kb(page) > 0) {
			munmap(page, (size_t)page_size);
			return waited;
		}
		usleep(50000);
	}
	if (page)
		munmap(page, (size_t)page_size);
	return -1;
}

void obs_swap(struct rec *r)
{
	char detail[400];
	int err;

	if (!is_pid1) {
		rec_outcome(r, "swap", "skipped", "swap is added only inside the probe VM; the host probe uses what is configured");
		return;
	}
	mkdir(DEV_DIR, 0755);
	if (mount("devtmpfs", DEV_DIR, "devtmpfs", 0, NULL) != 0 && errno != EBUSY) {
		snprintf(detail, sizeof(detail), "cannot mount devtmpfs (%s): kernel without CONFIG_DEVTMPFS",
			 strerror(errno));
		rec_outcome(r, "swap", "unsupported", detail);
		return;
	}
	load_modules(r);
	if (!wait_for(SWAP_DEVICE, 30)) {
		snprintf(detail, sizeof(detail),
			 "no swap disk (/dev/vda): kernel without CONFIG_VIRTIO_BLK and CONFIG_VIRTIO_PCI, built in "
			 "or as modules of its package%.150s", module_failures);
		rec_outcome(r, "swap", "unsupported", detail);
		return;
	}
	err = syscall(SYS_swapon, SWAP_DEVICE, 0) == 0 ? 0 : errno;
	if (err == ENOSYS) {
		rec_outcome(r, "swap", "unsupported", "swapon() -> ENOSYS: kernel without CONFIG_SWAP");
		return;
	}
	if (err) {
		snprintf(detail, sizeof(detail), "swapon(/dev/vda) failed: %s", strerror(err));
		rec_outcome(r, "swap", "error", detail);
		return;
	}
	j_str(r, "device", "/dev/vda");
	j_int(r, "swapon_errno", 0);
	j_int(r, "swap_total_kb", meminfo_kb("SwapTotal:"));
	j_int(r, "ready_ms", swap_ready_ms());
}
