"""The run folder: creating it, its state (interrupt, resume), its split file, reading it back."""
