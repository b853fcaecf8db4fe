"""Dataset holdings: DRS templates, the index, queries, and looks inside datasets."""
