"""A convention the module states by its siblings, completed by a patch (agent/fix/conventions.py), and
what it may vouch for in the evidence (agent/fix/evidence.py): a lone patch the comparison could run
only on the tests' own calls, never a rival's question."""

from __future__ import annotations

import textwrap

from suture.agent.fix.conventions import completed_convention
from suture.agent.fix.evidence import Evidence, by_convention, vouches

TALLY = textwrap.dedent('''\
    class Tally:
        def iterkeys(self):
            return iter(self._counts)

        def keys(self):
            """The keys, as a list."""
            return list(self.iterkeys())

        def values(self):
            return None

        def items(self):
            return list(self.iteritems())

        def __str__(self):
            return None

        def __repr__(self):
            return repr(self._counts)
    ''')


def test_a_patch_that_makes_a_function_read_as_two_siblings_do_with_their_names_completes_a_convention():
    done = TALLY.replace("def values(self):\n        return None", "def values(self):\n        return list(self.itervalues())")
    assert completed_convention(TALLY, done) == ("`values` now reads as its siblings `keys`, `items` do with their own "
                                                 "names (`return list(self.itervalues())`)")
    # Another form, a form one sibling alone has, or one that does not spell the function's name is none.
    other = TALLY.replace("def values(self):\n        return None", "def values(self):\n        return list(self._counts)")
    assert completed_convention(TALLY, other) == ""
    one = TALLY.replace("return list(self.iteritems())", "return sorted(self.iteritems())")
    assert completed_convention(one, one.replace("return None", "return list(self.itervalues())", 1)) == ""
    # A dunder's name is its protocol's: `__str__` reading as `__repr__` does is no convention.
    dunder = TALLY.replace("def __str__(self):\n        return None", "def __str__(self):\n        return str(self._counts)")
    assert completed_convention(TALLY, dunder) == ""
    # Two functions changed, or code that does not parse: nothing to say.
    both = done.replace("return iter(self._counts)", "return iter(sorted(self._counts))")
    assert completed_convention(TALLY, both) == "" and completed_convention(TALLY, "def (") == ""


def test_a_completed_convention_vouches_only_for_a_lone_patch_the_comparison_ran_on_the_tests_calls_alone():
    sentence = "`values` now reads as its siblings `keys`, `items` do with their own names (`...`)"
    unbuilt = Evidence("r1", "unknown", reason="compared only on the tests' own 1 call(s)", unbuilt=True, tried=True,
                       convention=sentence)
    assert by_convention(unbuilt) and vouches(unbuilt).startswith("it completes a convention its module states: `values`")
    # A rival (compared or not), a risk, an anti-pattern, code the comparison never loaded, or no convention:
    # the one test is all there is.
    assert vouches(unbuilt, rivals=["r1", "r2"]) == "" and vouches(unbuilt, ("removes_check",)) == ""
    assert vouches(unbuilt, anti_patterns=[{"name": "x", "detail": "y"}]) == ""
    for item in (Evidence("r1", "unknown", unbuilt=True, tried=False, convention=sentence),
                 Evidence("r1", "unknown", unbuilt=True, tried=True)):
        assert not by_convention(item) and vouches(item) == ""
    # A comparison that ran beyond the tests judges by itself: a vacuous one is not rescued by the convention.
    assert vouches(Evidence("r1", "known", inputs=9, beyond=8, changed=0, tried=True, convention=sentence)) == ""
