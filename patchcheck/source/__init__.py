"""Source layer: trees of files, C parsing with preprocessor guards, Kconfig facts."""
