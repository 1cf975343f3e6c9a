/*
 * cmd_plan.h - `vramsim plan` and `vramsim fit --engine-fit` (cmd_plan.c).
 */
#ifndef VRAMSIM_CMD_PLAN_H
#define VRAMSIM_CMD_PLAN_H

/* Run the plan command on argv (argv[0] the command name); fit_mode: run
 * llama.cpp's --fit first, as `fit --engine-fit`. Returns the exit code. */
int plan_main(int argc, char **argv, int fit_mode);

#endif
