/* The vdso-getrandom observation: the consumer of MAP_DROPPABLE. */
#include "observer.h"

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

void obs_vdso_getrandom(struct rec *r)
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
