"""Build, launch and drive Go programs, and capture what they hold."""
