"""Feature creation and transformation: formulas, the scikit-learn preprocessor, selectors."""
