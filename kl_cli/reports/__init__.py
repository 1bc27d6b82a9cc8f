"""The pipelines of the commands and their result objects (plain data, ``to_dict()`` = JSON)."""
