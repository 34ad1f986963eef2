#include <stdio.h>

struct stats {
  int passed;
  int failed;
};

int pass_rate(const struct stats *s) {
  int total = s->passed + s->failed;
  return 100 * s->passed / total;
}

int main(void) {
  struct stats runs[2] = {{9, 1}, {0, 0}};
  for (int i = 0; i < 2; i++)
    printf("run %d: %d%%\n", i, pass_rate(&runs[i]));
  return 0;
}
