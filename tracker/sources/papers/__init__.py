"""Papers from arXiv, JOSS and Zenodo: one ``papers`` row per paper (``identity``)."""
