/* selfcheck.c: the tiny model planned by llama.cpp v0.5.0 (weights, KV, compute bytes of CUDA0, CUDA1, host) */
	{ 118016u, 65536u, 1335296u },
	{ 21248u, 0u, 634880u },
	{ 38400u, 0u, 684032u },
