"""Running a project's tests (warm pytest, plugins, its own Python) and spectrum-based fault localisation."""
