"""The write path: input → note construction → manager decision → link & store."""
