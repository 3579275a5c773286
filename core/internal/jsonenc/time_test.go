package jsonenc

import (
	"reflect"
	"testing"
	"time"
)

type withTimes struct {
	ID      int64       `json:"id"`
	At      time.Time   `json:"at"`
	Maybe   *time.Time  `json:"maybe,omitempty"`
	Omit    time.Time   `json:"omit,omitempty"` // encoding/json never omits a struct
	History []time.Time `json:"history"`
}

// TestTimes: time.Time is encoded by the compiled encoder (a struct holding
// one no longer goes to encoding/json whole) with MarshalJSON's bytes, and
// the times MarshalJSON refuses fail as json.Marshal does.
func TestTimes(t *testing.T) {
	if lookup(reflect.TypeFor[withTimes]()).enc == nil {
		t.Fatal("a struct with time.Time fields is left to encoding/json")
	}
	zones := []*time.Location{time.UTC, time.FixedZone("", 0), time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("", -(23*3600 + 59*60)), time.FixedZone("", 24*3600), time.FixedZone("", -24*3600),
		time.FixedZone("", 3600+30), time.FixedZone("", -59), time.Local}
	instants := []time.Time{{}, time.Unix(0, 0), time.Date(2026, 12, 7, 5, 20, 1, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 100, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Now()}
	for _, at := range instants {
		for _, z := range zones {
			v := at.In(z)
			check(t, v)
			check(t, &v)
			check(t, &withTimes{ID: 1, At: v, Maybe: &v, History: []time.Time{v, at}})
			check(t, withTimes{At: v})
			check(t, []withTimes{{At: at}, {At: v}})
		}
	}
}
