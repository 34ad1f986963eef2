#include <stdio.h>
#include <stdlib.h>

struct buffer {
  char *data;
  int size;
};

void buffer_free(struct buffer *b) {
  free(b->data);
  b->data = NULL;
}

int main(void) {
  struct buffer b;
  b.size = 16;
  b.data = malloc(b.size);
  if (b.data == NULL)
    return 1;
  b.data[0] = 'x';
  printf("%c\n", b.data[0]);
  buffer_free(&b);
  buffer_free(&b);
  return 0;
}
