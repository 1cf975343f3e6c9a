# compare.gp - recorded vs what-if: per GPU two stacked bars at their
# peaks, each with its own capacity mark (the topologies may differ).
# Variables: see bars.gp; the bars of GPU g sit around x = g.
# Faint bands tell the GPUs apart.
do for [g = 0:int(xhi / 1000.0)] {
    if (g % 2 == 1) {
        set object 200 + g rect from first g - 0.5, graph 0 to first g + 0.5, graph 1 \
            fc rgb '#f4f4f4' fs solid 1.0 noborder behind
    }
}
load plotdir . '/bars.gp'
