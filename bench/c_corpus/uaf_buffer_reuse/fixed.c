#include <stdio.h>
#include <stdlib.h>

int total_of(int n) {
  int *xs = malloc(sizeof(int) * n);
  if (xs == NULL)
    return 0;
  for (int i = 0; i < n; i++)
    xs[i] = i + 1;
  int total = 0;
  for (int i = 0; i < n; i++)
    total += xs[i];
  free(xs);
  return total;
}

int main(void) {
  printf("%d\n", total_of(4));
  return 0;
}
