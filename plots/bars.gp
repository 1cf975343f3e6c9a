# bars.gp - stacked bars, one per GPU (or per GPU and scenario), loaded by
# breakdown.gp and compare.gp. plots/bars.c sets, besides W, H and GiB:
#   NTL, tl_str[i], NSL, sl_str[i], hdr_px   headline and context lines
#                           (header.gp draws them)
#   K, iname[k], icol[k], idens[k], ibord[k]
#                           legend items bottom to top: name, colour,
#                           fill density, border colour
#   $bars                   one block per item (index k-1); rows: centre
#                           (milli-units), low, high (bytes), half width
#   NCAP, capx[i], capy[i], capw[i]  capacity marks: left x, bytes, width
#   NLAB, labx[i], laby[i], labt[i]  values inside segments: x, y, text
#   NF, fx[i], fy[i], ftxt[i]   failed requests: label at the box top
#   NT, xtl[i], xtl2[i], xtp[i] tic labels (two lines) at x (milli-units)
#   xlo, xhi, ytop          ranges (milli-units, bytes)

set lmargin at screen 80.0 / W
set rmargin at screen 1.0 - 250.0 / W
set tmargin at screen 1.0 - hdr_px / H
set bmargin at screen 64.0 / H
load plotdir . '/header.gp'

set xrange [xlo / 1000.0 : xhi / 1000.0]
set yrange [0 : ytop * 1.1 / GiB]
set ylabel 'GiB' offset 1,0
set xtics () scale 0 nomirror
do for [i = 1:NT] { set xtics add (xtl[i] . "\n" . xtl2[i] xtp[i] / 1000.0) }
set ytics nomirror
set mytics 2
set grid ytics lc rgb '#e6e6e6'
set border 3
set key outside right top vertical Left reverse samplen 2 spacing 1.3 width 1

set style textbox opaque noborder margins 2,1
do for [i = 1:NF] {
    set label 100 + i ftxt[i] at first fx[i] / 1000.0, first fy[i] / GiB center \
        offset 0,0.9 boxed tc rgb '#d62728' font 'sans,9:Bold' front
}

do for [i = 1:NCAP] {
    set arrow 1000 + i from first capx[i] / 1000.0, first capy[i] / GiB \
        to first (capx[i] + capw[i]) / 1000.0, first capy[i] / GiB nohead lw 3 lc rgb '#d62728' front
}
do for [i = 1:NLAB] {
    set label 1000 + i labt[i] at first labx[i] / 1000.0, first laby[i] / GiB center \
        font 'sans,8' tc rgb '#1a1a1a' front
}

# No datablock here is ever empty or NaN-only (gnuplot 5.4.4 crashes on
# one): marks and labels are arrows and labels, the legend's capacity a
# keyentry.
plot for [k = 1:K] $bars index (k - 1) \
         using ($1 / 1000.0):(($2 + $3) / 2.0 / GiB):(($1 - $4) / 1000.0):(($1 + $4) / 1000.0):($2 / GiB):($3 / GiB) \
         with boxxyerror fs solid idens[k] border lc rgb ibord[k] fc rgb icol[k] title iname[k], \
     keyentry with lines lw 3 lc rgb '#d62728' title (NCAP > 0 ? 'capacity' : '')
