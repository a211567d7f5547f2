"""Export of a saved model (SavedModel, TFLite) and its comparison with the Keras model."""
