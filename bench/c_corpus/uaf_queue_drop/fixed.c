#include <stdio.h>
#include <stdlib.h>

struct job {
  int id;
  struct job *next;
};

struct queue {
  struct job *head;
  int size;
};

void queue_add(struct queue *q, int id) {
  struct job *j = malloc(sizeof *j);
  if (j == NULL)
    return;
  j->id = id;
  j->next = q->head;
  q->head = j;
  q->size++;
}

/* Removes the first job and returns its id; -1 when the queue is empty. */
int queue_drop(struct queue *q) {
  struct job *first = q->head;
  if (first == NULL)
    return -1;
  int id = first->id;
  q->head = first->next;
  q->size--;
  free(first);
  return id;
}

int main(void) {
  struct queue q = {NULL, 0};
  queue_add(&q, 1);
  queue_add(&q, 2);
  while (q.size > 0)
    printf("%d\n", queue_drop(&q));
  return 0;
}
