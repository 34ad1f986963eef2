#include <stdio.h>
#include <stdlib.h>

struct node {
  int value;
  struct node *next;
};

int first_value(const struct node *list) {
  return list->value;
}

struct node *prepend(struct node *list, int v) {
  struct node *n = malloc(sizeof *n);
  if (n == NULL)
    return list;
  n->value = v;
  n->next = list;
  return n;
}

int main(void) {
  struct node *list = NULL;
  printf("%d\n", first_value(list));
  list = prepend(list, 7);
  printf("%d\n", first_value(list));
  free(list);
  return 0;
}
