package jsonenc

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

type zinner struct {
	A int     `json:"a,omitzero"`
	B *string `json:"b"`
}

// withOmitZero holds `,omitzero` on every kind compiled here, the shape of
// orm.Timestamps and orm.SoftDelete among them.
type withOmitZero struct {
	ID      int64      `json:"id"`
	Created time.Time  `json:"created_at,omitzero"`
	Deleted time.Time  `json:"deleted_at,omitzero"`
	Due     *time.Time `json:"due,omitzero"`
	N       int        `json:"n,omitzero"`
	U8      uint8      `json:"u8,omitzero"`
	F       float64    `json:"f,omitzero"`
	F32     float32    `json:"f32,omitzero"`
	S       string     `json:"s,omitzero"`
	Bo      bool       `json:"bo,omitzero"`
	SS      []string   `json:"ss,omitzero"`
	P       *int       `json:"p,omitzero"`
	In      zinner     `json:"in,omitzero"`
	Both    []int      `json:"both,omitempty,omitzero"`
}

// zeroByMethod is zero by its own rule (its IsZero), not reflect's.
type zeroByMethod struct{ V int }

func (z zeroByMethod) IsZero() bool { return z.V < 0 }

type zeroByPtrMethod struct{ V int }

func (z *zeroByPtrMethod) IsZero() bool { return z.V == 7 }

type withMethodZero struct {
	M  zeroByMethod      `json:"m,omitzero"`
	PM zeroByPtrMethod   `json:"pm,omitzero"`
	MP *zeroByMethod     `json:"mp,omitzero"`
	T  time.Time         `json:"t,omitzero"`
	In []withOmitZero    `json:"in"`
	X  map[string]int    `json:"x,omitzero"`
	Ys []zeroByPtrMethod `json:"ys"`
}

// TestOmitZero: `,omitzero` fields give json.Marshal's bytes: compiled for
// time.Time, *time.Time and the types without an IsZero method (reflect's
// zero: -0.0 and an empty non-nil slice are not zero, a zero instant in
// any zone is), and left to encoding/json for other IsZero methods.
func TestOmitZero(t *testing.T) {
	if lookup(reflect.TypeFor[withOmitZero]()).enc == nil {
		t.Fatal("a struct with `,omitzero` fields is left to encoding/json: the test would compare it with itself")
	}
	if lookup(reflect.TypeFor[withMethodZero]()).enc != nil {
		t.Fatal("a field whose type has its own IsZero is compiled: that method would not be called")
	}
	s := "x"
	one := 1
	at := time.Date(2026, 12, 7, 10, 30, 0, 5, time.UTC)
	zeroIST := time.Time{}.In(time.FixedZone("IST", 5*3600+1800))
	cases := []withOmitZero{
		{},
		{ID: 1, Created: at, Deleted: zeroIST, Due: &time.Time{}, F: math.Copysign(0, -1), F32: float32(math.Copysign(0, -1)),
			SS: []string{}, P: new(int), In: zinner{B: &s}, Both: []int{}},
		{ID: 2, Due: &at, N: -1, U8: 255, F: 1.5, S: " ", Bo: true, SS: []string{""}, P: &one, In: zinner{A: 1}, Both: []int{0}},
	}
	for i := range cases {
		check(t, cases[i])
		check(t, &cases[i])
	}
	check(t, cases)
	for _, m := range []withMethodZero{
		{}, {M: zeroByMethod{-1}, PM: zeroByPtrMethod{7}, MP: &zeroByMethod{-2}, T: zeroIST, X: map[string]int{}},
		{M: zeroByMethod{1}, PM: zeroByPtrMethod{1}, MP: &zeroByMethod{0}, T: at, In: cases, Ys: []zeroByPtrMethod{{7}}},
	} {
		check(t, m)
		check(t, &m)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 2000; i++ {
		pv := reflect.New(reflect.TypeFor[withOmitZero]())
		fill(rng, pv.Elem(), 0)
		check(t, pv.Interface())
	}
}

// TestPointerAllocatesNothing: a pointer to a compiled struct (what typed
// handlers return) is encoded without an allocation of Append's own; the
// copy of the interface's data word escaped to the heap on every call.
func TestPointerAllocatesNothing(t *testing.T) {
	v := &withOmitZero{ID: 1, S: "x", Created: time.Unix(1, 0).UTC()}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf, _ = Append(buf[:0], v) }); n != 0 {
		t.Fatalf("Append(%T) allocates %v times per call, want 0", v, n)
	}
	check(t, (*withOmitZero)(nil))
	check(t, &direct{P: &inner{}})
}
