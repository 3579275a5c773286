//go:build !race

package tmpl_test

const raceEnabled = false
