# record.sh - vramsim record: run programs over the fake CUDA driver with
# the shim preloaded, import every process's file as one trace, keep the
# user's LD_PRELOAD, pass the program's exit status through.
. "$TOP/tests/cli/lib.sh"
B="$TOP/${BUILD:-build}/fake"
[ -x "$B/prog_threads" ] || { echo "missing $B/prog_threads (make check builds it)"; exit 1; }
# A sanitizer build's programs need its runtime first in LD_PRELOAD; record
# keeps it first and puts the shim after it.
ASAN=$(ldd "$VRAMSIM" 2>/dev/null | awk '/libasan/ {print $3; exit}')
PRE=${ASAN:+$ASAN:}
export LD_PRELOAD="$ASAN"
export FAKECUDA_DEVICES=1024,2048 VRAMSIM_FLUSH_MS=20
unset CUDA_VISIBLE_DEVICES

# The output directory must exist.
expect 2 "$VRAMSIM" record --store t.db -o runs/%e.%p.vrt.zst -- "$B/prog_threads" 2 20
has err "no such directory"
mkdir runs
expect 0 "$VRAMSIM" record --store t.db -o runs/%e.%p.vrt.zst -- "$B/prog_threads" 2 20
has err "recorded 1 file as trace 1 'prog_threads' \(86 events\)"
has err "^next: vramsim"
[ "$(ls runs/prog_threads.*.vrt.zst | wc -l)" = 1 ] || { echo "want one file"; ls runs; exit 1; }
expect 0 "$VRAMSIM" ls --store t.db --json
has out '"name":"prog_threads"'
has out '"events":86'
has out '"devices":2'
expect 0 "$VRAMSIM" show --store t.db prog_threads
has out "Fake GPU 0"
has out "Fake GPU 1"

# A run with children and an exec: one trace, one file per process image.
# Not under a sanitizer: GCC 12's ASan allocator lock is not fork-safe, and
# a child forked while the shim's writer thread allocates deadlocks inside
# libsanitizer (both threads in FutexWait on SizeClassAllocator64's mutex,
# seen here); the plain suite runs it, and test_shim's fork tests run too.
if [ -z "${SANITIZE:-}" ]; then
expect 0 "$VRAMSIM" record --store t.db -q -- "$B/prog_fork"
hasnt err "^vramsim"
hasnt err "^next:"
[ "$(ls vramsim.prog_fork.*.vrt.zst | wc -l)" = 5 ] || { echo "want 5 files"; ls; exit 1; }
# A second run beside the first imports only its own files.
expect 0 "$VRAMSIM" record --store t.db -- "$B/prog_fork"
expect 0 "$VRAMSIM" ls --store t.db --json
n2=$(sed 's/},{/}\n{/g' out | grep '"id":2,' | sed 's/.*"events":\([0-9]*\).*/\1/')
n3=$(sed 's/},{/}\n{/g' out | grep '"id":3,' | sed 's/.*"events":\([0-9]*\).*/\1/')
[ -n "$n2" ] && [ "$n2" = "$n3" ] || { echo "runs differ: $n2 vs $n3"; cat out; exit 1; }
else
	echo "record.sh: prog_fork runs skipped under SANITIZE=$SANITIZE (ASan is not fork-safe here)" >&2
fi

# The user's LD_PRELOAD stays (prog_chain needs libchain.so loaded).
export LD_PRELOAD="$PRE$B/libchain.so"
expect 0 "$VRAMSIM" record --store t.db -- "$B/prog_chain" 5
export LD_PRELOAD="$ASAN"

# Exit status: the command's, 128+N when killed, 127 when not found.
expect 3 "$VRAMSIM" record --store t.db -- sh -c 'exit 3'
has err "no process of the run used the CUDA driver"
expect 137 "$VRAMSIM" record --store t.db -- sh -c 'kill -9 $$'
expect 127 "$VRAMSIM" record --store t.db -- ./no-such-program
has err "no-such-program"
expect 2 "$VRAMSIM" record --store t.db
has err "no command to run"
expect 0 "$VRAMSIM" record --help
has out "usage: vramsim record"

# Record, then replay on other GPUs: the README's workflow.
expect 0 "$VRAMSIM" replay --store t.db prog_threads --gpus 4x24G
has out "trace 1 'prog_threads' on 4x24G"
has out "verdict: fits on 4x24G"
expect 0 "$VRAMSIM" replay --store t.db prog_threads --gpus 1x24G --device-map 0=0,1=0 --json
has out '"fits":true'
# the fake GPUs were 1 and 2 GiB: replayed on their own sizes as recorded
expect 0 "$VRAMSIM" replay --store t.db prog_threads
has out "on 1x1G,1x2G"

# record names its output before the run, and `record && replay` replays
# what was just recorded, or stops when nothing was.
expect 0 "$VRAMSIM" record --store t.db --name fresh -- "$B/prog_threads" 1 5
has err "^vramsim: record: recording .*prog_threads into .*vramsim\.%e\.%p\.vrt\.zst \(store t\.db\)"
[ "$(head -1 err | grep -c 'recording')" = 1 ] || { echo "output not named first:"; cat err; exit 1; }
has err "as trace [0-9]+ 'fresh'"
expect 0 sh -c "'$VRAMSIM' record --store t.db --name fresh2 -- '$B/prog_threads' 1 5 && '$VRAMSIM' replay --store t.db --gpus 2x24G"
has out "'fresh2' on 2x24G"
# the program ran but nothing was recorded: non-zero, saying why
expect 1 "$VRAMSIM" record --store t.db -- true
has err "nothing recorded: no process of the run used the CUDA driver"
expect 1 sh -c "'$VRAMSIM' record --store t.db -- true && '$VRAMSIM' replay --store t.db --gpus 2x24G"
hasnt out "verdict"
VRAMSIM_DISABLE=1 expect 1 "$VRAMSIM" record --store t.db -- "$B/prog_threads" 1 5
has err "nothing recorded: recording is disabled \(VRAMSIM_DISABLE is set\)"
printf 'int main(void) { return 0; }\n' >static.c
if ${CC:-cc} -static -o static static.c 2>/dev/null; then
	expect 1 "$VRAMSIM" record --store t.db -- ./static
	has err "nothing recorded: the program is statically linked"
fi
exit 0
