# budget.mk - the import budget check (tests/bench_budget.c, built as a
# bench program): `make check` runs it through tests/cli/budget.sh,
# `make bench` prints its figures.
CHECK_EXTRA += $(BUILD)/bench/bench_budget
