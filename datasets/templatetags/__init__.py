"""Template filters of the dataset pages."""
