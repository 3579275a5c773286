package binding

import (
	"reflect"
	"strings"
	"testing"
)

type provUser struct{ Name string }

func TestCompileInputProvided(t *testing.T) {
	t.Run("provided only: no body", func(t *testing.T) {
		type in struct{ User *provUser }
		ip, err := CompileInputProvided(reflect.TypeFor[in](), []int{0})
		if err != nil {
			t.Fatal(err)
		}
		if ip.HasBody() || ip.BodySelf {
			t.Fatal("an input of provided fields only reads a body")
		}
		// Without the provider it is a JSON body, as before.
		plain, err := CompileInput(reflect.TypeFor[in]())
		if err != nil || !plain.BodySelf {
			t.Fatalf("plain plan: %v, body self %v", err, plain != nil && plain.BodySelf)
		}
	})
	t.Run("provided with a Body among plain fields", func(t *testing.T) {
		type in struct {
			User *provUser
			Body struct {
				Text string `json:"text"`
			}
		}
		ip, err := CompileInputProvided(reflect.TypeFor[in](), []int{0})
		if err != nil {
			t.Fatal(err)
		}
		if ip.BodySelf || ip.Body == nil {
			t.Fatal("Body is not the body")
		}
	})
	t.Run("other untagged field refused", func(t *testing.T) {
		type in struct {
			User  *provUser
			Other string
			Q     string `query:"q"`
		}
		_, err := CompileInputProvided(reflect.TypeFor[in](), []int{0})
		if err == nil || !strings.Contains(err.Error(), "Other") || !strings.Contains(err.Error(), "covet.Provide") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cached per set of fields", func(t *testing.T) {
		type in struct {
			A, B *provUser
		}
		p1, _ := CompileInputProvided(reflect.TypeFor[in](), []int{0, 1})
		p2, _ := CompileInputProvided(reflect.TypeFor[in](), []int{0, 1})
		if p1 != p2 {
			t.Fatal("not cached")
		}
		if _, err := CompileInputProvided(reflect.TypeFor[in](), []int{0}); err == nil {
			t.Fatal("B, unprovided and untagged, accepted")
		}
	})
}
