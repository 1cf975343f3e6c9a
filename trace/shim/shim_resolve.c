/*
 * shim_resolve.c - how the shim reaches the real driver and how programs
 * reach the shim.
 *
 * Since CUDA 11.3 the runtime (static or shared) does dlopen("libcuda.so.1")
 * and dlsym(handle, "cuGetProcAddress_v2"), then fetches every entry point
 * through cuGetProcAddress. A lookup on a library handle never sees an
 * LD_PRELOAD object, so the shim (1) exports the driver symbols it wraps,
 * (2) overrides dlsym, for both symbol versions glibc has (GLIBC_2.2.5 /
 * GLIBC_2.17 on aarch64, and GLIBC_2.34), and (3) wraps cuGetProcAddress
 * and cuGetProcAddress_v2, replacing a returned pointer only when it is
 * the driver's own function for a variant the shim wraps (pointer
 * identity, as argonne-lcf/THAPI does), so the caller gets the wrapper of
 * exactly the version and stream flavour it asked for, and every other
 * symbol passes through untouched. (Design notes and sources:
 * cuda-interception reference, sections 1.4, 3.3, 3.4.)
 *
 * dlsym with RTLD_NEXT or RTLD_DEFAULT depends on who called it, so the
 * override is a small assembly trampoline that jumps (never calls) to the
 * real dlsym for those handles: glibc then sees the original caller, and
 * another interposer using dlsym(RTLD_NEXT, ...) works on either side of
 * the shim. Lookups on a real handle go to shim_dlsym_handle().
 */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct shim_real shim_real;

static atomic_int drv_state;   /* shim_driver_ready() */

/* ---- the real dlsym and the trampoline ---- */

typedef void *(*dlsym_fn)(void *, const char *);

/* Read by the trampoline: hidden, so it is reached PC-relative. */
__attribute__((visibility("hidden"))) dlsym_fn shim_dlsym_real;

static void *no_dlsym(void *h, const char *name)
{
	(void)h;
	(void)name;
	return NULL;
}

#if defined(__aarch64__)
#define BASE_GLIBC "GLIBC_2.17"
#else
#define BASE_GLIBC "GLIBC_2.2.5"
#endif

void *shim_next_glibc(const char *name)
{
	/* dlvsym is not overridden; RTLD_NEXT from here is "after the shim". */
	void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.34");
	return p ? p : dlvsym(RTLD_NEXT, name, BASE_GLIBC);
}

/* Called by the trampoline the first time (or from C): find libc's dlsym. */
__attribute__((visibility("hidden"), used)) dlsym_fn shim_dlsym_resolve(void);
dlsym_fn shim_dlsym_resolve(void)
{
	dlsym_fn f = __atomic_load_n(&shim_dlsym_real, __ATOMIC_ACQUIRE);
	if (f)
		return f;
	void *p = shim_next_glibc("dlsym");
	f = p ? (dlsym_fn)p : no_dlsym;
	__atomic_store_n(&shim_dlsym_real, f, __ATOMIC_RELEASE);
	return f;
}

void *shim_real_dlsym(void *handle, const char *name)
{
	return shim_dlsym_resolve()(handle, name);
}

__attribute__((visibility("hidden"), used)) void *shim_dlsym_handle(void *handle,
								       const char *name);

#if defined(__x86_64__)
__asm__(
	"	.text\n"
	"	.globl vramsim_dlsym_new\n"
	"	.type vramsim_dlsym_new, @function\n"
	"	.globl vramsim_dlsym_old\n"
	"	.type vramsim_dlsym_old, @function\n"
	"vramsim_dlsym_new:\n"
	"vramsim_dlsym_old:\n"
	"	cmpq $-1, %rdi\n"          /* RTLD_NEXT */
	"	je 1f\n"
	"	testq %rdi, %rdi\n"        /* RTLD_DEFAULT */
	"	je 1f\n"
	"	jmp shim_dlsym_handle\n"
	"1:	movq shim_dlsym_real(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	je 2f\n"
	"	jmp *%rax\n"
	"2:	pushq %rdi\n"
	"	pushq %rsi\n"
	"	subq $8, %rsp\n"
	"	call shim_dlsym_resolve\n"
	"	addq $8, %rsp\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	jmp *%rax\n"
	"	.size vramsim_dlsym_new, .-vramsim_dlsym_new\n"
	"	.size vramsim_dlsym_old, .-vramsim_dlsym_old\n"
	"	.symver vramsim_dlsym_new, dlsym@@GLIBC_2.34\n"
	"	.symver vramsim_dlsym_old, dlsym@" BASE_GLIBC "\n");
#elif defined(__aarch64__)
__asm__(
	"	.text\n"
	"	.globl vramsim_dlsym_new\n"
	"	.type vramsim_dlsym_new, %function\n"
	"	.globl vramsim_dlsym_old\n"
	"	.type vramsim_dlsym_old, %function\n"
	"vramsim_dlsym_new:\n"
	"vramsim_dlsym_old:\n"
	"	cmn x0, #1\n"
	"	b.eq 1f\n"
	"	cbz x0, 1f\n"
	"	b shim_dlsym_handle\n"
	"1:	adrp x16, shim_dlsym_real\n"
	"	ldr x16, [x16, :lo12:shim_dlsym_real]\n"
	"	cbz x16, 2f\n"
	"	br x16\n"
	"2:	stp x29, x30, [sp, #-32]!\n"
	"	stp x0, x1, [sp, #16]\n"
	"	bl shim_dlsym_resolve\n"
	"	mov x16, x0\n"
	"	ldp x0, x1, [sp, #16]\n"
	"	ldp x29, x30, [sp], #32\n"
	"	br x16\n"
	"	.size vramsim_dlsym_new, .-vramsim_dlsym_new\n"
	"	.size vramsim_dlsym_old, .-vramsim_dlsym_old\n"
	"	.symver vramsim_dlsym_new, dlsym@@GLIBC_2.34\n"
	"	.symver vramsim_dlsym_old, dlsym@" BASE_GLIBC "\n");
#else
/* Other architectures: a plain override. RTLD_NEXT lookups made through it
 * resolve relative to the shim, not to their caller. */
SHIM_EXPORT void *dlsym(void *handle, const char *name)
{
	if (handle == RTLD_NEXT || handle == RTLD_DEFAULT)
		return shim_real_dlsym(handle, name);
	return shim_dlsym_handle(handle, name);
}
#endif

/* ---- the driver ---- */

static void *sym(void *h, const char *name)
{
	return shim_real_dlsym(h, name);
}

/* Look everything up into r and drv (no lock held: dlsym may take the
 * loader lock, and a constructor running under it may enter the shim). */
static void resolve_driver(void *h, struct shim_real *r, void **drv)
{
	for (int v = 0; v < SV_COUNT; v++)
		drv[v] = sym(h, shim_variants[v].name);
	memset(r, 0, sizeof(*r));
#define LOAD(field, name) r->field = (__typeof__(r->field))sym(h, name)
	LOAD(ctx_get_device, "cuCtxGetDevice");
	LOAD(ctx_get_current, "cuCtxGetCurrent");
	LOAD(ctx_push, "cuCtxPushCurrent_v2");
	LOAD(ctx_pop, "cuCtxPopCurrent_v2");
	LOAD(mem_get_info, "cuMemGetInfo_v2");
	LOAD(dev_get_uuid, "cuDeviceGetUuid_v2");
	if (!r->dev_get_uuid)
		LOAD(dev_get_uuid, "cuDeviceGetUuid");
	LOAD(dev_get_name, "cuDeviceGetName");
	LOAD(dev_total_mem, "cuDeviceTotalMem_v2");
	LOAD(driver_version, "cuDriverGetVersion");
	LOAD(stream_get_ctx, "cuStreamGetCtx");
	LOAD(stream_get_device, "cuStreamGetDevice");
	LOAD(stream_is_capturing, "cuStreamIsCapturing");
	LOAD(stream_is_capturing_ptsz, "cuStreamIsCapturing_ptsz");
	LOAD(pool_get_attr, "cuMemPoolGetAttribute");
	LOAD(mem_get_range, "cuMemGetAddressRange_v2");
	LOAD(graph_mem_attr, "cuDeviceGetGraphMemAttribute");
	LOAD(props_from_handle, "cuMemGetAllocationPropertiesFromHandle");
	LOAD(capture_info_v2, "cuStreamGetCaptureInfo_v2");
	LOAD(capture_info_v2_ptsz, "cuStreamGetCaptureInfo_v2_ptsz");
	LOAD(capture_info_v3, "cuStreamGetCaptureInfo_v3");
	LOAD(capture_info_v3_ptsz, "cuStreamGetCaptureInfo_v3_ptsz");
#undef LOAD
}

/*
 * Find the driver once. No lock is held across dlopen or dlsym (issue 14:
 * a library constructor runs under glibc's loader lock; if it entered the
 * shim while another thread held a shim lock and waited for the loader
 * lock, both would wait for ever). Threads that race here each look the
 * driver up (the same answers); the first publishes, under drv_state:
 * 0 unknown, 1 being published (plain stores, no call), 2 ready.
 */
int shim_driver_ready(void)
{
	if (atomic_load_explicit(&drv_state, memory_order_acquire) == 2)
		return 1;
	/* Only a driver the program already loaded: the shim never loads one
	 * itself (NOLOAD), and keeps the handle so the driver stays mapped. */
	const char *lib = getenv("VRAMSIM_LIBCUDA");
	void *h = dlopen(lib && *lib ? lib : "libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (!h) {
		dlerror(); /* the program's next dlerror() must not report ours */
		return atomic_load_explicit(&drv_state, memory_order_acquire) == 2;
	}
	struct shim_real r;
	void *drv[SV_COUNT];
	resolve_driver(h, &r, drv);
	dlerror();
	int expect = 0;
	if (atomic_compare_exchange_strong(&drv_state, &expect, 1)) {
		for (int v = 0; v < SV_COUNT; v++) {
			/* A slot cuGetProcAddress adopted meanwhile keeps its value. */
			void *none = NULL;
			__atomic_compare_exchange_n(&shim_variants[v].drv, &none, drv[v], 0,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		}
		shim_real = r;
		atomic_store_explicit(&drv_state, 2, memory_order_release);
		return 1;
	}
	/* Another thread publishes: a few stores, no call; wait for them. */
	while (atomic_load_explicit(&drv_state, memory_order_acquire) != 2)
		sched_yield();
	return 1;
}

void shim_resolve_after_fork(void)
{
	/* A thread that does not exist in the child may have been publishing
	 * (state 1): what it stored is complete or the look-up is redone. */
	int s = atomic_load(&drv_state);
	if (s == 1)
		atomic_store(&drv_state, 0);
}

void *shim_fn_drv(int v)
{
	shim_driver_ready();
	return __atomic_load_n(&shim_variants[v].drv, __ATOMIC_ACQUIRE);
}

void *shim_fn_next(int v)
{
	struct shim_variant *sv = &shim_variants[v];
	void *p;
	if (__atomic_load_n(&sv->next_done, __ATOMIC_ACQUIRE)) {
		p = __atomic_load_n(&sv->next, __ATOMIC_RELAXED);
	} else {
		p = shim_real_dlsym(RTLD_NEXT, sv->name);
		__atomic_store_n(&sv->next, p, __ATOMIC_RELAXED);
		__atomic_store_n(&sv->next_done, 1, __ATOMIC_RELEASE);
	}
	void *d = shim_fn_drv(v); /* also resolves the helpers */
	return p ? p : d;
}

CUresult shim_no_driver(int v)
{
	shim_warn_once(WARN_NODRIVER, "%s called but no CUDA driver (libcuda.so.1) is loaded",
		       shim_variants[v].name);
	return CUDA_ERROR_STUB_LIBRARY;
}

/* The variant the driver's rules give for (symbol, version, flags): the
 * newest one introduced at or before version; with the per-thread flag
 * (and not the legacy one) its _ptsz form when there is one. */
static int pick_variant(const char *symbol, int version, uint64_t flags)
{
	int pt = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) &&
		 !(flags & CU_GET_PROC_ADDRESS_LEGACY_STREAM);
	int best = -1, best_pt = -1;
	for (int v = 0; v < SV_COUNT; v++) {
		const struct shim_variant *sv = &shim_variants[v];
		if (strcmp(sv->base, symbol) != 0 || sv->version > version)
			continue;
		int *slot = sv->per_thread ? &best_pt : &best;
		if (*slot < 0 || shim_variants[*slot].version < sv->version)
			*slot = v;
	}
	return pt && best_pt >= 0 ? best_pt : best;
}

uint16_t shim_substitute(const char *symbol, void **pfn, int version, uint64_t flags)
{
	if (!symbol || !pfn || !*pfn)
		return 0;
	void *p = *pfn;
	for (int v = 0; v < SV_COUNT; v++) {
		if (__atomic_load_n(&shim_variants[v].drv, __ATOMIC_ACQUIRE) == p) {
			*pfn = shim_variants[v].lookup_wrapper;
			return shim_variants[v].api;
		}
	}
	/* Not a function the driver exports by name. If it is one we wrap
	 * (a driver that hands out internal addresses), adopt it as that
	 * variant's driver function when the slot is still empty. */
	int v = pick_variant(symbol, version, flags);
	if (v < 0)
		return 0;
	void *expect = NULL;
	if (__atomic_compare_exchange_n(&shim_variants[v].drv, &expect, p, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		*pfn = shim_variants[v].lookup_wrapper;
		return shim_variants[v].api;
	}
	shim_warn_once(WARN_TABLE, "cuGetProcAddress(\"%s\", %d, %llu) returned an address "
		       "the shim does not know; its calls are not recorded", symbol, version,
		       (unsigned long long)flags);
	return 0;
}

static int is_cu_name(const char *name)
{
	return name && name[0] == 'c' && name[1] == 'u' && name[2] >= 'A' && name[2] <= 'Z';
}

__attribute__((visibility("hidden"), used)) void *shim_dlsym_handle(void *handle,
								       const char *name)
{
	int cu = is_cu_name(name);
	if (cu)
		shim_driver_ready(); /* before the real lookup: keeps its dlerror */
	void *p = shim_real_dlsym(handle, name);
	if (!cu || !p)
		return p;
	uint16_t wrapped = 0;
	for (int v = 0; v < SV_COUNT; v++) {
		if (strcmp(shim_variants[v].name, name) == 0) {
			if (__atomic_load_n(&shim_variants[v].drv, __ATOMIC_ACQUIRE) == p) {
				p = shim_variants[v].lookup_wrapper;
				wrapped = shim_variants[v].api;
			}
			break;
		}
	}
	if (shim_enter()) {
		struct vrt_lookup lu = { .via = VRT_VIA_DLSYM, .status = -1, .wrapped = wrapped };
		strncpy(lu.symbol, name, sizeof(lu.symbol) - 1);
		shim_rec_lookup(&lu);
		shim_leave();
	}
	return p;
}

/* ---- exec: finish the file first (the new image writes its own) ---- */

#define REAL(type, name) \
	static type real_##name; \
	if (!real_##name) \
		real_##name = (type)shim_real_dlsym(RTLD_NEXT, #name)

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[]);
SHIM_EXPORT int execv(const char *path, char *const argv[]);
SHIM_EXPORT int execvp(const char *file, char *const argv[]);
SHIM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]);
SHIM_EXPORT int execl(const char *path, const char *arg, ...);
SHIM_EXPORT int execlp(const char *file, const char *arg, ...);
SHIM_EXPORT int execle(const char *path, const char *arg, ...);
SHIM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]);
SHIM_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
			 int flags);

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);

static int after_exec(int rc)
{
	int e = errno;
	shim_exec_failed();
	errno = e;
	return rc;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	REAL(execve_fn, execve);
	shim_before_exec();
	return after_exec(real_execve(path, argv, envp));
}

int execv(const char *path, char *const argv[])
{
	REAL(execv_fn, execv);
	shim_before_exec();
	return after_exec(real_execv(path, argv));
}

int execvp(const char *file, char *const argv[])
{
	REAL(execv_fn, execvp);
	shim_before_exec();
	return after_exec(real_execvp(file, argv));
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	REAL(execve_fn, execvpe);
	shim_before_exec();
	return after_exec(real_execvpe(file, argv, envp));
}

/*
 * fexecve and execveat: glibc makes their system calls inside libc, so
 * without these wrappers the image would be replaced with its last
 * records unwritten.
 */
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);

int fexecve(int fd, char *const argv[], char *const envp[])
{
	REAL(fexecve_fn, fexecve);
	shim_before_exec();
	if (!real_fexecve) /* not in this libc: the system call does the same */
		return after_exec((int)syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH));
	return after_exec(real_fexecve(fd, argv, envp));
}

int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	REAL(execveat_fn, execveat);
	shim_before_exec();
	if (!real_execveat) /* glibc before 2.34 has no wrapper */
		return after_exec((int)syscall(SYS_execveat, dirfd, path, argv, envp, flags));
	return after_exec(real_execveat(dirfd, path, argv, envp, flags));
}

/* The list forms: gather the arguments and use the vector forms. */
static char **gather(const char *arg, va_list ap, char *const **envp)
{
	va_list cp;
	va_copy(cp, ap);
	size_t n = 1;
	while (arg && va_arg(cp, const char *))
		n++;
	va_end(cp);
	char **v = malloc((n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	size_t i = 0;
	v[i++] = (char *)arg;
	if (arg)
		while ((v[i] = va_arg(ap, char *)) != NULL)
			i++;
	v[i] = NULL;
	if (envp)
		*envp = va_arg(ap, char *const *);
	return v;
}

/* Which vector form a list form ends in. */
enum { L_EXECV, L_EXECVP, L_EXECVE };

static int exec_list(int form, const char *path, const char *arg, va_list ap)
{
	char *const *envp = NULL;
	char **v = gather(arg, ap, form == L_EXECVE ? &envp : NULL);
	if (!v) {
		errno = ENOMEM;
		return -1;
	}
	int rc = form == L_EXECVP ? execvp(path, v) : form == L_EXECVE ? execve(path, v, envp)
									 : execv(path, v);
	int e = errno;
	free(v);
	errno = e;
	return rc;
}

int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int rc = exec_list(L_EXECV, path, arg, ap);
	va_end(ap);
	return rc;
}

int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int rc = exec_list(L_EXECVP, file, arg, ap);
	va_end(ap);
	return rc;
}

int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int rc = exec_list(L_EXECVE, path, arg, ap);
	va_end(ap);
	return rc;
}
