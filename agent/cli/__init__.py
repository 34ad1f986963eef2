"""The `suture` command line: parse the arguments, call one pipeline, render its result."""
