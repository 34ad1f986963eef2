#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *greeting(const char *name) {
  char *s = malloc(strlen(name) + 7);
  if (s == NULL)
    return NULL;
  strcpy(s, "hello ");
  strcat(s, name);
  return s;
}

int main(void) {
  char *g = greeting("world");
  if (g == NULL)
    return 1;
  printf("%s\n", g);
  free(g);
  return 0;
}
