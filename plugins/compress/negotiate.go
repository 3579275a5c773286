package compress

import "strings"

// acceptance is a parsed Accept-Encoding field (RFC 9110 §12.5.3): the
// q-value, in thousandths, of each coding the server knows (-1 when the field
// does not name it), of identity and of "*".
type acceptance struct {
	q        [3]int // indexed like the engine's codings
	identity int
	star     int
}

// parseAcceptEncoding parses the field's values for the codings names (at
// most three). Elements with an invalid q-value are ignored, as an
// unparseable preference cannot be honoured. It does not allocate.
func parseAcceptEncoding(values []string, names []string) acceptance {
	a := acceptance{q: [3]int{-1, -1, -1}, identity: -1, star: -1}
	for _, v := range values {
		for v != "" {
			var elem string
			if i := strings.IndexByte(v, ','); i >= 0 {
				elem, v = v[:i], v[i+1:]
			} else {
				elem, v = v, ""
			}
			coding, params, _ := strings.Cut(elem, ";")
			coding = trimOWS(coding)
			if coding == "" {
				continue
			}
			q, ok := parseQ(params)
			if !ok {
				continue
			}
			switch {
			case coding == "*":
				a.star = max(a.star, q)
			case strings.EqualFold(coding, "identity"):
				a.identity = max(a.identity, q)
			default:
				if strings.EqualFold(coding, "x-gzip") {
					coding = Gzip // RFC 9110 §8.4.1.3: equivalent to gzip
				}
				for i, n := range names {
					if strings.EqualFold(coding, n) {
						a.q[i] = max(a.q[i], q)
					}
				}
			}
		}
	}
	return a
}

// effective returns the q-value of coding i: its own, else that of "*", else
// 0 (a coding the field does not name is not acceptable).
func (a *acceptance) effective(i int) int {
	if a.q[i] >= 0 {
		return a.q[i]
	}
	if a.star >= 0 {
		return a.star
	}
	return 0
}

// identityAllowed reports whether an uncoded response is acceptable: unless
// "identity;q=0", or "*;q=0" without a more specific identity entry.
func (a *acceptance) identityAllowed() bool {
	if a.identity >= 0 {
		return a.identity > 0
	}
	return a.star != 0
}

// choose picks the coding to use among the first n: the acceptable one with
// the highest q-value, ties going to the server's order. It returns -1 for no
// coding (then identity), with notAcceptable set when identity is excluded
// too. force reports that identity is excluded, so the response must be
// coded whatever its size or type.
func (a *acceptance) choose(n int) (best int, force, notAcceptable bool) {
	best, bestQ := -1, 0
	for i := range n {
		if q := a.effective(i); q > bestQ {
			best, bestQ = i, q
		}
	}
	idOK := a.identityAllowed()
	if best < 0 {
		return -1, false, !idOK
	}
	if a.identity > bestQ {
		// The client prefers the uncoded response.
		return -1, false, false
	}
	return best, !idOK, false
}

// parseQ finds the q parameter among ";"-separated parameters and parses its
// value (RFC 9110 §12.4.2: 0, 0.x to three digits, 1, 1.0 to three zeros),
// in thousandths; no q parameter means 1000.
func parseQ(params string) (int, bool) {
	q := 1000
	for params != "" {
		var p string
		if i := strings.IndexByte(params, ';'); i >= 0 {
			p, params = params[:i], params[i+1:]
		} else {
			p, params = params, ""
		}
		p = trimOWS(p)
		name, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(trimOWS(name), "q") {
			continue
		}
		val = trimOWS(val)
		if val == "" || len(val) > 5 || (val[0] != '0' && val[0] != '1') {
			return 0, false
		}
		whole := int(val[0]-'0') * 1000
		frac := 0
		if len(val) > 1 {
			if val[1] != '.' {
				return 0, false
			}
			scale := 100
			for _, d := range []byte(val[2:]) {
				if d < '0' || d > '9' {
					return 0, false
				}
				frac += int(d-'0') * scale
				scale /= 10
			}
		}
		if whole == 1000 && frac != 0 {
			return 0, false
		}
		q = whole + frac
	}
	return q, true
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// typeMatcher is the allowlist of compressible media types.
type typeMatcher struct {
	exact    []string
	prefixes []string // "text/"
	suffixes []string // "+json"
}

func newTypeMatcher(patterns []string) typeMatcher {
	var m typeMatcher
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSpace(p))
		switch {
		case strings.HasPrefix(p, "+"):
			m.suffixes = append(m.suffixes, p)
		case strings.HasSuffix(p, "/*"):
			m.prefixes = append(m.prefixes, strings.TrimSuffix(p, "*"))
		default:
			m.exact = append(m.exact, p)
		}
	}
	return m
}

// mediaType returns ct without parameters or surrounding space.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return trimOWS(ct)
}

// isEventStream reports whether the media type is Server-Sent Events.
func isEventStream(mt string) bool { return strings.EqualFold(mt, "text/event-stream") }

func (m *typeMatcher) match(mt string) bool {
	for _, e := range m.exact {
		if strings.EqualFold(mt, e) {
			return true
		}
	}
	for _, p := range m.prefixes {
		if len(mt) > len(p) && strings.EqualFold(mt[:len(p)], p) {
			return true
		}
	}
	for _, s := range m.suffixes {
		if len(mt) > len(s) && strings.EqualFold(mt[len(mt)-len(s):], s) {
			return true
		}
	}
	return false
}
