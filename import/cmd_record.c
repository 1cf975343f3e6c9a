/*
 * cmd_record.c - `vramsim record`: run a command under the recording shim
 * (LD_PRELOAD=libvramtrace.so), then import the native file every process
 * of the run wrote as one trace. This is the one command that spans
 * stages (trace/ writes, import/ reads): it is composed here, at the
 * entry point, and the shim knows nothing of the importer.
 *
 * The files of this run are told apart from older ones matching the same
 * pattern by a session id the shim copies into each file's header.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "imp.h"
#include "util.h"
#include "vrt.h"

#define DEFAULT_PATTERN "vramsim.%e.%p.vrt.zst"

enum { OPT_OUTPUT = 'o', OPT_NAME = CLI_KEY };

static const struct cli_opt record_opts[] = {
	{ "output", OPT_OUTPUT, "PATTERN", "file name of each process's trace (default\n"
	  DEFAULT_PATTERN " in the current directory):\n"
	  "%p pid, %e executable name, %h host, %t start time\n"
	  "(Unix seconds), %% a percent sign; without %p the\n"
	  "pid is added before .vrt.zst", CLI_VAL_FILE },
	{ "name", OPT_NAME, "N", "name of the trace (default: the first executable)", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static int readable(const char *p)
{
	return access(p, R_OK) == 0;
}

/* The shim beside this binary, else the installed one (found from the
 * binary, then at the configured path). *tried lists where it looked. */
static char *find_shim(char *tried, size_t n)
{
	const char *env = getenv("VRAMSIM_SHIM");
	tried[0] = '\0';
	if (env && *env) {
		snprintf(tried, n, "$VRAMSIM_SHIM (%s)", env);
		return readable(env) ? util_xstrdup(env) : NULL;
	}
	char *cand[3] = { NULL };
	int k = 0;
	char *bin = util_exe_dir();
	if (bin)
		cand[k++] = util_xasprintf("%s/trace/libvramtrace.so", bin);
	free(bin);
	char *lib = util_installed_path(VRAMSIM_LIBDIR_REL);
	if (lib) {
		cand[k++] = util_xasprintf("%s/libvramtrace.so", lib);
		free(lib);
	}
	cand[k++] = util_xasprintf("%s/libvramtrace.so", VRAMSIM_LIBDIR);
	char *hit = NULL;
	for (int i = 0; i < k; i++) {
		size_t l = strlen(tried);
		snprintf(tried + l, n - l, "%s%s", l ? ", " : "", cand[i]);
		if (!hit && readable(cand[i]))
			hit = cand[i];
		else
			free(cand[i]);
	}
	return hit;
}

/* A sanitizer runtime must stay first in LD_PRELOAD. */
static int is_sanitizer(const char *entry, size_t n)
{
	const char *base = entry;
	for (size_t i = 0; i < n; i++)
		if (entry[i] == '/')
			base = entry + i + 1;
	size_t bn = n - (size_t)(base - entry);
	char name[64];
	if (bn >= sizeof(name))
		return 0;
	memcpy(name, base, bn);
	name[bn] = '\0';
	return strncmp(name, "lib", 3) == 0 && strstr(name, "san") && strstr(name, ".so");
}

/* LD_PRELOAD with the shim added: after leading sanitizer runtimes,
 * before everything else the user had. */
static char *preload_with(const char *shim, const char *old)
{
	if (!old || !*old)
		return util_xstrdup(shim);
	const char *p = old;
	size_t keep = 0;
	while (*p) {
		size_t n = strcspn(p, ": ");
		if (n && !is_sanitizer(p, n))
			break;
		p += n;
		p += strspn(p, ": ");
		keep = (size_t)(p - old);
	}
	if (keep == 0)
		return util_xasprintf("%s:%s", shim, old);
	if (!*p)
		return util_xasprintf("%.*s:%s", (int)keep, old, shim);
	return util_xasprintf("%.*s:%s:%s", (int)keep, old, shim, p);
}

/* A glob that matches every name the shim can make from pattern. */
static char *pattern_glob(const char *pat)
{
	size_t n = strlen(pat), cap = 2 * n + 8, k = 0;
	char *g = util_xmalloc(cap);
	const char *suffix = ".vrt.zst";
	size_t cut = n >= 8 && strcmp(pat + n - 8, suffix) == 0 ? n - 8 : n;
	for (size_t i = 0; i <= n; i++) {
		if (i == cut)
			g[k++] = '*'; /* the ".pid" or "-N" the shim may add */
		if (i == n)
			break;
		char c = pat[i];
		if (c == '%' && i + 1 < n) {
			char d = pat[++i];
			if (d == '%') {
				g[k++] = '%';
			} else {
				g[k++] = '*';
			}
		} else {
			if (c == '*' || c == '?' || c == '[' || c == '\\')
				g[k++] = '\\';
			g[k++] = c;
		}
	}
	g[k] = '\0';
	return g;
}

/* Is path a native trace of this session? */
static int of_session(const char *path, const char *session)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat sb;
	int yes = 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			struct vrt_reader *r;
			if (vrt_reader_open(m, (size_t)sb.st_size, &r) == 0)
				yes = strcmp(vrt_reader_header(r)->session, session) == 0;
			else
				/* No header yet: a process killed at birth. Its
				 * name still says whose it is only by pattern. */
				yes = 0;
			vrt_reader_free(r);
			munmap(m, (size_t)sb.st_size);
		}
	}
	close(fd);
	return yes;
}

/* Is the program file at path a static ELF executable (no PT_INTERP)?
 * LD_PRELOAD never reaches one. ELF: System V gABI, "Program Header". */
static int static_elf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	unsigned char h[64];
	int is_static = 0;
	if (read(fd, h, sizeof(h)) == (ssize_t)sizeof(h) && !memcmp(h, "\177ELF", 4) &&
	    h[4] == 2 /* 64-bit */ && h[5] == 1 /* little endian */) {
		uint64_t phoff;
		uint16_t phentsize, phnum;
		memcpy(&phoff, h + 32, 8);
		memcpy(&phentsize, h + 54, 2);
		memcpy(&phnum, h + 56, 2);
		is_static = 1;
		for (unsigned i = 0; i < phnum && i < 4096 && phentsize >= 4; i++) {
			uint32_t type;
			if (pread(fd, &type, 4, (off_t)(phoff + (uint64_t)i * phentsize)) != 4) {
				is_static = 0;
				break;
			}
			if (type == 3 /* PT_INTERP */) {
				is_static = 0;
				break;
			}
		}
	}
	close(fd);
	return is_static;
}

/* The program as the shell would find it (PATH), or NULL. */
static char *which(const char *prog)
{
	if (strchr(prog, '/'))
		return util_xstrdup(prog);
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		char *cand = util_xasprintf("%.*s/%s", (int)len, len ? p : ".", prog);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* Why a run left no trace file: the likeliest cause first. */
static const char *why_none(char **cmd)
{
	const char *off = getenv("VRAMSIM_DISABLE");
	if (off && *off && strcmp(off, "0"))
		return "recording is disabled (VRAMSIM_DISABLE is set)";
	char *exe = which(cmd[0]);
	int st = exe && static_elf(exe);
	free(exe);
	if (st)
		return "the program is statically linked, so the shim (LD_PRELOAD) cannot reach it";
	return "no process of the run used the CUDA driver (did it run on a GPU? a container "
	       "without the GPU, CUDA_VISIBLE_DEVICES empty?)";
}

static int run_child(char **cmd, const char *preload, const char *pattern, const char *session)
{
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("record: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setenv("LD_PRELOAD", preload, 1);
		setenv("VRAMSIM_OUT", pattern, 1);
		setenv("VRAMSIM_SESSION", session, 1);
		execvp(cmd[0], cmd);
		int e = errno;
		fprintf(stderr, "vramsim: record: %s: %s\n", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	/* Like a shell, let ^C reach the child and go on to the import. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (w < 0) {
		cli_error("record: waitpid: %s", strerror(errno));
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

static int import_run(struct cli_ctx *cx, char **cmd, const char *name, const char *pattern,
		      const char *session, int status)
{
	char *g = pattern_glob(pattern);
	glob_t gl;
	int grc = glob(g, 0, NULL, &gl);
	free(g);
	char **mine = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; grc == 0 && i < gl.gl_pathc; i++) {
		if (!of_session(gl.gl_pathv[i], session))
			continue;
		UTIL_GROW(mine, n + 1, cap);
		mine[n++] = util_xstrdup(gl.gl_pathv[i]);
	}
	if (grc == 0)
		globfree(&gl);
	int rc = status;
	if (n == 0) {
		/* The program ran and nothing was recorded: a `record && replay`
		 * must not go on to replay an older trace, so this fails. */
		cli_error("record: nothing recorded: %s (no trace file matches %s)", why_none(cmd),
			  pattern);
		rc = status ? status : CLI_ERR;
	} else {
		struct store *st;
		int orc = cli_store(cx, &st);
		if (orc) {
			rc = status ? status : orc;
		} else {
			int64_t id;
			char *cause = NULL;
			int r = imp_vrt_files(st, mine, (int)n, name, cli_quiet, &id, &cause);
			if (r) {
				int code = cli_fail(r, cause);
				rc = status ? status : code;
			} else if (!cli_quiet) {
				struct store_trace_info ti;
				if (store_trace_get(st, id, &ti, NULL) == 0) {
					char *tn = util_term_xstr(ti.name);
					fprintf(stderr, "vramsim: recorded %zu file%s as trace %" PRId64
						" '%s' (%" PRId64 " events%s) in %s\n", n,
						n == 1 ? "" : "s", id, tn, ti.n_events,
						ti.truncated ? ", truncated" : "", store_path(st));
					free(tn);
					store_trace_info_clear(&ti);
				}
				fprintf(stderr, "vramsim: native traces kept: %s%s\n", mine[0],
					n > 1 ? " ..." : "");
				fprintf(stderr, "next: vramsim show --store %s %" PRId64 "\n"
					"      vramsim replay --store %s %" PRId64 " --gpus 2x24G\n",
					store_path(st), id, store_path(st), id);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(mine[i]);
	free(mine);
	return rc;
}

static int cmd_record(struct cli_ctx *cx)
{
	const char *out = DEFAULT_PATTERN, *name = NULL, *arg;
	int c, argc = cx->argc, first = 0;
	char **argv = cx->argv;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_OUTPUT: out = arg; break;
		case OPT_NAME: name = arg; break;
		}
	}
	if (first >= argc)
		return cli_usage("record", "no command to run (vramsim record -- CMD ARGS...)");
	if (!*out)
		return cli_usage("record", "empty -o PATTERN");
	char tried[2048];
	char *shim = find_shim(tried, sizeof(tried));
	if (!shim) {
		cli_error("record: libvramtrace.so not found; looked in %s; build it with 'make' "
			  "or set VRAMSIM_SHIM", tried);
		return CLI_USAGE;
	}
	/* Absolute, so a program that changes directory still writes here. */
	char cwd[PATH_MAX];
	char *pattern = out[0] == '/' || !getcwd(cwd, sizeof(cwd))
		? util_xstrdup(out) : util_xasprintf("%s/%s", cwd, out);
	char *dir = util_xstrdup(pattern);
	*strrchr(dir, '/') = '\0';
	struct stat sb;
	if (dir[0] && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		cli_error("record: %s: no such directory for the trace files", dir);
		free(dir);
		free(pattern);
		free(shim);
		return CLI_USAGE;
	}
	free(dir);
	char host[128] = "";
	gethostname(host, sizeof(host) - 1);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Short enough for the header's session field (VRT_KEY_MAX). */
	char *session = util_xasprintf("%.16s-%d-%lld%09ld", host, (int)getpid(),
				       (long long)ts.tv_sec, ts.tv_nsec);
	char *preload = preload_with(shim, getenv("LD_PRELOAD"));
	/* Said before the run, which may take hours: where the files go and
	 * which store gets the trace. */
	cli_note("record: recording %s into %s (store %s)", argv[first], pattern,
		 cli_store_path(cx->store_opt));
	fflush(NULL);
	int status = run_child(argv + first, preload, pattern, session);
	int rc = status < 0 ? CLI_ERR : import_run(cx, argv + first, name, pattern, session, status);
	free(preload);
	free(session);
	free(pattern);
	free(shim);
	return rc;
}

const struct cli_cmd cmd_record_entry = {
	.name = "record",
	.summary = "run a command under the recording shim and import its trace",
	.usage = "[-o PATTERN] [--store DB] [--name N] [-q] -- CMD [ARGS...]",
	.about = "Run CMD with the recording shim preloaded (LD_PRELOAD=libvramtrace.so, put\n"
		 "before any library already in LD_PRELOAD, after a sanitizer runtime). Every\n"
		 "process of the run that uses the CUDA driver writes one native trace file;\n"
		 "child processes and exec'd programs are recorded too. When CMD ends, all the\n"
		 "files of this run are imported as one trace, and record exits with CMD's\n"
		 "status (128+N if a signal N killed it; the import's error status if CMD\n"
		 "succeeded but the import failed).\n",
	.opts = record_opts,
	.more = "The shim is found beside the vramsim binary (trace/libvramtrace.so), else in\n"
		"the install directory (" VRAMSIM_LIBDIR "); $VRAMSIM_SHIM overrides both.\n"
		"The shim reads VRAMSIM_FLUSH_MS (250), VRAMSIM_SNAPSHOT_MS (1000, 0: off),\n"
		"VRAMSIM_ZSTD_LEVEL (3) and VRAMSIM_DISABLE.\n"
		"\n"
		"example:\n"
		"  vramsim record -o 'runs/%e.%p.vrt.zst' -- python3 train.py\n",
	.flags = CLI_STORE_RW | CLI_ARGS_REST, .fn = cmd_record,
};
