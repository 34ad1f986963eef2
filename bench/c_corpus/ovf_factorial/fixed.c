#include <stdio.h>

long long factorial(int n) {
  long long r = 1;
  for (int i = 2; i <= n; i++)
    r *= i;
  return r;
}

int main(void) {
  for (int n = 10; n <= 13; n++)
    printf("%d! = %lld\n", n, factorial(n));
  return 0;
}
