"""Data: records, loaders, splits and the tf.data pipeline."""
