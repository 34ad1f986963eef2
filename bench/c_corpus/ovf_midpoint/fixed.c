#include <stdio.h>

int midpoint(int lo, int hi) {
  return lo + (hi - lo) / 2;
}

int search(const int *xs, int n, int key) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = midpoint(lo, hi);
    if (xs[mid] == key)
      return mid;
    if (xs[mid] < key)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

int main(void) {
  int xs[5] = {1, 3, 5, 7, 9};
  printf("%d\n", search(xs, 5, 7));
  printf("%d\n", midpoint(2000000000, 2100000000));
  return 0;
}
