module leakkit.test/gofixtures

go 1.23
