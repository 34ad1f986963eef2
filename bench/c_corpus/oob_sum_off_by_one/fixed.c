#include <stdio.h>

#define N 5

/* Sum of the first n readings. */
int sum_readings(const int *readings, int n) {
  int total = 0;
  for (int i = 0; i < n; i++)
    total += readings[i];
  return total;
}

int main(void) {
  int readings[N] = {3, 1, 4, 1, 5};
  int total = sum_readings(readings, N);
  printf("total %d\n", total);
  return total == 14 ? 0 : 1;
}
