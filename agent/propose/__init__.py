"""Where candidates come from: the offline rule engine (templates) and the model's planner loop and tools."""
