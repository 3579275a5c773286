module github.com/covetgo/covet/contrib/covet

go 1.25.0

require github.com/fsnotify/fsnotify v1.10.1

require golang.org/x/sys v0.13.0 // indirect
