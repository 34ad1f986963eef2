#include <stdio.h>
#include <stdlib.h>

struct stack {
  int *items;
  size_t count;
  size_t capacity;
};

int stack_push(struct stack *s, int v) {
  if (s->count == s->capacity)
    return -1;
  s->items[s->count++] = v;
  return 0;
}

/* The top item; -1 when the stack is empty. */
int stack_peek(const struct stack *s) {
  if (s->count == 0)
    return -1;
  return s->items[s->count - 1];
}

int main(void) {
  struct stack s;
  s.capacity = 4;
  s.count = 0;
  s.items = malloc(sizeof(int) * s.capacity);
  if (s.items == NULL)
    return 1;
  printf("%d\n", stack_peek(&s));
  stack_push(&s, 7);
  printf("%d\n", stack_peek(&s));
  free(s.items);
  return 0;
}
