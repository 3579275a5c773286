package phase

import (
	"slices"
	"testing"
)

func TestChainOrdersByPhaseStably(t *testing.T) {
	items := []Item[string, int]{{3, "c1"}, {-1, "a1"}, {3, "c2"}, {-1, "a2"}, {1, "b"}}
	got := Chain(items, []string{"app1", "app2"}, 0)
	want := []string{"a1", "a2", "app1", "app2", "b", "c1", "c2"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := Chain(nil, []string{"x"}, 0); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("no phased items: got %v", got)
	}
}

func TestName(t *testing.T) {
	named := []Named{{-300, "observe"}, {0, "app"}, {200, "guard"}}
	for p, want := range map[int]string{-300: "observe", -310: "observe-10", -299: "observe+1", 0: "app", 205: "guard+5", 200: "guard", 150: "app+150"} {
		if got := Name(p, named); got != want {
			t.Errorf("Name(%d) = %q, want %q", p, got, want)
		}
	}
}
