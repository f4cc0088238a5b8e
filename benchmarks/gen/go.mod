module leakkit.bench/gen

go 1.23
