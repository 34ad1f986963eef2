#include <stdio.h>
#include <stdlib.h>

struct account {
  int id;
  int balance;
};

int close_account(struct account *a) {
  int balance = a->balance;
  free(a);
  return balance;
}

int main(void) {
  struct account *a = malloc(sizeof *a);
  if (a == NULL)
    return 1;
  a->id = 1;
  a->balance = 250;
  printf("paid out %d\n", close_account(a));
  return 0;
}
