module leakkit.dev/samples

go 1.23
