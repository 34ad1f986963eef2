"""`suture batch`: many fix / optimize / localize tasks, each run as its single command, on a local
process pool or on Ray; results streamed to results.jsonl, resumable."""
