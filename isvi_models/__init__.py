"""The ISVI method: classical stages (``ops``), networks (``nets``), export and runtime.

Kept free of Prefect, storage and file paths so every kernel is a plain function that
tests can call directly. Importing this package does not import torch.
"""
