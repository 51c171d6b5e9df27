/**
 * Published data sets behind the reference outputs the statistics are tested against.
 * airquality: R's datasets package (src/library/datasets/data/airquality.tab), daily ozone in
 * New York, May and August 1973, with R's NA (missing days) left out as R's formula interface
 * does.
 */
export const airqualityOzone = {
  may: [
    41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115,
    37,
  ],
  august: [
    39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76,
    118, 84, 85,
  ],
};
