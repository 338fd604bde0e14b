"""What an agent can call: the Action base, the action registry and the core actions."""
