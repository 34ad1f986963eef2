#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record {
  char *data;
  size_t len;
  int open;
};

int record_open(struct record *r, const char *text) {
  r->len = strlen(text);
  r->data = malloc(r->len + 1);
  if (r->data == NULL)
    return -1;
  memcpy(r->data, text, r->len + 1);
  r->open = 1;
  return 0;
}

/* Releases the record's data; closing twice is allowed. */
void record_close(struct record *r) {
  free(r->data);
  r->data = NULL;
  r->open = 0;
}

int main(void) {
  struct record r;
  if (record_open(&r, "hello") != 0)
    return 1;
  printf("%s\n", r.data);
  record_close(&r);
  record_close(&r);
  return 0;
}
