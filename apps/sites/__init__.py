"""A website as the engine reaches it: its files (a transport) and its databases.

A plain layer below installs and backups (no models): it knows websites and transports,
nothing of installs, backups or the API above it.
"""
