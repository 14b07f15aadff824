"""The tasks resource: admins publish tasks on routes, couriers compete for them, one claim wins."""
