"""Prompts as data: one module per prompt, each a builder and a pydantic response model.

Builders return chat messages; response models parse (and tidy) what the model wrote.
Ids handed to a model are short indices into the prompt's own lists, never storage ids.
"""
