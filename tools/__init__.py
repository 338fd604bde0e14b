"""What agents can call and the machinery behind it: LLM tools, code index, patch engine, path safety."""
