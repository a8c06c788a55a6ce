module github.com/nova-platform/nova

go 1.26
