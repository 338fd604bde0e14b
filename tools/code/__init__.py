"""Reading code: the AST index, context blocks, the project's symbols, name resolution."""
