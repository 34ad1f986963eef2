#include <stdio.h>
#include <stdlib.h>

struct vec {
  int *items;
  int len;
};

int grow(struct vec *v, int len) {
  int *bigger = malloc(sizeof(int) * len);
  if (bigger == NULL)
    return -1;
  for (int i = 0; i < v->len; i++)
    bigger[i] = v->items[i];
  v->items = bigger;
  v->len = len;
  return 0;
}

int main(void) {
  struct vec v;
  v.len = 2;
  v.items = malloc(sizeof(int) * 2);
  if (v.items == NULL)
    return 1;
  v.items[0] = 1;
  v.items[1] = 2;
  if (grow(&v, 4) != 0) {
    free(v.items);
    return 1;
  }
  printf("%d\n", v.items[1]);
  free(v.items);
  return 0;
}
