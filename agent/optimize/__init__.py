"""The `suture optimize` pipeline and its offline speed rewrites."""
