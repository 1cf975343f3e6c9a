/*
 * cu_engine.c - opening the engine planner for the engine tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cu_engine.h"
#include "engine.h"

struct eng *cu_engine_open(const char *who)
{
	if (!getenv("VRAMSIM_ENGINE") && access("build/engine/vramsim-engine", X_OK) == 0)
		setenv("VRAMSIM_ENGINE", "build/engine/vramsim-engine", 1);
	char *cause = NULL;
	struct eng *e = eng_open(NULL, &cause);
	if (!e)
		printf("%s: SKIPPED, no engine: %s\n", who, cause ? cause : "?");
	free(cause);
	return e;
}
