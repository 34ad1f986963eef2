#include <stdio.h>

#define N 4

int total_bytes(const int *sizes, int n) {
  int total = 0;
  for (int i = 0; i < n; i++)
    total += sizes[i];
  return total;
}

int main(void) {
  int sizes[N] = {1000000000, 900000000, 300000000, 5};
  printf("%d\n", total_bytes(sizes, N));
  return 0;
}
