#include <stdio.h>

#define ROWS 3
#define COLS 4

int row_max(int m[ROWS][COLS], int r) {
  int best = m[r][0];
  for (int c = 1; c <= COLS; c++)
    if (m[r][c] > best)
      best = m[r][c];
  return best;
}

int main(void) {
  int m[ROWS][COLS] = {{1, 2, 3, 4}, {8, 7, 6, 5}, {0, 9, 0, 9}};
  for (int r = 0; r < ROWS; r++)
    printf("row %d max %d\n", r, row_max(m, r));
  return 0;
}
