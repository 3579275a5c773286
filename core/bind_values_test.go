package covet

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

type bindValuesIn struct {
	Port    int           `query:"PORT" minimum:"1" maximum:"65535" default:"8080"`
	Mode    string        `query:"MODE" enum:"dev,prod" required:"true"`
	Timeout time.Duration `query:"TIMEOUT" default:"5s"`
	Hosts   []string      `query:"HOSTS" default:"a,b"`
	URL     *string       `query:"URL" format:"uri"`
	Other   string        `header:"X-Other"`
}

func TestBindValues(t *testing.T) {
	t.Run("values and defaults", func(t *testing.T) {
		var in bindValuesIn
		err := BindValues(&in, map[string][]string{"MODE": {"prod"}, "HOSTS": {"x", "y"}, "URL": {"https://e.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if in.Port != 8080 || in.Mode != "prod" || in.Timeout != 5*time.Second || !reflect.DeepEqual(in.Hosts, []string{"x", "y"}) || *in.URL != "https://e.com" {
			t.Fatalf("got %+v", in)
		}
	})
	t.Run("empty list is empty, not the default", func(t *testing.T) {
		var in bindValuesIn
		if err := BindValues(&in, map[string][]string{"MODE": {"dev"}, "HOSTS": {}}); err != nil {
			t.Fatal(err)
		}
		if in.Hosts == nil || len(in.Hosts) != 0 {
			t.Fatalf("hosts = %#v", in.Hosts)
		}
	})
	t.Run("every failure at once", func(t *testing.T) {
		var in bindValuesIn
		err := BindValues(&in, map[string][]string{"PORT": {"70000"}, "TIMEOUT": {"soon"}, "URL": {"not a uri"}})
		var e *Error
		if !errors.As(err, &e) || e.Status != 422 {
			t.Fatalf("err = %v", err)
		}
		got := map[string]string{}
		for _, fe := range e.Errors {
			got[fe.Field] = fe.Message
		}
		want := map[string]string{
			"PORT":    "must be less than or equal to 65535",
			"TIMEOUT": "must be a duration such as 1m30s",
			"URL":     "must be a URI",
			"MODE":    "is required",
		}
		for k, w := range want {
			if got[k] == "" {
				t.Errorf("no error for %s (got %v)", k, got)
			} else if k != "URL" && got[k] != w {
				t.Errorf("%s: %q, want %q", k, got[k], w)
			}
		}
		if len(e.Errors) != len(want) {
			t.Errorf("errors = %+v", e.Errors)
		}
	})
	t.Run("not a struct pointer", func(t *testing.T) {
		if err := BindValues(bindValuesIn{}, nil); err == nil {
			t.Fatal("no error")
		}
	})
}
