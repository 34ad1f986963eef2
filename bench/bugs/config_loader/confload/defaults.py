# name -> (kind, default)
SCHEMA = {
    "port": ("int", "8080"),
    "debug": ("bool", "false"),
    "name": ("str", "app"),
    "workers": ("int", "2"),
}
