#include <stdio.h>
#include <stdlib.h>

int *make_range(int n) {
  int *xs = malloc(sizeof(int) * n);
  for (int i = 0; i < n; i++)
    xs[i] = i;
  return xs;
}

int main(void) {
  int *xs = make_range(4);
  if (xs == NULL)
    return 1;
  printf("%d\n", xs[3]);
  free(xs);
  return 0;
}
