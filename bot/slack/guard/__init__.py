"""What every request meets around the listeners: gates, limits, the after-ack pool, errors."""
