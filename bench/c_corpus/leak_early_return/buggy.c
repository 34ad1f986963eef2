#include <stdio.h>
#include <stdlib.h>

int count_positive(const int *xs, int n) {
  int *flags = malloc(sizeof(int) * n);
  if (flags == NULL)
    return -1;
  int count = 0;
  for (int i = 0; i < n; i++) {
    if (xs[i] < -1000)
      return -1;
    flags[i] = xs[i] > 0;
    count += flags[i];
  }
  free(flags);
  return count;
}

int main(void) {
  int xs[4] = {3, -2, 5, -5000};
  printf("%d\n", count_positive(xs, 3));
  printf("%d\n", count_positive(xs, 4));
  return 0;
}
