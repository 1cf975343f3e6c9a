# engine_start.sh - the planner's start-up cache (sim/engine/stamp.h): the
# golden self-plan and the choice of ggml's CPU variant are done once for a
# set of library files and kept; any other set (a copy, a touched file, a
# folder that is no llama.cpp) is checked again, and a folder that fails is
# still refused before a model is loaded.
. "$TOP/tests/cli/lib.sh"
P=${VRAMSIM_ENGINE:-$TOP/build/engine/vramsim-engine}
if [ ! -x "$P" ]; then
	echo "engine_start: no engine built (ENGINE=none): nothing to test"
	exit 0
fi
export VRAMSIM_ENGINE="$P" VRAMSIM_ENGINE_CACHE="$PWD/cache"
unset VRAMSIM_ENGINE_SELFCHECK VRAMSIM_ENGINE_LIB GGML_BACKEND_PATH
export GGML_NO_BACKTRACE=1
start() { echo quit | expect 0 env "$@" "$P"; }

# first start: every variant scored, the self-plan run; then both kept
start
has out '^ready .* variants=scored selfcheck=run$'
[ -n "$(ls cache)" ] || { echo "no cache written in $PWD/cache"; exit 1; }
start
has out '^ready .* variants=kept selfcheck=kept$'
# asked for, the self-plan runs anyway
start VRAMSIM_ENGINE_SELFCHECK=always
has out ' selfcheck=run$'

# the same libraries copied (other files): checked again, then kept
cp -r "$(dirname "$P")/lib" lib2
L="VRAMSIM_ENGINE_LIB=$PWD/lib2 LD_LIBRARY_PATH=$PWD/lib2"
start $L
has out ' variants=scored selfcheck=run$'
start $L
has out ' variants=kept selfcheck=kept$'
# a library rewritten in place (its change time moves): the self-plan runs
# again; the variants' choice depends on the libggml-*.so files only
cp lib2/libllama.v0.5.0.so x && cat x > lib2/libllama.v0.5.0.so
start $L
has out ' variants=kept selfcheck=run$'
touch lib2/libggml-cpu-x64.so
start $L
has out ' variants=scored selfcheck=kept$'
# another CPU or another GGML_ setting is another key
start $L GGML_VRAMSIM_TEST=1
has out ' variants=scored selfcheck=run$'

# a folder that is no llama.cpp build: refused as before, nothing kept
mkdir empty
n=$(ls cache | wc -l)
echo quit | expect 3 env VRAMSIM_ENGINE_LIB="$PWD/empty" LD_LIBRARY_PATH="$PWD/empty" "$P"
has out '^refused text=no%20CPU%20backend'
[ "$(ls cache | wc -l)" = "$n" ] || { echo "a refused start left a cache entry"; ls -l cache; exit 1; }
# vramsim plans through a kept start as through a checked one
M="$DATA/gguf/stories260K.gguf"
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --engine-lib "$PWD/lib2" --json -q
has out '"gpus":\[\{"name":"CUDA0","layers":3,"weights":545280,"kv":196608,'
