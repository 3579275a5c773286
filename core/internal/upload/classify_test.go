package upload

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
)

func TestClassify(t *testing.T) {
	l := Limits{MaxBodySize: 100, MaxParts: 3, MaxHeaderSize: 50}
	bad := errors.New("bad boundary")
	for _, tc := range []struct {
		err  error
		want Refusal
	}{
		{&TooLarge{Name: "f", File: true, Max: 10}, Refusal{Status: 413, Detail: (&TooLarge{Name: "f", File: true, Max: 10}).Error()}},
		{fmt.Errorf("x: %w", ErrTooManyParts), Refusal{Status: 413, Detail: "multipart body has more than 3 parts"}},
		{ErrBodyLimit, Refusal{Status: 413, BodyLimit: 100}},
		{ErrHeader, Refusal{Status: 400, Detail: "a multipart part header is larger than the limit of 50 bytes"}},
		{io.ErrUnexpectedEOF, Refusal{Status: 400, Detail: "multipart body ended early"}},
		{&http.MaxBytesError{Limit: 7}, Refusal{Status: 413, BodyLimit: 7}},
		{bad, Refusal{Status: 400, Detail: "malformed multipart body: bad boundary", Cause: bad}},
	} {
		if got := Classify(tc.err, l); got != tc.want {
			t.Errorf("Classify(%v) = %+v, want %+v", tc.err, got, tc.want)
		}
	}
}
