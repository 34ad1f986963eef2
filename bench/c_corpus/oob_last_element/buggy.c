#include <stdio.h>

struct stack {
  int items[8];
  int top; /* number of items */
};

void push(struct stack *s, int v) {
  s->items[s->top] = v;
  s->top++;
}

int peek(const struct stack *s) {
  return s->items[s->top];
}

int main(void) {
  struct stack s;
  s.top = 0;
  for (int i = 0; i < 8; i++)
    push(&s, i * i);
  printf("top %d\n", peek(&s));
  return 0;
}
