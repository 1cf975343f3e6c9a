/*
 * shim_deep.c - libraries loaded with dlopen(..., RTLD_DEEPBIND).
 *
 * Such a library looks its symbols up in its own scope (itself and its
 * dependencies, the driver among them) before the global one, so its
 * calls to cuMemAlloc_v2 and the like bind to the driver and never reach
 * the shim's exports (glibc dlopen(3): "Place the lookup scope of the
 * symbols in this shared object ahead of the global scope"). The shim
 * therefore overrides dlopen: a call without RTLD_DEEPBIND jumps straight
 * to glibc's (an assembly trampoline, so glibc sees the original caller,
 * whose RPATH/RUNPATH and $ORIGIN a library search depends on); a call
 * with it loads the library, then points every import of a wrapped
 * variant (and of dlsym and dlopen) in the objects that dlopen loaded at
 * the shim's lookup wrapper: GOT entries (JUMP_SLOT, GLOB_DAT), written
 * under glibc's loader lock (dl_iterate_phdr), made writable for the
 * moment of the write where RELRO protects them. The wrapper calls the
 * very function the library had bound, the driver's own, and records it
 * (the library sees the wrapper's address where it takes the function's).
 *
 * What it cannot do without changing the program: a bare library name or
 * one with $ORIGIN is searched from the caller's object, and the shim
 * would be the caller; such a call is passed through untouched, with one
 * warning, and that library's driver calls are not recorded. A library's
 * constructor runs inside dlopen, before the patch: its calls are not
 * recorded either.
 */
#include "shim.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef void *(*dlopen_fn)(const char *, int);

/* Read by the trampoline: hidden, so it is reached PC-relative. */
__attribute__((visibility("hidden"))) dlopen_fn shim_dlopen_real;

#if defined(__aarch64__)
#define BASE_GLIBC "GLIBC_2.17"
#else
#define BASE_GLIBC "GLIBC_2.2.5"
#endif

/* glibc's dlopen (first use; the trampoline calls it when unset). */
__attribute__((visibility("hidden"), used)) dlopen_fn shim_dlopen_resolve(void);
dlopen_fn shim_dlopen_resolve(void)
{
	dlopen_fn f = __atomic_load_n(&shim_dlopen_real, __ATOMIC_ACQUIRE);
	if (f)
		return f;
	f = (dlopen_fn)shim_next_glibc("dlopen");
	__atomic_store_n(&shim_dlopen_real, f, __ATOMIC_RELEASE);
	return f;
}

/* The shim's dlsym and dlopen (the trampolines), for imports of them. */
void *vramsim_dlsym_new(void *, const char *);
void *vramsim_dlopen_new(const char *, int);

__attribute__((visibility("hidden"), used)) void *shim_dlopen_deep(const char *file, int mode);

#if defined(__x86_64__)
__asm__(
	"	.text\n"
	"	.globl vramsim_dlopen_new\n"
	"	.type vramsim_dlopen_new, @function\n"
	"	.globl vramsim_dlopen_old\n"
	"	.type vramsim_dlopen_old, @function\n"
	"vramsim_dlopen_new:\n"
	"vramsim_dlopen_old:\n"
	"	testl $8, %esi\n"             /* RTLD_DEEPBIND */
	"	jnz 1f\n"
	"2:	movq shim_dlopen_real(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	je 3f\n"
	"	jmp *%rax\n"
	"3:	pushq %rdi\n"
	"	pushq %rsi\n"
	"	subq $8, %rsp\n"
	"	call shim_dlopen_resolve\n"
	"	addq $8, %rsp\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	jmp *%rax\n"
	"1:	pushq %rdi\n"
	"	pushq %rsi\n"
	"	subq $8, %rsp\n"
	"	call shim_dlopen_deep\n"
	"	addq $8, %rsp\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	cmpq $-1, %rax\n"             /* not handled: glibc's, as called */
	"	je 2b\n"
	"	ret\n"
	"	.size vramsim_dlopen_new, .-vramsim_dlopen_new\n"
	"	.size vramsim_dlopen_old, .-vramsim_dlopen_old\n"
	"	.symver vramsim_dlopen_new, dlopen@@GLIBC_2.34\n"
	"	.symver vramsim_dlopen_old, dlopen@" BASE_GLIBC "\n");
#define SHIM_HAS_DLOPEN 1
#elif defined(__aarch64__)
__asm__(
	"	.text\n"
	"	.globl vramsim_dlopen_new\n"
	"	.type vramsim_dlopen_new, %function\n"
	"	.globl vramsim_dlopen_old\n"
	"	.type vramsim_dlopen_old, %function\n"
	"vramsim_dlopen_new:\n"
	"vramsim_dlopen_old:\n"
	"	tst w1, #8\n"                 /* RTLD_DEEPBIND */
	"	b.ne 1f\n"
	"2:	adrp x16, shim_dlopen_real\n"
	"	ldr x16, [x16, :lo12:shim_dlopen_real]\n"
	"	cbz x16, 3f\n"
	"	br x16\n"
	"3:	stp x29, x30, [sp, #-32]!\n"
	"	stp x0, x1, [sp, #16]\n"
	"	bl shim_dlopen_resolve\n"
	"	mov x16, x0\n"
	"	ldp x0, x1, [sp, #16]\n"
	"	ldp x29, x30, [sp], #32\n"
	"	br x16\n"
	"1:	stp x29, x30, [sp, #-32]!\n"
	"	stp x0, x1, [sp, #16]\n"
	"	bl shim_dlopen_deep\n"
	"	ldp x2, x1, [sp, #16]\n"
	"	ldp x29, x30, [sp], #32\n"
	"	cmn x0, #1\n"                 /* not handled: glibc's, as called */
	"	b.ne 4f\n"
	"	mov x0, x2\n"
	"	b 2b\n"
	"4:	ret\n"
	"	.size vramsim_dlopen_new, .-vramsim_dlopen_new\n"
	"	.size vramsim_dlopen_old, .-vramsim_dlopen_old\n"
	"	.symver vramsim_dlopen_new, dlopen@@GLIBC_2.34\n"
	"	.symver vramsim_dlopen_old, dlopen@" BASE_GLIBC "\n");
#define SHIM_HAS_DLOPEN 1
#endif

#ifdef SHIM_HAS_DLOPEN

/* What an import named name should call instead, NULL: leave it. */
static void *target_of(const char *name)
{
	if (name[0] == 'd')
		return strcmp(name, "dlsym") == 0 ? (void *)vramsim_dlsym_new
		       : strcmp(name, "dlopen") == 0 ? (void *)vramsim_dlopen_new : NULL;
	if (name[0] != 'c' || name[1] != 'u')
		return NULL;
	for (int v = 0; v < SV_COUNT; v++)
		if (strcmp(shim_variants[v].name, name) == 0)
			return shim_variants[v].lookup_wrapper;
	return NULL;
}

#if defined(__x86_64__)
#define R_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB R_X86_64_GLOB_DAT
#else
#define R_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB R_AARCH64_GLOB_DAT
#endif

struct patch {
	int n0;            /* objects loaded before the dlopen */
	int idx;           /* index of the object the callback sees */
	uintptr_t opened;  /* load address of the object dlopen returned */
	uintptr_t self;    /* the shim's own load address */
	uintptr_t relro_lo, relro_hi;
	long page;
	unsigned patched;
};

/* A dynamic-section address: glibc relocates them in place, except where
 * the section is read-only; then it is still an offset. */
static uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) p)
{
	return p < base ? base + p : p;
}

static void write_slot(struct patch *pt, void **slot, void *to)
{
	if (*slot == to)
		return;
	/* glibc protects the whole pages of the RELRO range (both ends
	 * rounded down, elf/dl-reloc.c _dl_protect_relro): a slot on them is
	 * read-only; one after them shares a page with data and stays as it is. */
	uintptr_t a = (uintptr_t)slot, mask = ~(uintptr_t)(pt->page - 1);
	int ro = a >= (pt->relro_lo & mask) && a < (pt->relro_hi & mask);
	void *pg = (void *)(a & mask);
	if (ro && mprotect(pg, (size_t)pt->page, PROT_READ | PROT_WRITE) != 0)
		return;
	__atomic_store_n(slot, to, __ATOMIC_RELEASE);
	if (ro)
		mprotect(pg, (size_t)pt->page, PROT_READ);
	pt->patched++;
}

static void patch_relocs(struct patch *pt, uintptr_t base, const ElfW(Rela) *r, size_t bytes,
			 const ElfW(Sym) *symtab, const char *strtab)
{
	for (size_t i = 0; i < bytes / sizeof(*r); i++) {
		unsigned long type = ELF64_R_TYPE(r[i].r_info);
		if (type != R_SLOT && type != R_GLOB)
			continue;
		const ElfW(Sym) *s = &symtab[ELF64_R_SYM(r[i].r_info)];
		if (s->st_shndx != SHN_UNDEF || !s->st_name)
			continue; /* the object's own definition (the driver's) */
		void *to = target_of(strtab + s->st_name);
		if (to)
			write_slot(pt, (void **)(base + r[i].r_offset), to);
	}
}

/* Under glibc's loader lock: patch the objects the dlopen brought in. */
static int patch_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct patch *pt = arg;
	int i = pt->idx++;
	uintptr_t base = info->dlpi_addr;
	if ((i < pt->n0 && base != pt->opened) || base == pt->self)
		return 0;
	const ElfW(Dyn) *dyn = NULL;
	pt->relro_lo = pt->relro_hi = 0;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO) {
			pt->relro_lo = base + ph->p_vaddr;
			pt->relro_hi = pt->relro_lo + ph->p_memsz;
		}
	}
	if (!dyn)
		return 0;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const ElfW(Rela) *jmprel = NULL, *rela = NULL;
	size_t jmpsz = 0, relasz = 0;
	int pltrel = DT_RELA;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const void *)dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = (const void *)dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_JMPREL: jmprel = (const void *)dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: jmpsz = dyn->d_un.d_val; break;
		case DT_PLTREL: pltrel = (int)dyn->d_un.d_val; break;
		case DT_RELA: rela = (const void *)dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		default: break;
		}
	}
	if (!symtab || !strtab)
		return 0;
	if (jmprel && pltrel == DT_RELA)
		patch_relocs(pt, base, jmprel, jmpsz, symtab, strtab);
	if (rela)
		patch_relocs(pt, base, rela, relasz, symtab, strtab);
	return 0;
}

static int count_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	++*(int *)arg;
	return 0;
}

/*
 * dlopen with RTLD_DEEPBIND (from the trampoline): (void *)-1 when the
 * library's search would depend on its caller (then nothing was done and
 * the trampoline calls glibc's as the program did), else glibc's result,
 * the objects it loaded patched. No shim lock is held here at all.
 */
void *shim_dlopen_deep(const char *file, int mode)
{
	if (file && (!strchr(file, '/') || strchr(file, '$'))) {
		shim_warn_once(WARN_DEEPBIND, "dlopen(\"%s\", RTLD_DEEPBIND): a library found by "
			       "its caller's search path binds to the driver directly; its calls "
			       "are not recorded", file);
		return (void *)-1;
	}
	dlopen_fn real = shim_dlopen_resolve();
	if (!real)
		return (void *)-1;
	struct patch pt = { .page = sysconf(_SC_PAGESIZE) };
	if (pt.page <= 0)
		pt.page = 4096;
	dl_iterate_phdr(count_cb, &pt.n0);
	void *h = real(file, mode);
	if (!h || !file)
		return h;
	struct link_map *lm = NULL;
	Dl_info self;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !dladdr((void *)target_of, &self)) {
		dlerror(); /* the program's next dlerror() must not report ours */
		return h;
	}
	pt.opened = lm->l_addr;
	pt.self = (uintptr_t)self.dli_fbase;
	dl_iterate_phdr(patch_cb, &pt);
	return h;
}

#endif
