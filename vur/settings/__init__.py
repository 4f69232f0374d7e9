"""Settings package: `base` holds everything, `test` speeds up and isolates, `prod` hardens."""
