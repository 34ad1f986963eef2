#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
  char *left;
  char *right;
};

int main(void) {
  struct pair p;
  p.left = malloc(8);
  if (p.left == NULL)
    return 1;
  strcpy(p.left, "same");
  p.right = p.left;
  printf("%s %s\n", p.left, p.right);
  free(p.left);
  return 0;
}
