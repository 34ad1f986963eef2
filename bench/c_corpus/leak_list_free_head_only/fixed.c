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

void free_list(struct node *head) {
  while (head != NULL) {
    struct node *next = head->next;
    free(head);
    head = next;
  }
}

int main(void) {
  struct node *list = NULL;
  for (int i = 0; i < 3; i++)
    list = push(list, i);
  if (list == NULL)
    return 1;
  printf("%d\n", list->value);
  free_list(list);
  return 0;
}
