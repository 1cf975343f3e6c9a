#!/bin/sh
# fetch_mtmd.sh - the vision-projector loader (clip) of one pinned llama.cpp,
# for the planner's projector plan (sim/engine/mmp.cpp). Run by make after
# fetch.sh, never at run time.
#
#   sh sim/engine/fetch_mtmd.sh DIR NPM_VERSION TAG SHA256_SRC
#
# The prebuilt npm libraries ship no libmtmd, so its sources are taken from
# the git bundle of the same tag that fetch.sh already downloaded and
# checked (DIR/dl/node-llama-cpp-NPM_VERSION.tgz, checked again here), and
# compiled by sim/engine/mtmd.mk against the headers of that tag. Leaves in
# DIR/mtmd the files of tools/mtmd that clip needs (clip.cpp, its headers,
# the graph builders under models/, mtmd.h) and .ok, written last.
# Exit status non-zero with a one-line reason on stderr when anything fails.
set -eu
dir=$1 ver=$2 tag=$3 sha_src=$4
src_tgz="dl/node-llama-cpp-$ver.tgz"

fail() { echo "vramsim: engine $tag: $*" >&2; exit 1; }
command -v git >/dev/null 2>&1 || fail "git not found (Debian package git)"
cd "$dir"
printf '%s  %s\n' "$sha_src" "$src_tgz" | sha256sum -c --strict --status 2>/dev/null ||
	fail "$dir/$src_tgz is missing or does not match its pinned sha256 (run make again to fetch it)"
rm -rf mtmd tmp-mtmd
mkdir -p tmp-mtmd mtmd
tar xzf "$src_tgz" -C tmp-mtmd package/llama/gitRelease.bundle
git clone -q --bare tmp-mtmd/package/llama/gitRelease.bundle tmp-mtmd/src.git ||
	fail "cannot read the git bundle of $tag"
git --git-dir=tmp-mtmd/src.git archive --format=tar HEAD tools/mtmd | tar xf - -C tmp-mtmd ||
	fail "the source of $tag has no tools/mtmd (no projector loader to build)"
m=tmp-mtmd/tools/mtmd
for f in clip.cpp clip.h clip-impl.h clip-model.h clip-graph.h mtmd.h models/models.h; do
	[ -f "$m/$f" ] || fail "tools/mtmd/$f is not in $tag (the projector plan needs it)"
done
cp -p "$m"/clip.cpp "$m"/clip*.h "$m"/mtmd.h mtmd/
mkdir -p mtmd/models
cp -p "$m"/models/*.cpp "$m"/models/*.h mtmd/models/
rm -rf tmp-mtmd
touch mtmd/.ok
