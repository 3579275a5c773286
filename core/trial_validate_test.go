package covet_test

import (
	"errors"
	"fmt"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialRange struct {
	From int `json:"from"`
	To   int `json:"to"`
	Step int `json:"step"`
}

func (r *trialRange) Validate() error {
	var errs []error
	if r.To < r.From {
		errs = append(errs, covet.FieldError{Location: "body", Field: "to", Pointer: "/to", Message: "must not be before from"})
	}
	if r.Step <= 0 {
		errs = append(errs, &covet.FieldError{Location: "body", Field: "step", Pointer: "/step", Message: "must be positive"})
	}
	if len(errs) == 2 && r.From == 99 {
		return fmt.Errorf("range: %w", errors.Join(errs...))
	}
	return errors.Join(errs...)
}

// A Validate method returning errors.Join of several FieldErrors (how Go
// code reports several failures) was a 422 listing only the first, though a
// 422 lists every failing field at once; wrapped or joined, all are listed.
func TestValidateListsEveryJoinedFieldError(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/r", func(c *covet.Context, in *trialRange) (*trialRange, error) { return in, nil })
	cl := covettest.New(t, app)
	for _, body := range []string{`{"from":5,"to":1,"step":0}`, `{"from":99,"to":1,"step":0}`} {
		p := cl.Post("/r").RawJSON(body).Do().ExpectStatus(422).Problem()
		if len(p.Errors) != 2 || p.Errors[0].Field != "to" || p.Errors[1].Field != "step" {
			t.Errorf("%s: errors %+v, want to and step", body, p.Errors)
		}
	}
	if p := cl.Post("/r").RawJSON(`{"from":1,"to":5,"step":0}`).Do().ExpectStatus(422).Problem(); len(p.Errors) != 1 || p.Errors[0].Field != "step" {
		t.Errorf("errors %+v, want step", p.Errors)
	}
	cl.Post("/r").RawJSON(`{"from":1,"to":5,"step":1}`).Do().ExpectStatus(200)
}
