#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msg {
  char text[32];
  int length;
};

struct msg *make_msg(const char *text) {
  struct msg *m = malloc(sizeof *m);
  if (m == NULL)
    return NULL;
  strncpy(m->text, text, sizeof(m->text) - 1);
  m->text[sizeof(m->text) - 1] = '\0';
  m->length = (int) strlen(m->text);
  return m;
}

int main(void) {
  struct msg *m = make_msg("hello");
  if (m == NULL)
    return 1;
  free(m);
  printf("%d\n", m->length);
  return 0;
}
