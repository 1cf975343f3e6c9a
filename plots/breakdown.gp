# breakdown.gp - "where did my VRAM go": each GPU's memory at its peak as
# a stacked bar (categories, reserved but unused, free up to capacity),
# the capacity marked, a failed request (OOM) drawn over the bar.
# Variables: see bars.gp.
load plotdir . '/bars.gp'
