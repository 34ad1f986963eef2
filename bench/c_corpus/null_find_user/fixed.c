#include <stdio.h>
#include <string.h>

struct user {
  const char *name;
  int id;
};

static struct user users[] = {{"ada", 1}, {"linus", 2}, {"grace", 3}};

struct user *find_user(const char *name) {
  for (int i = 0; i < 3; i++)
    if (strcmp(users[i].name, name) == 0)
      return &users[i];
  return NULL;
}

int user_id(const char *name) {
  struct user *u = find_user(name);
  if (u == NULL)
    return -1;
  return u->id;
}

int main(void) {
  printf("%d\n", user_id("grace"));
  printf("%d\n", user_id("ken"));
  return 0;
}
