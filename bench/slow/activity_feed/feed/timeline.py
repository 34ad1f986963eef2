"""The activity feed on the dashboard."""


def newest_first(events: list[tuple[int, str, str]], user: str) -> list[str]:
    """The user's events as 'time: action' lines, newest first (events arrive oldest first)."""
    feed = []
    for stamp, who, action in events:
        if who != user:
            continue
        feed.insert(0, f"{stamp}: {action}")
    return feed
