#include <stdio.h>
#include <string.h>

struct contact {
  const char *name;
  const char *email;
  int age;
};

/* Length of the contact's name; 0 when it has none. */
size_t name_length(const struct contact *c) {
  return strlen(c->name);
}

int main(void) {
  struct contact known = {"Ada", "ada@example.org", 36};
  struct contact anonymous = {NULL, "anon@example.org", 0};
  printf("%zu\n", name_length(&known));
  printf("%zu\n", name_length(&anonymous));
  return 0;
}
