package binding

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// One query parser serves c.Query, c.QueryValues, typed query binding and
// urlencoded forms, so a middleware reading c.Query("tenant") and a typed
// handler never see different values. Its rules are net/url's:
//
//   - pairs are separated by '&';
//   - a pair holding ';' is skipped (net/url and net/http refuse ';' as a
//     separator since Go 1.17), and so is a pair with a malformed escape;
//   - a query of more than MaxQueryParams pairs is refused with a 400 before
//     routing (net/url returns no values at all past the same limit).

// MaxQueryParams is the most parameters a query string or an urlencoded
// form may hold; a request with more is answered 400.
const MaxQueryParams = 10000

// TooManyQueryParams reports whether raw holds more than MaxQueryParams
// pairs (counted as net/url counts them: one more than the '&'s).
func TooManyQueryParams(raw string) bool {
	return len(raw) >= MaxQueryParams && strings.Count(raw, "&") >= MaxQueryParams
}

// ErrTooManyQueryParams is the 400 for a query over MaxQueryParams.
func ErrTooManyQueryParams() *Error {
	return newError(http.StatusBadRequest, "the query has more than "+strconv.Itoa(MaxQueryParams)+" parameters")
}

// nextQueryPair cuts the next pair off raw and returns its unescaped key and
// its still escaped value; ok is false for a pair the parser skips.
func nextQueryPair(raw string) (key, value, rest string, ok bool) {
	kv, rest, _ := strings.Cut(raw, "&")
	if kv == "" || strings.IndexByte(kv, ';') >= 0 {
		return "", "", rest, false
	}
	key, value, _ = strings.Cut(kv, "=")
	key, ok = unescapeQuery(key)
	return key, value, rest, ok
}

// ParseQuery parses a query with the rules above (no values at all when it
// has too many pairs: the request is refused).
func ParseQuery(raw string) url.Values {
	m := url.Values{}
	if TooManyQueryParams(raw) {
		return m
	}
	for raw != "" {
		var k, v string
		var ok bool
		k, v, raw, ok = nextQueryPair(raw)
		if !ok {
			continue
		}
		if v, ok = unescapeQuery(v); ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}
