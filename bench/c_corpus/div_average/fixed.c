#include <stdio.h>

int average(const int *xs, int n) {
  int total = 0;
  for (int i = 0; i < n; i++)
    total += xs[i];
  if (n == 0)
    return 0;
  return total / n;
}

int main(void) {
  int xs[3] = {4, 8, 6};
  printf("%d\n", average(xs, 3));
  printf("%d\n", average(xs, 0));
  return 0;
}
