# fitcurve.gp - peak memory per GPU against context length.
# plots/fitcurve.c sets, besides W, H and GiB:
#   NTL, tl_str[i], NSL, sl_str[i], hdr_px   headline and context lines
#                           (header.gp draws them)
#   ND, gname[d], gcol[d]   GPUs: legend name and colour
#   $fc                     one block per GPU (index d-1): context, peak bytes
#   NC, capv[k], capn[k], capc[k]   distinct capacities: bytes, name, colour
#   xlo, xhi, logx, ytop    ranges; logx 1 for a log2 context axis
#   fit_x, any_fit          largest context at which every GPU fits

set lmargin at screen 80.0 / W
set rmargin at screen 1.0 - 250.0 / W
set tmargin at screen 1.0 - hdr_px / H
set bmargin at screen 56.0 / H
load plotdir . '/header.gp'

if (logx) {
    set logscale x 2
    set xrange [xlo / 1.15 : xhi * 1.15]
} else {
    pad = (xhi > xlo) ? (xhi - xlo) * 0.04 : 1
    set xrange [xlo - pad : xhi + pad]
}
set format x '%.0f'
set xlabel 'context length (tokens)'
set yrange [0 : ytop * 1.1 / GiB]
set ylabel 'GiB' offset 1,0
set tics nomirror
set grid xtics ytics lc rgb '#e6e6e6'
set border 3
# The legend right of the plot, never over the curves.
set key at screen 1.0 - 236.0 / W, 1.0 - hdr_px / H left top vertical Left reverse samplen 3 spacing 1.3 width 1

if (any_fit) {
    set arrow 1 from first fit_x, graph 0 to first fit_x, graph 1 nohead dt 3 lw 1.5 lc rgb '#2ca02c' back
    # the label goes on the side of the line with more room
    xmid = logx ? sqrt(xlo * xhi) : (xlo + xhi) / 2.0
    if (fit_x > xmid) {
        set label 1 sprintf('fits up to %d', fit_x) at first fit_x, graph 0.97 right offset -0.5,0 \
            tc rgb '#2ca02c' front
    } else {
        set label 1 sprintf('fits up to %d', fit_x) at first fit_x, graph 0.97 left offset 0.5,0 \
            tc rgb '#2ca02c' front
    }
}

plot for [d = 1:ND] $fc index (d - 1) using 1:($2 / GiB) with linespoints pt 7 ps 0.8 lw 2 \
         lc rgb gcol[d] title (d <= 12 ? gname[d] : d == 13 ? sprintf('... and %d more GPUs', ND - 12) : ''), \
     for [k = 1:NC] capv[k] / GiB with lines dt 2 lw 2 lc rgb capc[k] title capn[k]
