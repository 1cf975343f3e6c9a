/*
 * model_error.h - measured error of the formula model, written by `make
 * validate` (tests/validate.c) from the bundled logs: 2 load-to-load
 * predictions and 18 loads rebuilt at their own settings. Per term, the
 * largest relative error seen and (_N) the comparisons behind it. Do not edit; the
 * uncertainty band of every verdict (sim/verdict.c) cites this file.
 */
#ifndef VRAMSIM_MODEL_ERROR_H
#define VRAMSIM_MODEL_ERROR_H

#define MODEL_ERR_FORMULA_OTHER 0.0000
#define MODEL_ERR_FORMULA_OTHER_N 0
#define MODEL_ERR_FORMULA_WEIGHTS 0.0000
#define MODEL_ERR_FORMULA_WEIGHTS_N 31
#define MODEL_ERR_FORMULA_KV 0.0571
#define MODEL_ERR_FORMULA_KV_N 29
#define MODEL_ERR_FORMULA_COMPUTE 0.2967
#define MODEL_ERR_FORMULA_COMPUTE_N 45
#define MODEL_ERR_FORMULA_OUTPUT 0.0000
#define MODEL_ERR_FORMULA_OUTPUT_N 0
#define MODEL_ERR_FORMULA_CONTEXT 0.0074
#define MODEL_ERR_FORMULA_CONTEXT_N 7
#define MODEL_ERR_FORMULA_WORKSPACE 0.0000
#define MODEL_ERR_FORMULA_WORKSPACE_N 0
#define MODEL_ERR_FORMULA_COMM 0.0000
#define MODEL_ERR_FORMULA_COMM_N 0
#define MODEL_ERR_FORMULA_ACTIVATION 0.0000
#define MODEL_ERR_FORMULA_ACTIVATION_N 0
#define MODEL_ERR_FORMULA_CACHE 0.0000
#define MODEL_ERR_FORMULA_CACHE_N 0
#define MODEL_ERR_FORMULA_HOST 0.0000
#define MODEL_ERR_FORMULA_HOST_N 0
#define MODEL_ERR_FORMULA_PROJECTOR 0.0000
#define MODEL_ERR_FORMULA_PROJECTOR_N 0
#define MODEL_ERR_FORMULA_GRAPH 0.0000
#define MODEL_ERR_FORMULA_GRAPH_N 0
#define MODEL_ERR_FORMULA_MANAGED 0.0000
#define MODEL_ERR_FORMULA_MANAGED_N 0
#define MODEL_ERR_LOADS 18

#endif
