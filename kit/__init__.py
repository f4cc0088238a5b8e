"""leakkit: practise finding and fixing Go memory and goroutine leaks with pprof."""

__version__ = "0.1.0"
