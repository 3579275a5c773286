package settings

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"
)

// Variable describes one setting, for the table an app prints with its
// settings command and for documentation.
type Variable struct {
	// Env is the environment variable ("" for a flag-only field).
	Env string
	// Flag is the command-line flag without its dash ("" when none).
	Flag string
	// Field is the Go field ("DB.Host").
	Field string
	// Type is the value's type as a user writes it: "string", "integer",
	// "duration", "URL", "list of string", ...
	Type string
	// Default is the default tag's text (empty when none; never shown for
	// secrets).
	Default string
	// Required is set by required:"true".
	Required bool
	// Secret fields are settings.Secret.
	Secret bool
	// Rules summarises the constraint tags ("1 ≤ n ≤ 65535", "one of: a, b").
	Rules string
	// Doc is the doc tag.
	Doc string
}

// Describe returns the variables T reads with the given options (the prefix
// matters; other options are ignored).
func Describe[T any](opts ...Option) ([]Variable, error) {
	cfg := newConfig(opts)
	p, err := planFor(reflect.TypeFor[T](), cfg.prefix)
	if err != nil {
		return nil, err
	}
	return p.describe(), nil
}

func (p *plan) describe() []Variable {
	out := make([]Variable, 0, len(p.vars))
	for _, v := range p.vars {
		d := Variable{Env: v.env, Flag: v.flag, Field: v.goPath, Type: typeName(v.t), Required: v.required, Secret: v.secret, Doc: v.doc, Rules: rules(v.tag)}
		if v.hasDef && !v.secret {
			d.Default = v.def
		}
		out = append(out, d)
	}
	return out
}

func typeName(t reflect.Type) string {
	switch t {
	case urlType, urlPtrType:
		return "URL"
	case secretType:
		return "secret"
	case timeType:
		return "time (RFC 3339)"
	case reflect.TypeFor[time.Duration]():
		return "duration"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}

func rules(tag reflect.StructTag) string {
	var parts []string
	lo, hasLo := tag.Lookup("minimum")
	hi, hasHi := tag.Lookup("maximum")
	switch {
	case hasLo && hasHi:
		parts = append(parts, lo+" to "+hi)
	case hasLo:
		parts = append(parts, "≥ "+lo)
	case hasHi:
		parts = append(parts, "≤ "+hi)
	}
	if e, ok := tag.Lookup("enum"); ok {
		parts = append(parts, "one of: "+strings.ReplaceAll(e, ",", ", "))
	}
	if f, ok := tag.Lookup("format"); ok {
		parts = append(parts, "format "+f)
	}
	if p, ok := tag.Lookup("pattern"); ok {
		parts = append(parts, "pattern "+p)
	}
	if n, ok := tag.Lookup("minLength"); ok && n == "1" {
		parts = append(parts, "not empty")
	} else if ok {
		parts = append(parts, "at least "+n+" characters")
	}
	if n, ok := tag.Lookup("maxLength"); ok {
		parts = append(parts, "at most "+n+" characters")
	}
	return strings.Join(parts, "; ")
}

// WriteTable writes vars as an aligned text table (variable, flag, type,
// default, doc), for a program's settings command or -help.
func WriteTable(w io.Writer, vars []Variable) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tFLAG\tTYPE\tDEFAULT\tDESCRIPTION")
	for _, v := range vars {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", orDash(v.Env), flagName(v.Flag), v.Type, defaultText(v), describeText(v))
	}
	return tw.Flush()
}

// WriteMarkdown writes vars as a Markdown table, for a README.
func WriteMarkdown(w io.Writer, vars []Variable) error {
	var b strings.Builder
	b.WriteString("| variable | flag | type | default | description |\n|---|---|---|---|---|\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code(v.Env), code(flagName(v.Flag)), v.Type, code(defaultText(v)), strings.ReplaceAll(describeText(v), "|", `\|`))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func code(s string) string {
	if s == "" || s == "-" {
		return "–"
	}
	return "`" + s + "`"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func flagName(f string) string {
	if f == "" {
		return "-"
	}
	return "-" + f
}

func defaultText(v Variable) string {
	switch {
	case v.Required:
		return "(required)"
	case v.Secret:
		return ""
	}
	return v.Default
}

func describeText(v Variable) string {
	s := v.Doc
	if v.Rules != "" {
		if s != "" {
			s += " "
		}
		s += "(" + v.Rules + ")"
	}
	if v.Secret {
		if s != "" {
			s += " "
		}
		s += "[secret]"
	}
	return s
}

// Command runs a program's settings subcommand: when args[0] is
// "settings", it prints T's variables to w (as a Markdown table with
// -markdown) and reports ran. Call it before Load, so that the table shows
// even when the configuration is bad:
//
//	if ran, err := settings.Command[Config](os.Args[1:], os.Stdout, opts...); ran { ... }
func Command[T any](args []string, w io.Writer, opts ...Option) (ran bool, err error) {
	if len(args) == 0 || args[0] != "settings" {
		return false, nil
	}
	vars, err := Describe[T](opts...)
	if err != nil {
		return true, err
	}
	for _, a := range args[1:] {
		switch a {
		case "-markdown", "--markdown":
			return true, WriteMarkdown(w, vars)
		default:
			return true, fmt.Errorf("settings: unknown argument %q (usage: settings [-markdown])", a)
		}
	}
	return true, WriteTable(w, vars)
}
