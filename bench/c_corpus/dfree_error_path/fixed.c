#include <stdio.h>
#include <stdlib.h>

int parse(const char *text, int *out) {
  char *copy = malloc(16);
  if (copy == NULL)
    return -1;
  int value = 0;
  for (int i = 0; text[i] != '\0' && i < 15; i++) {
    if (text[i] < '0' || text[i] > '9') {
      break;
    }
    copy[i] = text[i];
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  free(copy);
  return 0;
}

int main(void) {
  int v = 0;
  parse("42", &v);
  printf("%d\n", v);
  parse("4x2", &v);
  printf("%d\n", v);
  return 0;
}
