package binding

import (
	"mime"
	"net/http"
)

// MultipartBoundary returns the boundary of r's multipart/form-data body,
// or the refusal to answer: 415 for another media type, 400 without a
// boundary, 413 when the declared length exceeds maxBody.
func MultipartBoundary(r *http.Request, maxBody int64) (string, *Error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return "", UnsupportedMedia(mt, "multipart/form-data")
	}
	boundary := params["boundary"]
	if boundary == "" {
		return "", newError(http.StatusBadRequest, "multipart body without a boundary")
	}
	if e := ContentCoding(r); e != nil {
		return "", e
	}
	if r.ContentLength > maxBody {
		return "", BodyTooLarge(maxBody)
	}
	return boundary, nil
}
