package schema_test

import (
	"reflect"
	"testing"

	"github.com/covetgo/covet/core/schema"
)

type genBox[T any] struct {
	V T `json:"v"`
}

type genPair[A, B any] struct {
	A A `json:"a"`
	B B `json:"b"`
}

type genNode struct {
	N int `json:"n"`
}

// Generic components whose arguments differed only by a slice, a pointer
// or a map's types shared a base name (genBox[string], genBox[[]string] and
// genBox[*string] were all genBoxString), so they were told apart by package
// path and a number in registration order: registering another route
// renamed them. Each argument's shape is in the name now, whatever the order.
func TestGenericComponentNames(t *testing.T) {
	types := map[reflect.Type]string{
		reflect.TypeFor[genBox[string]]():                   "genBoxString",
		reflect.TypeFor[genBox[[]string]]():                 "genBoxStringList",
		reflect.TypeFor[genBox[*string]]():                  "genBoxNullableString",
		reflect.TypeFor[genBox[[3]int]]():                   "genBoxIntArray3",
		reflect.TypeFor[genBox[map[string]int]]():           "genBoxMapStringInt",
		reflect.TypeFor[genBox[[]*genNode]]():               "genBoxNullableGenNodeList",
		reflect.TypeFor[genBox[genPair[string, int]]]():     "genBoxGenPairStringInt",
		reflect.TypeFor[genPair[genNode, map[int][]bool]](): "genPairGenNodeMapIntBoolList",
	}
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1, 0}} {
		reg := schema.NewRegistry("")
		list := make([]reflect.Type, 0, len(types))
		for ty := range types {
			list = append(list, ty)
		}
		// A fixed order from the names, then the two orders over it.
		for i := range list {
			for j := i + 1; j < len(list); j++ {
				if types[list[j]] < types[list[i]] {
					list[i], list[j] = list[j], list[i]
				}
			}
		}
		for _, i := range order {
			if _, err := reg.Schema(list[i]); err != nil {
				t.Fatal(err)
			}
		}
		for ty, want := range types {
			if got := reg.TypeName(ty); got != want {
				t.Errorf("order %v: %s is named %q, want %q", order, ty, got, want)
			}
		}
	}
}
