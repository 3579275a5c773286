package settings

import (
	"encoding"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
)

// plan is the compiled form of a settings struct type with a prefix: its
// variables and the mirror struct core binds them into.
type plan struct {
	vars   []*variable
	mirror reflect.Type
	byEnv  map[string]*variable
	byKey  map[string]*variable
	prefix string
}

// variable is one leaf field of the settings struct.
type variable struct {
	index    []int        // into the settings struct
	goPath   string       // "DB.Host"
	key      string       // the mirror's query name (the Go path)
	env      string       // "" when env:"-"
	flag     string       // "" when flag:"-"
	t        reflect.Type // the field's type
	url      int          // 1: url.URL, 2: *url.URL (bound as text)
	secret   bool
	list     bool
	boolean  bool
	text     bool // string-like: empty text is a value
	required bool
	def      string
	hasDef   bool
	doc      string
	tag      reflect.StructTag
}

var (
	secretType   = reflect.TypeFor[Secret]()
	urlType      = reflect.TypeFor[url.URL]()
	urlPtrType   = reflect.TypeFor[*url.URL]()
	timeType     = reflect.TypeFor[time.Time]()
	textUnmarshT = reflect.TypeFor[encoding.TextUnmarshaler]()
)

type planKey struct {
	t      reflect.Type
	prefix string
}

var plans sync.Map // planKey → *plan

func planFor(t reflect.Type, prefix string) (*plan, error) {
	k := planKey{t, prefix}
	if p, ok := plans.Load(k); ok {
		return p.(*plan), nil
	}
	p, err := compile(t, prefix)
	if err != nil {
		return nil, err
	}
	plans.Store(k, p)
	return p, nil
}

func compile(t reflect.Type, prefix string) (*plan, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("settings: %s is not a struct", t)
	}
	p := &plan{byEnv: map[string]*variable{}, byKey: map[string]*variable{}, prefix: prefix}
	if err := p.walk(t, nil, "", nil); err != nil {
		return nil, err
	}
	flags := map[string]string{}
	var fields []reflect.StructField
	for i, v := range p.vars {
		if v.env != "" {
			if other, dup := p.byEnv[v.env]; dup {
				return nil, fmt.Errorf("settings: fields %s and %s both read variable %s", other.goPath, v.goPath, v.env)
			}
			p.byEnv[v.env] = v
		}
		if v.flag != "" {
			if other, dup := flags[v.flag]; dup {
				return nil, fmt.Errorf("settings: fields %s and %s both read flag -%s", other, v.goPath, v.flag)
			}
			flags[v.flag] = v.goPath
		}
		p.byKey[v.key] = v
		ft := v.t
		tag := string(v.tag)
		switch v.url {
		case 1:
			ft = reflect.TypeFor[string]()
		case 2:
			ft = reflect.TypeFor[*string]()
		}
		if v.url != 0 {
			if _, ok := v.tag.Lookup("format"); !ok {
				tag += ` format:"uri"`
			}
		}
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("F%d", i),
			Type: ft,
			Tag:  reflect.StructTag(fmt.Sprintf("query:%q %s", v.key, tag)),
		})
	}
	p.mirror = reflect.StructOf(fields)
	// Let core compile the rules now: a misspelled tag, a default that
	// breaks its own constraints or a type it cannot parse fails here.
	if err := bindMirror(reflect.New(p.mirror).Interface(), nil); err != nil && isPlanError(err) {
		return nil, fmt.Errorf("settings: %s: %w", t, unwrapPlanError(err, p))
	}
	return p, nil
}

func (p *plan) walk(t reflect.Type, index []int, goPrefix string, envSeg []string) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		goPath := goPrefix + sf.Name
		envTag, hasEnv := sf.Tag.Lookup("env")
		ft := sf.Type
		if ft.Kind() == reflect.Struct && ft != timeType && ft != urlType && !reflect.PointerTo(ft).Implements(textUnmarshT) {
			seg := snake(sf.Name)
			if hasEnv && envTag != "" && envTag != "-" {
				seg = envTag
			}
			if err := p.walk(ft, idx, goPath+".", append(append([]string(nil), envSeg...), seg)); err != nil {
				return err
			}
			continue
		}
		v := &variable{index: idx, goPath: goPath, key: goPath, t: ft, tag: sf.Tag}
		name := strings.Join(append(append([]string(nil), envSeg...), snake(sf.Name)), "_")
		switch {
		case envTag == "-":
		case hasEnv && envTag != "":
			v.env = envTag
		default:
			v.env = p.prefix + name
		}
		flagTag, hasFlag := sf.Tag.Lookup("flag")
		switch {
		case flagTag == "-":
		case hasFlag && flagTag != "":
			v.flag = flagTag
		default:
			v.flag = strings.ReplaceAll(strings.ToLower(name), "_", "-")
		}
		switch ft {
		case urlType:
			v.url = 1
		case urlPtrType:
			v.url = 2
		}
		base := ft
		for base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		v.list = base.Kind() == reflect.Slice && base.Elem().Kind() != reflect.Uint8
		v.boolean = base.Kind() == reflect.Bool
		elem := base
		if v.list {
			elem = base.Elem()
		}
		v.secret = elem == secretType
		v.text = elem.Kind() == reflect.String || v.url != 0
		if s, ok := sf.Tag.Lookup("secret"); ok {
			switch s {
			case "true":
				if !v.secret {
					return fmt.Errorf("settings: field %s: secret:\"true\" needs type settings.Secret (or []settings.Secret), which never prints, not %s", goPath, ft)
				}
			case "false":
				if v.secret {
					return fmt.Errorf("settings: field %s: a settings.Secret is always secret", goPath)
				}
			default:
				return fmt.Errorf("settings: field %s: secret must be \"true\" or \"false\", not %q", goPath, s)
			}
		}
		v.required = sf.Tag.Get("required") == "true"
		v.def, v.hasDef = sf.Tag.Lookup("default")
		v.doc = sf.Tag.Get("doc")
		p.vars = append(p.vars, v)
	}
	return nil
}

// snake turns a Go field name into UPPER_SNAKE_CASE: DatabaseURL →
// DATABASE_URL, HTTPPort → HTTP_PORT, OAuth2Secret → O_AUTH2_SECRET.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}
