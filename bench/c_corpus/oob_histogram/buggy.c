#include <stdio.h>

#define BUCKETS 10

/* Count scores 0..100 into ten buckets of width 10. */
void histogram(const int *scores, int n, int *buckets) {
  for (int i = 0; i < n; i++) {
    int b = scores[i] / 10;
    buckets[b]++;
  }
}

int main(void) {
  int scores[6] = {55, 67, 100, 12, 89, 90};
  int buckets[BUCKETS] = {0};
  histogram(scores, 6, buckets);
  for (int b = 0; b < BUCKETS; b++)
    printf("%d: %d\n", b * 10, buckets[b]);
  return 0;
}
