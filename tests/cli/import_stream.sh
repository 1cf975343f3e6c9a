#!/bin/sh
# import_stream.sh - inputs that are not plain files (issue 15 item 7, issue
# 16 item 3): standard input, gzip and zstd, a FIFO with no writer, the
# inflated-size cap, no store left behind by a failed first import, the
# missing-store message, progress on a terminal only.
. "$TOP/tests/cli/lib.sh"
LOG="$DATA/logs/ollama-3078-70b-2gpu-buffers.log"

# a missing store: which one, and how to make it
expect 2 "$VRAMSIM" ls --store none.db
has err "no store at none.db: nothing imported yet; make one with 'vramsim import --store none.db FILE'"
[ ! -e none.db ] || { echo "ls created none.db"; exit 1; }

# a failed first import leaves no store file
printf 'not a log\n' >bad.txt
expect 2 "$VRAMSIM" import --store first.db bad.txt
for f in first.db first.db-wal first.db-shm first.db-journal; do
	[ ! -e "$f" ] || { echo "failed import left $f"; ls -la; exit 1; }
done
# ...but a store that existed stays, as it was
expect 0 "$VRAMSIM" import --store t.db "$LOG"
cp t.db before.db
expect 2 "$VRAMSIM" import --store t.db bad.txt
[ -e t.db ] || { echo "existing store removed"; exit 1; }

# standard input, as journalctl users have it
expect 0 sh -c "cat '$LOG' | '$VRAMSIM' import --store s.db -"
has out "imported stdin as trace 1 'stdin' \(3 events\)"
has out "2 GPUs, 2 loads \(ollama\)"
expect 2 sh -c "'$VRAMSIM' import --store s.db - - </dev/null"
has err "can be read once only"
expect 2 sh -c "'$VRAMSIM' import --store s.db - </dev/null"
has err "stdin: empty file"

# .gz and .zst are read transparently, as the log they hold
gzip -c "$LOG" >l.log.gz
expect 0 "$VRAMSIM" import --store z.db l.log.gz
has out "imported l.log.gz as trace 1 'l.log.gz' \(3 events\)"
if command -v zstd >/dev/null; then
	zstd -q -c "$LOG" >l.log.zst
	expect 0 "$VRAMSIM" import --store z.db l.log.zst
	has out "\(3 events\)"
	# a zstd file cut short is an error that says so
	head -c 200 l.log.zst >cut.log.zst
	expect 2 "$VRAMSIM" import --store z.db cut.log.zst
	has err "cut.log.zst: zstd data ends early"
fi
# the inflated size is capped, whatever the ratio (a bomb: 64 MB of zeros)
head -c 64000000 /dev/zero | gzip -c >bomb.gz
expect 2 env VRAMSIM_MAX_INPUT=1000000 "$VRAMSIM" import --store z.db bomb.gz
has err "bomb.gz: gzip data inflates past 1000000 bytes, the limit of one input \(VRAMSIM_MAX_INPUT\)"
expect 2 sh -c "cat '$LOG' | VRAMSIM_MAX_INPUT=1000 '$VRAMSIM' import --store z.db -"
has err "stdin: longer than 1000 bytes"

# a FIFO with no writer never blocks: it reads as empty
mkfifo ff
expect 2 timeout 20 "$VRAMSIM" import --store z.db ff
has err "ff: empty file, nothing to import"
# ...and with a writer it is read to its end
(cat "$LOG" >ff) &
expect 0 timeout 20 "$VRAMSIM" import --store z.db ff
wait
has out "\(3 events\)"

# progress only on a terminal, and only for work longer than a second:
# none here (stderr is a file)...
expect 0 sh -c "(cat '$LOG'; sleep 2; cat '$LOG') | '$VRAMSIM' import --store p.db -"
hasnt err "reading:"
# ...but on a terminal a slow stream shows it
if command -v script >/dev/null; then
	env -u VRAMSIM_NO_PROGRESS script -qec "sh -c \"(cat '$LOG'; sleep 2; cat '$LOG') | '$VRAMSIM' import --store p.db -\"" typescript >/dev/null 2>&1
	has typescript "reading: "
fi
exit 0
