#include <stdio.h>

/* How many chunks of `chunk` bytes hold `size` bytes. */
int chunks(int size, int chunk) {
  return (size + chunk - 1) / chunk;
}

int main(int argc, char **argv) {
  int chunk = argc > 1 ? 4096 : 0;
  printf("%d chunks\n", chunks(10000, chunk));
  return 0;
}
