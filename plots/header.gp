# header.gp - the headline and context lines over every picture, loaded by
# the picture scripts. plots/gnuplot.c (gp_titles) wraps them so nothing is
# cut, and sets:
#   NTL, tl_str[i], tl_font, tl_px   headline lines, font, spacing (px)
#   NSL, sl_str[i], sl_y0            context lines, the first sl_y0 px
#                                    below the top, 16 px apart
#   hdr_px                           the header's height (px): the plot
#                                    area starts below it
# Labels 9001.. and 9101.. are the header's (timeline.gp unsets them after
# its first panel).
do for [i = 1:NTL] {
    set label 9000 + i tl_str[i] at screen 0.5, (H - 18.0 - (i - 1) * tl_px) / H center \
        font tl_font
}
do for [i = 1:NSL] {
    set label 9100 + i sl_str[i] at screen 0.5, (H - sl_y0 - (i - 1) * 16.0) / H center \
        tc rgb '#404040'
}
