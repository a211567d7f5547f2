"""Prediction with a saved model: predictors (Keras, SavedModel, TFLite) and image files."""
