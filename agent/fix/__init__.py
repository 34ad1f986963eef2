"""The `suture fix` pipeline and its stages: baseline and localise, propose, gate, choose, deliver;
plus reproduction of an issue as a test and the run records read back (replay, resume)."""
