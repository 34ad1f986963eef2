#include <stdio.h>

struct table {
  int slots;
  int used;
};

unsigned hash(const char *s) {
  unsigned h = 5381;
  while (*s)
    h = h * 33 + (unsigned char) *s++;
  return h;
}

int bucket(const struct table *t, const char *key) {
  if (t->slots == 0)
    return -1;
  return (int) (hash(key) % (unsigned) t->slots);
}

int main(void) {
  struct table empty = {0, 0};
  struct table t = {8, 0};
  printf("%d\n", bucket(&t, "ab"));
  printf("%d\n", bucket(&empty, "ab"));
  return 0;
}
