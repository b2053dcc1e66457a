"""The import engine: plugin manager, pipeline, store, writers, jobs, progress."""
