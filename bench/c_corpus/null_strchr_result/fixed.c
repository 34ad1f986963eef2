#include <stdio.h>
#include <string.h>

/* The part of "key=value" after the '='. */
const char *value_of(const char *pair) {
  const char *eq = strchr(pair, '=');
  if (eq == NULL)
    return "";
  return eq + 1;
}

int value_length(const char *pair) {
  const char *v = value_of(pair);
  return (int) strlen(v);
}

int main(void) {
  printf("%d\n", value_length("name=suture"));
  printf("%d\n", value_length("novalue"));
  return 0;
}
