#include <stdio.h>

struct rect {
  int width;
  int height;
};

int area(const struct rect *r) {
  return r->width * r->height;
}

int main(void) {
  struct rect small = {30, 40};
  struct rect huge = {70000, 70000};
  printf("%d\n", area(&small));
  printf("%d\n", area(&huge));
  return 0;
}
