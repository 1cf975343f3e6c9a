/*
 * cu_engine.h - the llama.cpp engine planner as the engine tests open it.
 */
#ifndef VRAMSIM_CU_ENGINE_H
#define VRAMSIM_CU_ENGINE_H

struct eng;

/* The planner named by $VRAMSIM_ENGINE, else the one this build made
 * (build/engine/vramsim-engine); NULL, having printed "WHO: SKIPPED, no
 * engine: why", when there is none. The caller closes it (eng_close). */
struct eng *cu_engine_open(const char *who);

#endif
