"""The core: losses (pure element functions), the registry, reductions, gradients,
the mergeable state a block contributes, and the Result. No Typer, no Rich, no files."""
