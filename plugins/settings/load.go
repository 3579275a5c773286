package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/joho/godotenv"
)

// Option configures Load and Describe.
type Option func(*config)

type config struct {
	prefix   string
	envFiles []string
	// readEnv parses a .env file; only WithEnvFiles sets it, so a program
	// that reads no .env file does not link the parser (godotenv and the
	// regexp matchers it calls: 17 kB of hello's image).
	readEnv      func(path string) (map[string]string, error)
	secretsDir   string
	args         []string
	argsSet      bool
	rest         *[]string
	lookup       func(string) (string, bool)
	environ      func() []string
	allowUnknown bool
	name         string
}

// WithPrefix sets the prefix of derived variable names: with "APP_", a
// field DatabaseURL reads APP_DATABASE_URL. Variables in the environment
// (or a .env file) that start with the prefix but name no field are
// reported as errors, which catches typos (see WithUnknownAllowed).
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithEnvFiles reads variables from .env files (godotenv syntax: KEY=value,
// quotes, export, comments). A later file overrides an earlier one; the
// process environment overrides them all. A file that does not exist is
// skipped.
func WithEnvFiles(paths ...string) Option {
	return func(c *config) { c.envFiles, c.readEnv = append(c.envFiles, paths...), readEnvFile }
}

// WithSecretsDir reads a variable from the file of its name in dir (as
// Docker and Kubernetes mount secrets: /run/secrets/DATABASE_PASSWORD; the
// lower-case name is tried too). Trailing newlines are dropped. Secrets
// files rank below the environment and .env files.
func WithSecretsDir(dir string) Option { return func(c *config) { c.secretsDir = dir } }

// WithArgs parses command-line flags from args (usually os.Args[1:]); each
// field is a flag (see the package documentation), which overrides every
// other source. Parsing stops at the first argument that is not a flag;
// WithRemainingArgs receives the rest. Without WithArgs no flags are read.
func WithArgs(args []string) Option {
	return func(c *config) { c.args, c.argsSet = args, true }
}

// WithRemainingArgs stores the arguments left after the flags (a
// subcommand and its arguments) in dst.
func WithRemainingArgs(dst *[]string) Option { return func(c *config) { c.rest = dst } }

// WithEnviron replaces the process environment, for tests: env holds
// KEY=value pairs as os.Environ returns them.
func WithEnviron(env []string) Option {
	return func(c *config) {
		m := make(map[string]string, len(env))
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		c.lookup = func(k string) (string, bool) { v, ok := m[k]; return v, ok }
		c.environ = func() []string { return env }
	}
}

// WithUnknownAllowed turns off the report of unknown prefixed variables.
func WithUnknownAllowed() Option { return func(c *config) { c.allowUnknown = true } }

// WithName sets the program name flag errors and usage show.
func WithName(name string) Option { return func(c *config) { c.name = name } }

func newConfig(opts []Option) *config {
	c := &config{lookup: os.LookupEnv, environ: os.Environ, name: filepath.Base(os.Args[0])}
	for _, o := range opts {
		o(c)
	}
	return c
}

// found is a variable's text and where it came from.
type found struct {
	vals   []string
	source string
	raw    string
}

// Load returns a T filled from, highest precedence first: command-line flags
// (WithArgs), the environment, .env files (WithEnvFiles), a secrets
// directory (WithSecretsDir), and default tags. Values are parsed and
// validated with the tags of Covet's typed handlers. On failure the error is
// an *Error listing every bad, missing or unknown variable with its source;
// nothing is half-loaded. With -h or -help among the flags it returns an
// error that wraps flag.ErrHelp and shows the variables.
func Load[T any](opts ...Option) (*T, error) {
	cfg := newConfig(opts)
	p, err := planFor(reflect.TypeFor[T](), cfg.prefix)
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := p.load(cfg, reflect.ValueOf(out).Elem()); err != nil {
		return nil, err
	}
	if v, ok := any(out).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, &Error{Problems: []Problem{{Message: err.Error()}}}
		}
	}
	return out, nil
}

// MustLoad is Load that panics on error, for main functions with nothing
// better to do.
func MustLoad[T any](opts ...Option) *T {
	v, err := Load[T](opts...)
	if err != nil {
		panic(err)
	}
	return v
}

func (p *plan) load(cfg *config, dst reflect.Value) error {
	var problems []Problem
	got := make(map[*variable]found, len(p.vars))

	// Lowest first: secrets, .env files, environment, flags.
	if cfg.secretsDir != "" {
		ents, err := os.ReadDir(cfg.secretsDir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("settings: secrets directory: %w", err)
		}
		names := make(map[string]string, len(ents))
		for _, e := range ents {
			if !e.IsDir() {
				names[e.Name()] = e.Name()
			}
		}
		for _, v := range p.vars {
			if v.env == "" {
				continue
			}
			file, ok := names[v.env]
			if !ok {
				file, ok = names[strings.ToLower(v.env)]
			}
			if !ok {
				continue
			}
			path := filepath.Join(cfg.secretsDir, file)
			b, err := os.ReadFile(path) // #nosec G304 -- a secrets file the app's settings struct names (its tag), in the secrets directory the app configures
			if err != nil {
				problems = append(problems, Problem{Variable: v.env, Field: v.goPath, Source: "secrets file " + path, Message: err.Error()})
				continue
			}
			s := strings.TrimRight(string(b), "\r\n")
			got[v] = found{vals: v.split(s), source: "secrets file " + path, raw: s}
		}
	}
	for _, file := range cfg.envFiles {
		m, err := cfg.readEnv(file)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, Problem{Source: "file " + file, Message: err.Error()})
			}
			continue
		}
		src := "file " + file
		for k, s := range m {
			if v := p.byEnv[k]; v != nil {
				got[v] = found{vals: v.split(s), source: src, raw: s}
			} else if problem, bad := p.unknown(cfg, k, src); bad {
				problems = append(problems, problem)
			}
		}
	}
	for _, v := range p.vars {
		if v.env == "" {
			continue
		}
		if s, ok := cfg.lookup(v.env); ok {
			got[v] = found{vals: v.split(s), source: "environment", raw: s}
		}
	}
	if cfg.prefix != "" && !cfg.allowUnknown {
		for _, kv := range cfg.environ() {
			k, _, _ := strings.Cut(kv, "=")
			if problem, bad := p.unknown(cfg, k, "environment"); bad {
				problems = append(problems, problem)
			}
		}
	}
	if cfg.argsSet {
		if err := p.parseFlags(cfg, got); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			problems = append(problems, Problem{Source: "flags", Message: err.Error()})
		}
	}

	// Bind and validate through core.
	values := make(map[string][]string, len(got))
	for v, f := range got {
		values[v.key] = f.vals
	}
	mv := reflect.New(p.mirror)
	if err := bindMirror(mv.Interface(), values); err != nil {
		var ce *covet.Error
		if !errors.As(err, &ce) {
			return fmt.Errorf("settings: %w", err)
		}
		for _, fe := range ce.Errors {
			v := p.byKey[fe.Field]
			pr := Problem{Message: fe.Message}
			if v != nil {
				pr.Variable, pr.Field = v.display(), v.goPath
				if f, ok := got[v]; ok {
					pr.Source = f.source
					if !v.secret {
						pr.Value = redactCredentials(f.raw)
					}
				} else {
					pr.Source = "default"
					if fe.Message == "is required" {
						pr.Source = ""
						pr.Message = "is required (" + v.where() + ")"
					}
				}
			}
			problems = append(problems, pr)
		}
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return &Error{Problems: problems}
	}
	// Copy the mirror into the settings struct.
	m := mv.Elem()
	for i, v := range p.vars {
		src := m.Field(i)
		dstf := dst.FieldByIndex(v.index)
		switch v.url {
		case 0:
			dstf.Set(src)
		case 1, 2:
			s := src
			if v.url == 2 {
				if s.IsNil() {
					continue
				}
				s = s.Elem()
			}
			if s.String() == "" {
				continue
			}
			u, err := url.Parse(s.String())
			if err != nil { // format:"uri" passed, so this is rare
				// url.Parse's error quotes the whole URL, password
				// included: give only the reason.
				var ue *url.Error
				if errors.As(err, &ue) {
					err = ue.Err
				}
				problems = append(problems, Problem{Variable: v.display(), Field: v.goPath, Message: "is not a valid URL: " + err.Error()})
				continue
			}
			if v.url == 1 {
				dstf.Set(reflect.ValueOf(*u))
			} else {
				dstf.Set(reflect.ValueOf(u))
			}
		}
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// split turns a variable's text into values: a list is comma-separated
// (items trimmed, empty text is an empty list); empty text for anything
// but a string is no value (the default applies).
func (v *variable) split(s string) []string {
	if !v.list {
		if s == "" && !v.text {
			return []string{} // an empty number, bool or duration is unset
		}
		return []string{s}
	}
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func (v *variable) display() string {
	if v.env != "" {
		return v.env
	}
	return "-" + v.flag
}

func (v *variable) where() string {
	switch {
	case v.env != "" && v.flag != "":
		return "set " + v.env + " or -" + v.flag
	case v.env != "":
		return "set " + v.env
	}
	return "pass -" + v.flag
}

// unknown reports a prefixed name that is no variable of the plan.
func (p *plan) unknown(cfg *config, k, source string) (Problem, bool) {
	if cfg.prefix == "" || cfg.allowUnknown || !strings.HasPrefix(k, cfg.prefix) || p.byEnv[k] != nil {
		return Problem{}, false
	}
	msg := "is not a known variable"
	if best := p.closest(k); best != "" {
		msg += " (did you mean " + best + "?)"
	}
	return Problem{Variable: k, Source: source, Message: msg}, true
}

func (p *plan) closest(k string) string {
	best, bestD := "", 4
	for name := range p.byEnv {
		if d := distance(k, name); d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path) // #nosec G304 -- the .env file the app configures (WithEnvFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	m, err := godotenv.UnmarshalBytes(src)
	if err != nil {
		return nil, envFileError(src, err)
	}
	return m, nil
}

// envFileError describes godotenv's failure to parse src without its text:
// godotenv quotes the rest of the file ("near ...") or the rest of the
// line of an unterminated quote, which holds the values, secrets among
// them. It says the line instead.
func envFileError(src []byte, err error) error {
	text := strings.ReplaceAll(string(src), "\r\n", "\n") // as godotenv reads it
	msg := err.Error()
	line := func(off int) string {
		return "line " + strconv.Itoa(strings.Count(text[:off], "\n")+1) + ": "
	}
	switch {
	case strings.HasPrefix(msg, "unexpected character "):
		// unexpected character "c" in variable name near "rest of the file"
		where := ""
		if _, near, ok := strings.Cut(msg, " in variable name near "); ok {
			if rest, uerr := strconv.Unquote(near); uerr == nil && rest != "" && strings.HasSuffix(text, rest) {
				where = line(len(text) - len(rest))
			}
		}
		return errors.New("cannot be parsed: " + where + "a variable name holds a character other than letters, digits, '_' and '.' (the line is not shown: it may hold a secret)")
	case strings.HasPrefix(msg, "unterminated quoted value "):
		// unterminated quoted value 'the rest of the line
		where := ""
		if rest := strings.TrimPrefix(msg, "unterminated quoted value "); rest != "" {
			if i := strings.LastIndex(text, rest); i >= 0 {
				where = line(i)
			}
		}
		return errors.New("cannot be parsed: " + where + "a quoted value is not closed (the value is not shown: it may be a secret)")
	case msg == "zero length string":
		return errors.New("cannot be parsed: " + msg)
	}
	return errors.New("cannot be parsed (the error is not shown: it may quote a secret)")
}

// redactCredentials hides the password of a URL or DSN in a rejected value
// before it is echoed: "postgres://app:s3cret@db/app" reads
// "postgres://app:xxxxx@db/app", as url.URL.Redacted writes it, and so does
// a go-sql-driver DSN, "app:s3cret@tcp(db)/app". The value failed to parse,
// so this works on the text: everything between the first ':' after the
// scheme and the last '@' goes.
func redactCredentials(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndexByte(s[start:], '@')
	if at < 0 {
		return s
	}
	at += start
	colon := strings.IndexByte(s[start:at], ':')
	if colon < 0 {
		return s
	}
	colon += start
	return s[:colon+1] + "xxxxx" + s[at:]
}

// flagValue collects a flag's values.
type flagValue struct {
	v    *variable
	vals *[]string
	set  *bool
}

func (f flagValue) String() string { return "" }
func (f flagValue) Set(s string) error {
	if !*f.set {
		*f.vals = (*f.vals)[:0]
	}
	*f.set = true
	if f.v.list {
		*f.vals = append(*f.vals, f.v.split(s)...)
	} else {
		*f.vals = []string{s}
	}
	return nil
}
func (f flagValue) IsBoolFlag() bool { return f.v.boolean }

func (p *plan) parseFlags(cfg *config, got map[*variable]found) error {
	fset := flag.NewFlagSet(cfg.name, flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	type state struct {
		vals []string
		set  bool
	}
	states := make([]state, len(p.vars))
	for i, v := range p.vars {
		if v.flag == "" {
			continue
		}
		st := &states[i]
		fset.Var(flagValue{v: v, vals: &st.vals, set: &st.set}, v.flag, v.doc)
	}
	if err := fset.Parse(cfg.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			fmt.Fprintf(&b, "usage of %s:\n", cfg.name)
			_ = WriteTable(&b, p.describe())
			return fmt.Errorf("%w\n%s", flag.ErrHelp, b.String())
		}
		return err
	}
	if cfg.rest != nil {
		*cfg.rest = fset.Args()
	}
	for i, v := range p.vars {
		if st := states[i]; st.set {
			raw := strings.Join(st.vals, ",")
			got[v] = found{vals: st.vals, source: "flag -" + v.flag, raw: raw}
		}
	}
	return nil
}

func bindMirror(v any, values map[string][]string) error { return covet.BindValues(v, values) }

func isPlanError(err error) bool {
	var ce *covet.Error
	return !errors.As(err, &ce)
}

var mirrorField = regexp.MustCompile(`field F(\d+)`)

// unwrapPlanError names the settings field in core's message about the mirror.
func unwrapPlanError(err error, p *plan) error {
	inner := err
	if u := errors.Unwrap(err); u != nil {
		inner = u
	}
	msg := mirrorField.ReplaceAllStringFunc(inner.Error(), func(s string) string {
		n, _ := strconv.Atoi(s[len("field F"):])
		if n < len(p.vars) {
			return "field " + p.vars[n].goPath
		}
		return s
	})
	return errors.New(msg)
}
