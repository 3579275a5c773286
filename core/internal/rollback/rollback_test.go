package rollback

import (
	"maps"
	"slices"
	"testing"
)

func TestUndoRestoresEveryKind(t *testing.T) {
	s := []int{1, 2}
	m := map[string]int{"a": 1}
	v := "before"
	l := make([]int, 2, 8)
	var u Undo
	Slice(&u, &s)
	Map(&u, &m)
	Value(&u, &v)
	Len(&u, &l)
	s[0] = 9
	s = append(s, 3)
	m["b"] = 2
	m["a"] = 7
	v = "after"
	l = append(l, 5)
	u.Run()
	if !slices.Equal(s, []int{1, 2}) || !maps.Equal(m, map[string]int{"a": 1}) || v != "before" || len(l) != 2 {
		t.Fatalf("not restored: %v %v %q %v", s, m, v, l)
	}
	// Len cuts the capacity too: an append after the restore must not
	// write into the array the cut part shared.
	if cap(l) != 2 {
		t.Fatalf("cap %d after Len restore, want 2", cap(l))
	}
}
