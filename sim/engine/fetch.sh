#!/bin/sh
# fetch.sh - obtain one pinned llama.cpp for the engine planner (run by make,
# never at run time).
#
#   sh sim/engine/fetch.sh DIR NPM_VERSION TAG SHA256_LIBS SHA256_SRC
#
# Downloads, with npm's own client, the prebuilt CPU libraries of
# @node-llama-cpp/linux-x64@NPM_VERSION and the llama.cpp source of the same
# tag (the git bundle llama/gitRelease.bundle inside node-llama-cpp@NPM_VERSION),
# checks both tarballs against the pinned sha256, and leaves in DIR:
#   dl/       the two tarballs (kept: a later build does not download again)
#   lib/      the shared libraries (libllama, libggml*, libllama-common)
#   include/  the headers of that tag the planner compiles against
#   LICENSE   llama.cpp's licence (MIT)
#   .ok       written last; its presence means everything above is complete
# Exit status non-zero with a one-line reason on stderr when anything fails.
set -eu
dir=$1 ver=$2 tag=$3 sha_lib=$4 sha_src=$5
lib_tgz="node-llama-cpp-linux-x64-$ver.tgz"
src_tgz="node-llama-cpp-$ver.tgz"

fail() { echo "vramsim: engine $tag: $*" >&2; exit 1; }
for h in "$sha_lib" "$sha_src"; do
	case "$h" in
	*[!0-9a-f]*) fail "pinned checksum '$h' is not a sha256 (64 hex digits)" ;;
	esac
	[ ${#h} -eq 64 ] || fail "pinned checksum '$h' is not a sha256 (64 hex digits)"
done
command -v npm >/dev/null 2>&1 || fail "npm not found (Debian package npm)"
command -v git >/dev/null 2>&1 || fail "git not found (Debian package git)"

mkdir -p "$dir/dl"
cd "$dir"
# npm wants a home for its config; keep it quiet and inside the build folder
export HOME="${HOME:-$PWD}" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
rm -f .ok
if ! printf '%s  %s\n%s  %s\n' "$sha_lib" "dl/$lib_tgz" "$sha_src" "dl/$src_tgz" |
	sha256sum -c --strict --status 2>/dev/null; then
	rm -f "dl/$lib_tgz" "dl/$src_tgz"
	# npm's cache stays in the build folder too
	(cd dl && npm pack --silent --cache ../npm-cache \
		"@node-llama-cpp/linux-x64@$ver" "node-llama-cpp@$ver" >/dev/null) ||
		fail "npm pack @node-llama-cpp/linux-x64@$ver node-llama-cpp@$ver failed (offline?)"
	rm -rf npm-cache
	printf '%s  %s\n%s  %s\n' "$sha_lib" "dl/$lib_tgz" "$sha_src" "dl/$src_tgz" |
		sha256sum -c --strict --quiet || { rm -f "dl/$lib_tgz" "dl/$src_tgz"; fail "checksum mismatch: refusing (and deleting) the downloaded tarballs"; }
fi

rm -rf tmp lib include
mkdir -p tmp/bin tmp/pkg lib include
tar xzf "dl/$lib_tgz" -C tmp/bin
tar xzf "dl/$src_tgz" -C tmp/pkg package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
grep -q "\"$tag\"" tmp/pkg/package/llama/llama.cpp.info.json ||
	fail "node-llama-cpp@$ver does not ship llama.cpp $tag"
cp -p tmp/bin/package/bins/linux-x64/*.so lib/
git clone -q --bare tmp/pkg/package/llama/gitRelease.bundle tmp/src.git ||
	fail "cannot read the git bundle of $tag"
# Only headers (public, internal backend interface, the C++ staging API and
# common/fit.h) and the licence; the CUDA backend sources stay in the bundle
# (dl/) for reference.
git --git-dir=tmp/src.git archive --format=tar HEAD include ggml/include \
	ggml/src/ggml-backend-impl.h src/llama-ext.h common/fit.h \
	LICENSE | tar xf - -C include
mv include/LICENSE LICENSE
rm -rf tmp
touch .ok
