package settings

import (
	"sort"
	"strconv"
	"strings"
)

// Error is Load's failure: every problem found, not just the first.
type Error struct {
	Problems []Problem
}

// Problem is one bad, missing or unknown variable.
type Problem struct {
	// Variable is the environment variable (or "-flag" for a flag-only
	// field); empty for a problem of the whole configuration.
	Variable string
	// Field is the Go field ("DB.Host"); empty for unknown variables.
	Field string
	// Source says where the value came from: "environment", "file .env",
	// "secrets file /run/secrets/X", "flag -port", "default", "flags".
	Source string
	// Message says what is wrong.
	Message string
	// Value is the rejected text; never set for secrets.
	Value string
}

// Error lists every problem, one per line:
//
//	settings: 2 problems:
//	  APP_PORT (environment): must be less than or equal to 65535, got "70000"
//	  APP_MODE: is required (set APP_MODE or -mode)
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("settings: ")
	if len(e.Problems) == 1 {
		b.WriteString("1 problem:")
	} else {
		b.WriteString(strconv.Itoa(len(e.Problems)) + " problems:")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// String formats one problem: `NAME (source): message, got "value"`.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Variable)
	if p.Source != "" {
		if p.Variable != "" {
			b.WriteByte(' ')
		}
		b.WriteString("(" + p.Source + ")")
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Value != "" {
		b.WriteString(", got " + strconv.Quote(p.Value))
	}
	return b.String()
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Variable < ps[j].Variable })
}
