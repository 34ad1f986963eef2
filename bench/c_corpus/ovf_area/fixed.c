#include <stdio.h>

struct rect {
  int width;
  int height;
};

long long area(const struct rect *r) {
  return (long long) r->width * r->height;
}

int main(void) {
  struct rect small = {30, 40};
  struct rect huge = {70000, 70000};
  printf("%lld\n", area(&small));
  printf("%lld\n", area(&huge));
  return 0;
}
