# The six public tables of ../shared/datasets/tables with the column settings their SOURCE.md
# recommends, for the scripts of docs/results/own-data/ (sourced; needs $T, the tables folder).
# for_each_table FN: calls `FN NAME ARGS…` for every table, ARGS being its `srl` data flags.
for_each_table() {
  "$1" auto-mpg --csv "$T/auto-mpg/auto-mpg.data" --target col1 --exclude col9 --categorical col8 --impute median
  "$1" energy-efficiency --csv "$T/energy-efficiency/ENB2012_data.csv" --target Y1 --exclude Y2 --categorical X6,X8
  "$1" forest-fires --csv "$T/forest-fires/forestfires.csv" --target area
  "$1" student-mat --csv "$T/student-mat/student-mat.csv" --target G3 --exclude G1,G2
  "$1" wine-quality-red --csv "$T/wine-quality-red/winequality-red.csv" --target quality
  "$1" yacht --csv "$T/yacht-hydrodynamics/yacht_hydrodynamics.data" --target col7
}
