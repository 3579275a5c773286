package binding

import (
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"
)

// formatCheckers are the JSON Schema formats Covet asserts. Each follows the
// RFC the JSON Schema specification names and agrees with the reference
// validator used in the tests (santhosh-tekuri/jsonschema): no regular
// expressions, no allocation for valid input.
var formatCheckers = map[string]func(string) bool{
	"email":     isEmail,
	"uuid":      isUUIDFormat,
	"uri":       isURI,
	"date-time": isDateTime,
	"date":      isDate,
	"time":      isTime,
	"ipv4":      isIPv4,
	"ipv6":      isIPv6,
	"hostname":  isHostname,
}

var formatMessages = map[string]string{
	"email":     "must be a valid email address",
	"uuid":      "must be a valid UUID",
	"uri":       "must be an absolute URI",
	"date-time": "must be an RFC 3339 date-time",
	"date":      "must be an RFC 3339 full-date (YYYY-MM-DD)",
	"time":      "must be an RFC 3339 time",
	"ipv4":      "must be an IPv4 address",
	"ipv6":      "must be an IPv6 address",
	"hostname":  "must be a valid hostname",
}

// docFormats are OpenAPI formats accepted as documentation only: they
// describe a value without a check (binary is a file, password a hint).
var docFormats = map[string]bool{
	"binary": true, "byte": true, "password": true, "int32": true, "int64": true,
	"float": true, "double": true,
}

func knownFormats() string {
	var names []string
	for k := range formatCheckers {
		names = append(names, k)
	}
	for k := range docFormats {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func isUUIDFormat(s string) bool { return isUUID(s) }

func isIPv4(s string) bool {
	parts := 0
	for {
		i := strings.IndexByte(s, '.')
		part := s
		if i >= 0 {
			part = s[:i]
		}
		if len(part) == 0 || len(part) > 3 || len(part) > 1 && part[0] == '0' {
			return false
		}
		n := 0
		for j := 0; j < len(part); j++ {
			c := part[j]
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return false
		}
		parts++
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return parts == 4
}

func isIPv6(s string) bool {
	if !strings.Contains(s, ":") {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 {
		return false
	}
	for {
		i := strings.IndexByte(s, '.')
		label := s
		if i >= 0 {
			label = s[:i]
		}
		if len(label) < 1 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for j := 0; j < len(label); j++ {
			c := label[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		if i < 0 {
			return true
		}
		s = s[i+1:]
	}
}

// isEmail checks an addr-spec: a dot-atom or quoted local part of at most 64
// characters, and a hostname or bracketed IP literal domain.
func isEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 {
		return false
	}
	if len(local) > 1 && local[0] == '"' && local[len(local)-1] == '"' {
		q := local[1 : len(local)-1]
		if strings.ContainsAny(q, "\\\"") {
			return false
		}
	} else {
		// An empty local part is refused (the reference validator accepts
		// "@example.com"; see the README's list of deliberate differences).
		if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
			return false
		}
		for i := 0; i < len(local); i++ {
			c := local[i]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				continue
			}
			if strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", c) < 0 {
				return false
			}
		}
	}
	if len(domain) >= 2 && domain[0] == '[' && domain[len(domain)-1] == ']' {
		d := domain[1 : len(domain)-1]
		if rest, ok := strings.CutPrefix(d, "IPv6:"); ok {
			return isIPv6(rest)
		}
		return isIPv4(d)
	}
	return isHostname(domain)
}

func isDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func atoi2(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// isTime checks an RFC 3339 full-time: hh:mm:ss[.frac](Z|±hh:mm), with a
// leap second only at 23:59 UTC.
func isTime(s string) bool {
	if len(s) < 9 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, ok1 := atoi2(s[0:2])
	m, ok2 := atoi2(s[3:5])
	sec, ok3 := atoi2(s[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	s = s[8:]
	if len(s) > 0 && s[0] == '.' {
		i := 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		s = s[i:]
	}
	if s != "z" && s != "Z" {
		if len(s) != 6 || s[3] != ':' {
			return false
		}
		sign := 0
		switch s[0] {
		case '+':
			sign = -1
		case '-':
			sign = 1
		default:
			return false
		}
		zh, ok1 := atoi2(s[1:3])
		zm, ok2 := atoi2(s[4:6])
		if !ok1 || !ok2 || zh > 23 || zm > 59 {
			return false
		}
		hm := h*60 + m + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = (hm/60)%24, hm%60
	}
	if sec == 60 && (h != 23 || m != 59) {
		return false
	}
	return true
}

func isDateTime(s string) bool {
	if len(s) < 20 || s[10] != 'T' && s[10] != 't' {
		return false
	}
	return isDate(s[:10]) && isTime(s[11:])
}

func isURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if host := u.Hostname(); strings.Contains(host, ":") {
		if !strings.Contains(u.Host, "[") || !isIPv6(host) {
			return false
		}
	}
	return u.IsAbs()
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hex form (the router
// has its own copy for the uuid path converter).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
