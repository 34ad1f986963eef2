#include <stdio.h>
#include <string.h>

struct person {
  char name[16];
  int age;
};

void set_name(struct person *p, const char *name) {
  strncpy(p->name, name, sizeof(p->name) - 1);
  p->name[sizeof(p->name) - 1] = '\0';
}

int main(void) {
  struct person p;
  p.age = 40;
  set_name(&p, "Bartholomew Archibald");
  printf("%s is %d\n", p.name, p.age);
  return 0;
}
