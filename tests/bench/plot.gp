# strongswan-vti
# Copyright (C) 2026 The strongswan-vti authors
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The benchmark's plot: gnuplot -e "dir='RESULTS'" tests/bench/plot.gp
# reads RESULTS/plot.dat (written by figures.py) and writes
# RESULTS/bench.png: wall time to bring all N tunnels up and to take them
# down, and the time charon spends per tunnel event, per configuration.

if (!exists("dir")) dir = "."
set terminal pngcairo size 1500,480 font ",10" noenhanced
set output dir."/bench.png"
set datafile missing "?"
set key top left
set logscale x
set xlabel "tunnels (N)"
set grid
set style data linespoints
set multiplot layout 1,3 title "strongswan-vti benchmark: plugin, updown script, devices by ip -batch, no VTI (floor)"

# plot.dat: n, then up, gone and event, each for plugin, updown, devices
# and none; then the plugin's hook median
set title "load -> all N links up"
set ylabel "s"
plot dir."/plot.dat" using 1:2 title "plugin", \
     "" using 1:3 title "updown", \
     "" using 1:4 title "devices (ip -batch, no plugin)", \
     "" using 1:5 title "none (SAs only)"

set title "unload -> all N links gone"
set ylabel "s"
plot dir."/plot.dat" using 1:6 title "plugin", \
     "" using 1:7 title "updown", \
     "" using 1:8 title "devices (ip -batch, no plugin)", \
     "" using 1:9 title "none (IKE_SAs deleted)"

set title "per event: event -> charon's response (mean)"
set key bottom left
set ylabel "ms"
set logscale y
set format y "%g"
plot dir."/plot.dat" using 1:10 title "plugin", \
     "" using 1:11 title "updown", \
     "" using 1:12 title "devices", \
     "" using 1:13 title "none", \
     "" using 1:14 title "plugin hook median (in plugin)"
unset multiplot
