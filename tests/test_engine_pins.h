/* test_engine.c: compute reservations (bytes) pinned from llama.cpp v0.5.0 on the virtual CUDA GPUs;
 * regenerate with VRAMSIM_PRINT_PINS=1 build/tests/test_engine after an engine change. */
	{ "llama", 1, { 21508096, 7354368 } },
	{ "llama", 2, { 40411136, 46710784, 19980288 } },
	{ "llama", 4, { 40411136, 46702592, 46702592, 45137920, 19980288 } },
	{ "gemma2", 1, { 22827008, 8148992 } },
	{ "gemma2", 2, { 44113920, 48840704, 23158784 } },
	{ "gemma2", 4, { 44113920, 50405376, 48840704, 16252928, 23158784 } },
	{ "moe", 1, { 19935232, 6305792 } },
	{ "moe", 2, { 36741120, 39927808, 18931712 } },
	{ "moe", 4, { 36741120, 39919616, 39927808, 13631488, 18931712 } },
