package covet_test

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/schema"
)

type trialMaps struct {
	ByID   map[int]string        `json:"by_id,omitempty"`
	Small  map[int8]int          `json:"small,omitempty"`
	Counts map[uint16]bool       `json:"counts,omitempty"`
	Hosts  map[netip.Addr]string `json:"hosts,omitempty"`
	Names  map[string]int        `json:"names,omitempty"`
}

// A map with integer keys given a key that is not one was a 422 on the
// whole map with the decoder's words ("could not be decoded: json: cannot
// unmarshal number abc into Go struct field .by_id of type int"), and the
// schema called it any object. The failure names the key (pointer
// /by_id/abc), and the schema states the keys (propertyNames).
func TestMapKeysNamedAndDocumented(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/m", func(c *covet.Context, in *trialMaps) (*trialMaps, error) { return in, nil })
	cl := covettest.New(t, app)
	for _, tc := range []struct{ body, pointer, msg string }{
		{`{"by_id":{"1":"a","abc":"b"}}`, "/by_id/abc", "is not a valid key: must be an integer"},
		{`{"small":{"128":1}}`, "/small/128", "is not a valid key: out of range for int8"},
		{`{"counts":{"-1":true}}`, "/counts/-1", "is not a valid key: must be a non-negative integer"},
		{`{"hosts":{"not an ip":"x"}}`, "/hosts/not an ip", `is not a valid key: ParseAddr("not an ip"): unable to parse IP`},
	} {
		p := cl.Post("/m").RawJSON(tc.body).Do().ExpectStatus(422).Problem()
		if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Message != tc.msg {
			t.Errorf("%s: errors %+v, want one at %s: %s", tc.body, p.Errors, tc.pointer, tc.msg)
		}
	}
	cl.Post("/m").RawJSON(`{"by_id":{"-7":"a"},"small":{"127":1},"counts":{"65535":true},"hosts":{"::1":"lo"},"names":{"x":1}}`).Do().
		ExpectStatus(200).
		ExpectJSON(map[string]any{"by_id": map[string]any{"-7": "a"}, "small": map[string]any{"127": 1},
			"counts": map[string]any{"65535": true}, "hosts": map[string]any{"::1": "lo"}, "names": map[string]any{"x": 1}})

	reg := schema.NewRegistry("")
	if _, err := reg.Schema(reflect.TypeFor[trialMaps]()); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(reg.Components()[reg.TypeName(reflect.TypeFor[trialMaps]())])
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{
		"by_id":  map[string]any{"type": "string", "pattern": "^-?[0-9]+$"},
		"small":  map[string]any{"type": "string", "pattern": "^-?[0-9]+$"},
		"counts": map[string]any{"type": "string", "pattern": "^[0-9]+$"},
		"hosts":  nil,
		"names":  nil,
	} {
		got := doc.Properties[name]["propertyNames"]
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("%s: propertyNames %s, want %s", name, gb, wb)
		}
	}
}
