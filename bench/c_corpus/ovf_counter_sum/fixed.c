#include <stdio.h>

#define N 4

long long total_bytes(const int *sizes, int n) {
  long long total = 0;
  for (int i = 0; i < n; i++)
    total += sizes[i];
  return total;
}

int main(void) {
  int sizes[N] = {1000000000, 900000000, 300000000, 5};
  printf("%lld\n", total_bytes(sizes, N));
  return 0;
}
