"""suture's LLM client (litellm behind one small protocol) and the scripted provider tests use."""
