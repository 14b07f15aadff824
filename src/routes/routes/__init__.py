"""The routes resource: ordered waypoints an admin designs, with their length in metres."""
