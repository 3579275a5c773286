package cli

import (
	"reflect"
	"testing"
)

type cmd struct{ name, from string }

func TestMerge(t *testing.T) {
	key := func(c cmd) (string, bool) { return c.name, c.name != "" }
	got := Merge(key,
		[]cmd{{"serve", "builtin"}, {"routes", "builtin"}, {"help", "builtin"}},
		[]cmd{{"migrate", "plugin"}, {"routes", "plugin"}, {"", "plugin"}},
		[]cmd{{"routes", "app"}, {"seed", "app"}})
	want := []cmd{{"help", "builtin"}, {"migrate", "plugin"}, {"routes", "app"}, {"seed", "app"}, {"serve", "builtin"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge = %v, want %v", got, want)
	}
}

func TestServeArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		addr  string
		serve bool
		err   bool
	}{
		{nil, ":8080", true, false},
		{[]string{"serve"}, ":8080", true, false},
		{[]string{"--addr", ":9"}, ":9", true, false},
		{[]string{"serve", "--addr=:9"}, ":9", true, false},
		{[]string{"serve", "extra"}, "", true, true},
		{[]string{"--bogus"}, "", true, true},
		{[]string{"routes"}, "", false, false},
		{[]string{"migrate", "--addr", ":9"}, "", false, false},
	} {
		addr, serve, err := ServeArgs(":8080", tc.args)
		if addr != tc.addr || serve != tc.serve || (err != nil) != tc.err {
			t.Errorf("ServeArgs(%q) = %q, %v, %v", tc.args, addr, serve, err)
		}
	}
}
