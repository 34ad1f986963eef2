#include <stdio.h>
#include <string.h>

struct option {
  const char *key;
  const char *value;
};

const char *lookup(const struct option *opts, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(opts[i].key, key) == 0)
      return opts[i].value;
  return NULL;
}

int main(void) {
  struct option opts[2] = {{"mode", "fast"}, {"level", "3"}};
  const char *colour = lookup(opts, 2, "colour");
  printf("colour starts with %c\n", colour[0]);
  return 0;
}
