"""Creator mode: the Display API (Login Kit + video list)."""
