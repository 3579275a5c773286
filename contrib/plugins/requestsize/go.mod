module github.com/covetgo/covet/contrib/plugins/requestsize

go 1.25.0

require github.com/covetgo/covet/core v0.2.0

require github.com/julienschmidt/httprouter v1.3.0 // indirect

replace github.com/covetgo/covet/core => ../../../core
