"""The LangGraph state machine: state, nodes, routing, checkpointing."""
