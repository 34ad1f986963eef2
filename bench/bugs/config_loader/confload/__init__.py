"""Load an INI-like config over built-in defaults, with typed values."""
