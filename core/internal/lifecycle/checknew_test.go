package lifecycle

import (
	"strings"
	"testing"
)

type named string

func (n named) Name() string { return string(n) }

func TestCheckNew(t *testing.T) {
	installed := []Plugin{named("orm"), named("cors")}
	if err := CheckNew(installed, Plugin(named("auth"))); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[Plugin]string{nil: "nil plugin", named(""): "empty name", named("cors"): `"cors" (lifecycle.named) is already installed`} {
		if err := CheckNew(installed, p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckNew(%v) = %v, want %q", p, err, want)
		}
	}
}
