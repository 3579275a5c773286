package upload

import (
	"errors"
	"io"
	"net/http"
	"strconv"
)

// Refusal is how covet answers a failed multipart read: a status and the
// detail sent to the client, or, when Detail is empty, the 413 of a body
// over BodyLimit (covet builds it as the JSON body limit's). Cause is set
// when the error's text is part of a generic 400.
type Refusal struct {
	Status    int
	Detail    string
	BodyLimit int64
	Cause     error
}

// Classify turns an error of Each (or of the part callback) into the
// answer, with the limits l in force.
func Classify(err error, l Limits) Refusal {
	var tl *TooLarge
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &tl):
		return Refusal{Status: http.StatusRequestEntityTooLarge, Detail: tl.Error()}
	case errors.Is(err, ErrTooManyParts):
		return Refusal{Status: http.StatusRequestEntityTooLarge, Detail: "multipart body has more than " + strconv.Itoa(l.MaxParts) + " parts"}
	case errors.Is(err, ErrBodyLimit):
		return Refusal{Status: http.StatusRequestEntityTooLarge, BodyLimit: l.MaxBodySize}
	case errors.Is(err, ErrHeader):
		return Refusal{Status: http.StatusBadRequest, Detail: "a multipart part header is larger than the limit of " + strconv.Itoa(l.MaxHeaderSize) + " bytes"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Refusal{Status: http.StatusBadRequest, Detail: "multipart body ended early"}
	case errors.As(err, &mbe):
		return Refusal{Status: http.StatusRequestEntityTooLarge, BodyLimit: mbe.Limit}
	}
	return Refusal{Status: http.StatusBadRequest, Detail: "malformed multipart body: " + err.Error(), Cause: err}
}
