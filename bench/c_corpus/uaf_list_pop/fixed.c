#include <stdio.h>
#include <stdlib.h>

struct node {
  int value;
  struct node *next;
};

struct node *push(struct node *head, int v) {
  struct node *n = malloc(sizeof *n);
  if (n == NULL)
    return head;
  n->value = v;
  n->next = head;
  return n;
}

struct node *pop(struct node *head, int *out) {
  struct node *next = head->next;
  *out = head->value;
  free(head);
  return next;
}

int main(void) {
  struct node *list = NULL;
  list = push(list, 1);
  list = push(list, 2);
  int v = 0;
  while (list != NULL) {
    list = pop(list, &v);
    printf("%d\n", v);
  }
  return 0;
}
