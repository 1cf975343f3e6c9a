/*
 * backends.h - load ggml's backends for the planner, as
 * ggml_backend_load_all_from_path(libdir) would, without scoring every
 * CPU variant at every start.
 *
 * The prebuilt engine ships its CPU backend as one library per CPU
 * generation (libggml-cpu-haswell.so, -zen4, ... 14 of them); ggml opens
 * each, asks it for a score on this CPU and keeps the best. The planner
 * does that once, then remembers which libraries ggml kept (stamp.h: keyed
 * by this CPU's identity and every libggml-*.so in the folder) and later
 * loads just those, through the same ggml_backend_load.
 */
#ifndef VRAMSIM_BACKENDS_H
#define VRAMSIM_BACKENDS_H

/* Load the backends of libdir (NULL: ggml's own search path); *cached is
 * set to 1 when the remembered choice was used. */
void backends_load(const char *libdir, int *cached);

/* Add this CPU's identity (vendor, family, model, flags of
 * /proc/cpuinfo) and the GGML_ and LLAMA_ environment variables to a key. */
struct stamp;
void backends_stamp_host(struct stamp *s);

#endif
