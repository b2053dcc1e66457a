"""The ``sie4`` source: SIE files of types 1, 2, 3, 4E and 4I."""
