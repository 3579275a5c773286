module example.com/gosecnosec

go 1.26
