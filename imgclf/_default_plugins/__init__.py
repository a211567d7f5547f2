"""Built-in plugins: generic pieces registered through the same hooks as any plugin."""
