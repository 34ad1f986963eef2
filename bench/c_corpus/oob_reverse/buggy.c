#include <stdio.h>
#include <string.h>

/* Copy s reversed into out, which has room for cap chars (terminator included). */
void reverse_copy(const char *s, char *out, int cap) {
  int n = (int) strlen(s);
  if (n > cap)
    n = cap;
  for (int i = 0; i < n; i++)
    out[i] = s[n - 1 - i];
  out[n] = '\0';
}

int main(void) {
  char out[8];
  reverse_copy("stressed", out, (int) sizeof out);
  printf("%s\n", out);
  return 0;
}
