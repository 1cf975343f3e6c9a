# references.sh - every document a source file points at can be opened.
#
# A comment that says "see X.md" must name a file of this repository
# (README.md, tests/data/*/SOURCES.md, ...) or, on the same line, the
# public project the document belongs to (ggml's docs/gguf.md, a GitHub
# address). Documents that only existed beside the repository are how
# comments rot: the test fails on one. It also proves it can fail.
set -u
cd "$TOP" || exit 1

tracked=$(git ls-files '*.md')

# check FILES...: one line per reference that resolves nowhere.
check() {
	grep -HnoE '[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b' "$@" 2>/dev/null |
	while IFS=: read -r f line ref; do
		ref=${ref#./}
		# a file of the repository, by path or by name
		printf '%s\n' "$tracked" | grep -qE "(^|/)$(printf '%s' "$ref" | sed 's/[.]/\\./g')\$" && continue
		# a public project's document, named on the same line
		sed -n "${line}p" "$f" | grep -qiE 'github\.com|ggml|llama\.cpp|ollama|pytorch|nvidia' && continue
		echo "$f:$line: $ref is not in the repository and names no public source"
	done
}

srcs=$(git ls-files 'trace/*' 'import/*' 'sim/*' 'plots/*' 'tests/*.c' 'tests/*.h' 'tests/*.sh' \
	'tests/*.mk' 'tests/cli/*' 'tests/fuzz/*.c' 'tests/fuzz/*.h' 'tests/gpu/*' Makefile .ci/* |
	grep -vE '\.(md|gguf|log|zst|gz|json|png)$' | grep -v 'tests/cli/references.sh')
[ -n "$srcs" ] || { echo "no sources found"; exit 1; }
bad=$(check $srcs)
if [ -n "$bad" ]; then echo "$bad"; exit 1; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '/* the rule: see design-notes.md section 4 */\n/* README.md says so */\n' > "$tmp/probe.c"
caught=$(check "$tmp/probe.c")
case "$caught" in
*"design-notes.md is not in the repository"*) ;;
*) echo "the reference check missed a dangling reference: '$caught'"; exit 1 ;;
esac
case "$caught" in
*README.md*) echo "the reference check flagged README.md: '$caught'"; exit 1 ;;
esac
exit 0
