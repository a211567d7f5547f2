"""Training: the trainer (fit.py), its callbacks, the tf.distribute strategy, progress bars."""
