# timeline.gp - memory over time, one panel per GPU, stacked by category.
#
# Loaded by plots/timeline_png.c after it set the terminal, the output and:
#   W, H            picture size in pixels; GiB = 1024.0**3
#   NTL, tl_str[i], NSL, sl_str[i], hdr_px   headline and context lines
#                   (header.gp draws them)
#   K, iname[k], icol[k] legend items bottom to top: names and colours
#   NP              panels (GPUs); per panel p (1-based):
#     cap[p], peak[p]   bytes; glab[p], gpk[p] the texts above the panel
#     ds[p]             1 when the panel is downsampled (min line drawn)
#   xmin, xmax, xdiv, xname   x range (ns or change numbers), ns per unit
#   xpad            room left of xmin (axis units)
#   ytop            bytes at the top of the y axis, shared by all panels
#   $tl             one block per panel (index p-1); columns: x, the
#                   cumulative stack of items 1..K (bytes), the bucket min
#   noom, oomp[i], oomx[i], oomy[i]  OOM marks: panel, x, used + request
#   oom_p, oom_x, oom_lo, oom_hi, oom_txt   the first OOM (oom_p 0: none)
#   stopped, stop_x the replay stopped at the first OOM, at x (axis units * xdiv)
#   zoomed          1: the y axis ends below the capacity (a tiny trace)
#
# A bucket's stack is its state at its highest level, so the stack's
# outline is the upper envelope; the dotted line is the lower one.

top_px = hdr_px - 8.0
bot_px = 48.0
ph = (H - top_px - bot_px) / NP
lm = 80.0 / W
rm = 1.0 - 250.0 / W

set multiplot
set lmargin at screen lm
set rmargin at screen rm
set xrange [xmin / xdiv - xpad : xmax / xdiv]
set yrange [0 : ytop * 1.08 / GiB]
set ylabel 'GiB' offset 1,0
set ytics nomirror
set xtics nomirror
set mytics 2
set grid ytics lc rgb '#e6e6e6' lw 1 front
set border 3 back
set style fill solid 1.0 noborder

load plotdir . '/header.gp'
# The legend sits right of the panels, top item first like the stack.
set key at screen rm + 12.0 / W, (H - top_px - 24.0) / H left top vertical Left reverse \
    samplen 2 spacing 1.2 width 1
set style textbox opaque noborder margins 2,1

do for [p = 1:NP] {
    yhi = H - top_px - (p - 1) * ph
    ylo = yhi - ph
    set tmargin at screen (yhi - 24.0) / H
    set bmargin at screen (ylo + 6.0) / H
    set label 1 glab[p] at screen lm, (yhi - 12.0) / H left font 'sans,10:Bold'
    set label 2 gpk[p] at screen rm, (yhi - 12.0) / H right
    if (p < NP) { set format x ''; unset xlabel } else { set format x '% g'; set xlabel xname }
    unset object 1
    unset object 2
    capshow = cap[p] < ytop * 1.08 ? cap[p] : ytop * 1.08
    if (cap[p] > peak[p]) {
        set object 1 rect from graph 0, first peak[p] / GiB to graph 1, first capshow / GiB \
            fc rgb '#2ca02c' fs transparent solid 0.12 noborder behind
    }
    unset label 5
    if (zoomed && p == 1) {
        set label 5 'y axis zoomed to what ran: the capacity line is above it' \
            at graph 0.5, graph 0.9 center tc rgb '#2ca02c' front
    }
    if (cap[p] > 0 && peak[p] > cap[p]) {
        set object 2 rect from graph 0, first cap[p] / GiB to graph 1, first peak[p] / GiB \
            fc rgb '#d62728' fs transparent solid 0.10 noborder behind
    }
    unset arrow 1
    unset label 3
    if (oom_p == p) {
        set arrow 1 from first oom_x / xdiv, first oom_lo / GiB to first oom_x / xdiv, \
            first oom_hi / GiB head filled size screen 0.008,20 lw 2 lc rgb '#d62728' front
        # The label sits beside the middle of the arrow, on the side with room.
        ymid = (oom_lo + oom_hi) / 2.0 / GiB
        if (oom_x > (xmin + xmax) / 2.0) {
            set label 3 oom_txt at first oom_x / xdiv, first ymid right \
                offset -1,0 boxed tc rgb '#d62728' font 'sans,10:Bold' front
        } else {
            set label 3 oom_txt at first oom_x / xdiv, first ymid left \
                offset 1,0 boxed tc rgb '#d62728' font 'sans,10:Bold' front
        }
    }
    do for [i = 1:noom] {
        if (oomp[i] == p) {
            set label 500 + i '' at first oomx[i] / xdiv, first oomy[i] / GiB \
                point pt 2 ps 1.4 lw 2 lc rgb '#d62728' front
        } else {
            unset label 500 + i
        }
    }
    unset arrow 2
    unset label 4
    if (stopped) {
        set arrow 2 from first stop_x / xdiv, graph 0 to first stop_x / xdiv, graph 1 nohead \
            dt 2 lw 1.5 lc rgb '#606060' front
        if (p == 1) {
            set label 4 'replay stopped here (first OOM)' at first stop_x / xdiv, graph 0.93 \
                right offset -0.5,0 tc rgb '#606060' front
        }
    }
    isfirst = (p == 1)
    plot for [k = K:1:-1] $tl index (p - 1) using (column(1) / xdiv):(column(k + 1) / GiB) \
             with fillsteps fc rgb icol[k] title (isfirst ? iname[k] : ''), \
         $tl index (p - 1) using (column(1) / xdiv):(column(K + 1) / GiB) \
             with steps lc rgb '#303030' lw 1 notitle, \
         $tl index (p - 1) using (column(1) / xdiv):(ds[p] ? column(K + 2) / GiB : NaN) \
             with steps lc rgb '#000000' lw 1 dt 3 \
             title (isfirst && any_ds ? 'lowest within a bucket' : ''), \
         cap[p] > 0 ? cap[p] / GiB : NaN with lines dt 2 lw 2 lc rgb '#d62728' \
             title (isfirst ? 'capacity' : ''), \
         keyentry with boxes fs transparent solid 0.25 fc rgb '#2ca02c' \
             title (isfirst ? 'headroom' : ''), \
         keyentry with points pt 2 ps 1.4 lw 2 lc rgb '#d62728' \
             title (isfirst && noom > 0 ? 'OOM' : '')
    if (isfirst) {
        do for [i = 1:NTL] { unset label 9000 + i }
        do for [i = 1:NSL] { unset label 9100 + i }
        unset key
    }
}
unset multiplot
