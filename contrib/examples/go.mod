module github.com/covetgo/covet/contrib/examples

go 1.25.0

require github.com/covetgo/covet/core v0.1.0

replace github.com/covetgo/covet/core => ../../core
