"""What people and pipelines read: tables, explanations, framework comparisons, machine
outputs, CI checks and figures. Only this wing imports Rich, and only to draw a table."""
