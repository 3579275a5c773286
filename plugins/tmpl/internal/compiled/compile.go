// Package compiled is a compiled executor for escaped html/template
// templates: after html/template's escape pass has rewritten a template's
// parse tree (inserting its escaper calls), Compile walks that tree once
// and turns it into Go closures — text as byte slices, field chains
// resolved once per type, if/with/range/template/block, html/template's
// escapers called directly instead of through reflect.
//
// It only compiles what it can prove it executes exactly as html/template
// does; Compile refuses anything else (user functions, variables other
// than $, JavaScript/CSS contexts, break/continue…), and Execute gives up
// (reporting false, the buffer as it was) on any value it does not handle
// (methods, maps without the key, pointers and named types as values, nil
// pointers, errors of any kind): the caller then renders with html/template
// itself, which also produces html/template's exact error.
package compiled

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"reflect"
	"strconv"
	"sync/atomic"
	texttemplate "text/template"
	"text/template/parse"
	"unsafe"
)

// Program is one compiled template (with every template it calls).
type Program struct {
	root *code
}

// code is one compiled template; body is set after compilation, so
// recursive templates work.
type code struct {
	name string
	body exec
}

// state is one execution.
type state struct {
	b     *bytes.Buffer
	root  reflect.Value // $
	depth int
}

// exec runs a node; false means "give up, let html/template render".
type exec func(st *state, dot reflect.Value) bool

// eval evaluates a value; false means give up.
type eval func(st *state, dot reflect.Value) (reflect.Value, bool)

// maxDepth bounds template recursion; deeper, html/template renders (and
// reports its own error).
const maxDepth = 10000

// Compile compiles the template name of t, which must have been escaped
// already (executed once by html/template, whatever the outcome). funcs
// are the functions added to t (html/template does not tell them): one
// named like a builtin the executor implements (len, not) replaces it, so
// such a template is not compiled. The error says why a template cannot
// be compiled; the caller then keeps using html/template for it.
func Compile(t *template.Template, name string, funcs template.FuncMap) (*Program, error) {
	text := textOf(t)
	if text == nil {
		return nil, errors.New("compiled: this Go's html/template has no text template where expected")
	}
	c := &compiler{t: text, funcs: funcs, done: map[string]*code{}}
	root, err := c.template(name)
	if err != nil {
		return nil, err
	}
	return &Program{root: root}, nil
}

// textOf returns the text/template html/template executes, which holds
// the templates its escape pass derives for other contexts
// (`{{block "title"}}` inside <title> becomes
// "title$htmltemplate_stateRCDATA_elementTitle"); html/template's Lookup
// does not see those. It reads html/template's unexported field text,
// checked by name and type: on a Go whose html/template is laid out
// otherwise it returns nil and nothing is compiled.
func textOf(t *template.Template) *texttemplate.Template {
	f := reflect.ValueOf(t).Elem().FieldByName("text")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*texttemplate.Template]() {
		return nil
	}
	return *(**texttemplate.Template)(unsafe.Pointer(f.UnsafeAddr()))
}

type compiler struct {
	t     *texttemplate.Template
	funcs template.FuncMap
	done  map[string]*code
}

func (c *compiler) template(name string) (*code, error) {
	if cd, ok := c.done[name]; ok {
		return cd, nil
	}
	tt := c.t.Lookup(name)
	if tt == nil || tt.Tree == nil || tt.Tree.Root == nil {
		return nil, fmt.Errorf("compiled: no template %q", name)
	}
	cd := &code{name: name}
	c.done[name] = cd
	body, err := c.list(tt.Tree.Root)
	if err != nil {
		return nil, fmt.Errorf("compiled: %s: %w", name, err)
	}
	cd.body = body
	return cd, nil
}

func (c *compiler) list(l *parse.ListNode) (exec, error) {
	if l == nil {
		return func(*state, reflect.Value) bool { return true }, nil
	}
	var execs []exec
	for _, n := range l.Nodes {
		e, err := c.node(n)
		if err != nil {
			return nil, err
		}
		if e != nil {
			execs = append(execs, e)
		}
	}
	switch len(execs) {
	case 0:
		return func(*state, reflect.Value) bool { return true }, nil
	case 1:
		return execs[0], nil
	}
	return func(st *state, dot reflect.Value) bool {
		for _, e := range execs {
			if !e(st, dot) {
				return false
			}
		}
		return true
	}, nil
}

func (c *compiler) node(n parse.Node) (exec, error) {
	switch n := n.(type) {
	case *parse.TextNode:
		text := bytes.Clone(n.Text)
		return func(st *state, _ reflect.Value) bool {
			st.b.Write(text)
			return true
		}, nil
	case *parse.CommentNode:
		return nil, nil
	case *parse.ActionNode:
		return c.action(n)
	case *parse.IfNode:
		return c.ifWith(&n.BranchNode, false)
	case *parse.WithNode:
		return c.ifWith(&n.BranchNode, true)
	case *parse.RangeNode:
		return c.rangeNode(n)
	case *parse.TemplateNode:
		return c.templateNode(n)
	}
	return nil, fmt.Errorf("unsupported node %s", n)
}

// action compiles {{value | escaper…}}: every output of an escaped
// template ends in html/template's escapers.
func (c *compiler) action(n *parse.ActionNode) (exec, error) {
	p := n.Pipe
	if len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) < 2 {
		return nil, fmt.Errorf("unsupported action %s", n)
	}
	value, err := c.command(p.Cmds[0])
	if err != nil {
		return nil, err
	}
	var escs, all []escaper
	var first string
	var write func(*bytes.Buffer, string)
	for i, cmd := range p.Cmds[1:] {
		id, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok || len(cmd.Args) != 1 {
			return nil, fmt.Errorf("unsupported action %s", n)
		}
		esc, ok := escapers[id.Ident]
		if !ok {
			return nil, fmt.Errorf("unsupported function %s in %s", id.Ident, n)
		}
		if i == 0 {
			first = id.Ident
		}
		all = append(all, esc)
		if w := writers[id.Ident]; w != nil && i == len(p.Cmds)-2 {
			write = w
			break
		}
		escs = append(escs, esc)
	}
	if write == nil {
		write = func(b *bytes.Buffer, s string) { b.WriteString(s) }
	}
	return func(st *state, dot reflect.Value) bool {
		v, ok := value(st, dot)
		if !ok {
			return false
		}
		s, ct, ok := stringify(v)
		if !ok {
			return false
		}
		if ct != contentTypePlain {
			// A template.HTML, URL…: the first escaper treats it by its
			// type, the next ones get its plain-text output.
			if s, ok = typedEscape(first, s, ct); !ok {
				return false
			}
			for _, esc := range all[1:] {
				s = esc(s)
			}
			st.b.WriteString(s)
			return true
		}
		for _, esc := range escs {
			s = esc(s)
		}
		write(st.b, s)
		return true
	}, nil
}

// pipeline compiles the one-command pipeline of if, with, range and
// template, with text/template's unwrapping of an empty interface.
func (c *compiler) pipeline(p *parse.PipeNode) (eval, error) {
	if p == nil {
		return func(*state, reflect.Value) (reflect.Value, bool) { return reflect.Value{}, true }, nil
	}
	if len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) != 1 {
		return nil, fmt.Errorf("unsupported pipeline %s", p)
	}
	value, err := c.command(p.Cmds[0])
	if err != nil {
		return nil, err
	}
	return func(st *state, dot reflect.Value) (reflect.Value, bool) {
		v, ok := value(st, dot)
		if ok && v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
			if v.IsNil() {
				v = reflect.Value{}
			} else {
				v = v.Elem()
			}
		}
		return v, ok
	}, nil
}

// command compiles a value: a field chain, dot, $ with fields, a string
// or bool constant, len X or not X.
func (c *compiler) command(cmd *parse.CommandNode) (eval, error) {
	switch n := cmd.Args[0].(type) {
	case *parse.IdentifierNode:
		if len(cmd.Args) != 2 || (n.Ident != "len" && n.Ident != "not") || !c.builtin(n.Ident) {
			return nil, fmt.Errorf("unsupported command %s", cmd)
		}
		arg, err := c.arg(cmd.Args[1])
		if err != nil {
			return nil, err
		}
		if n.Ident == "not" {
			return func(st *state, dot reflect.Value) (reflect.Value, bool) {
				v, ok := arg(st, dot)
				if !ok {
					return v, false
				}
				t, _ := isTrue(indirectInterface(v))
				return reflect.ValueOf(!t), true
			}, nil
		}
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			v, ok := arg(st, dot)
			if !ok {
				return v, false
			}
			v, isNil := indirect(v)
			if isNil {
				return v, false
			}
			switch v.Kind() {
			case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
				return reflect.ValueOf(v.Len()), true
			}
			return v, false
		}, nil
	}
	if len(cmd.Args) != 1 {
		return nil, fmt.Errorf("unsupported command %s", cmd)
	}
	return c.arg(cmd.Args[0])
}

// builtin reports whether name still means text/template's builtin, not
// a function of the same name added to the template.
func (c *compiler) builtin(name string) bool {
	_, user := c.funcs[name]
	return !user
}

func (c *compiler) arg(n parse.Node) (eval, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return func(_ *state, dot reflect.Value) (reflect.Value, bool) { return dot, true }, nil
	case *parse.FieldNode:
		chain := fieldChain(n.Ident)
		return func(_ *state, dot reflect.Value) (reflect.Value, bool) { return chain(dot) }, nil
	case *parse.VariableNode:
		if n.Ident[0] != "$" {
			return nil, fmt.Errorf("unsupported variable %s", n)
		}
		if len(n.Ident) == 1 {
			return func(st *state, _ reflect.Value) (reflect.Value, bool) { return st.root, true }, nil
		}
		chain := fieldChain(n.Ident[1:])
		return func(st *state, _ reflect.Value) (reflect.Value, bool) { return chain(st.root) }, nil
	case *parse.StringNode:
		v := reflect.ValueOf(n.Text)
		return func(*state, reflect.Value) (reflect.Value, bool) { return v, true }, nil
	case *parse.BoolNode:
		v := reflect.ValueOf(n.True)
		return func(*state, reflect.Value) (reflect.Value, bool) { return v, true }, nil
	}
	return nil, fmt.Errorf("unsupported argument %s", n)
}

func (c *compiler) ifWith(b *parse.BranchNode, with bool) (exec, error) {
	cond, err := c.pipeline(b.Pipe)
	if err != nil {
		return nil, err
	}
	list, err := c.list(b.List)
	if err != nil {
		return nil, err
	}
	elseList, err := c.list(b.ElseList)
	if err != nil {
		return nil, err
	}
	return func(st *state, dot reflect.Value) bool {
		v, ok := cond(st, dot)
		if !ok {
			return false
		}
		truth, ok := isTrue(indirectInterface(v))
		if !ok {
			return false
		}
		if truth {
			if with {
				return list(st, v)
			}
			return list(st, dot)
		}
		return elseList(st, dot)
	}, nil
}

func (c *compiler) rangeNode(n *parse.RangeNode) (exec, error) {
	if containsBreakOrContinue(n.List) {
		return nil, errors.New("unsupported break/continue in range")
	}
	over, err := c.pipeline(n.Pipe)
	if err != nil {
		return nil, err
	}
	list, err := c.list(n.List)
	if err != nil {
		return nil, err
	}
	elseList, err := c.list(n.ElseList)
	if err != nil {
		return nil, err
	}
	return func(st *state, dot reflect.Value) bool {
		v, ok := over(st, dot)
		if !ok {
			return false
		}
		v, _ = indirect(v)
		switch v.Kind() {
		case reflect.Array, reflect.Slice:
			if v.Len() == 0 {
				break
			}
			for i := 0; i < v.Len(); i++ {
				if !list(st, v.Index(i)) {
					return false
				}
			}
			return true
		case reflect.Invalid:
			// Like text/template: nothing to range over, not an error.
		default:
			return false
		}
		return elseList(st, dot)
	}, nil
}

func containsBreakOrContinue(l *parse.ListNode) bool {
	if l == nil {
		return false
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.BreakNode, *parse.ContinueNode:
			return true
		case *parse.IfNode:
			if containsBreakOrContinue(n.List) || containsBreakOrContinue(n.ElseList) {
				return true
			}
		case *parse.WithNode:
			if containsBreakOrContinue(n.List) || containsBreakOrContinue(n.ElseList) {
				return true
			}
		}
	}
	return false
}

func (c *compiler) templateNode(n *parse.TemplateNode) (exec, error) {
	arg, err := c.pipeline(n.Pipe)
	if err != nil {
		return nil, err
	}
	cd, err := c.template(n.Name)
	if err != nil {
		return nil, err
	}
	return func(st *state, dot reflect.Value) bool {
		v, ok := arg(st, dot)
		if !ok || st.depth >= maxDepth {
			return false
		}
		root := st.root
		st.root = v
		st.depth++
		ok = cd.body(st, v)
		st.depth--
		st.root = root
		return ok
	}, nil
}

// Execute renders the program with data at the end of b. It reports false
// when it gave up (a value or an error it leaves to html/template); b is
// then as it was, and the caller renders with html/template.
func (p *Program) Execute(b *bytes.Buffer, data any) (ok bool) {
	if _, isValue := data.(reflect.Value); isValue {
		return false // text/template would execute the reflect.Value itself
	}
	v := reflect.ValueOf(data)
	n := b.Len()
	defer func() {
		// No path is known to panic; should reflect disagree, give up
		// and let html/template render (and report) it.
		if recover() != nil {
			ok = false
		}
		if !ok {
			b.Truncate(n)
		}
	}()
	st := state{b: b, root: v}
	return p.root.body(&st, v)
}

// fieldChain evaluates .A.B.C like text/template's evalFieldChain, for
// struct fields and map keys only: a method of that name anywhere, a
// missing key, a nil pointer or an unexported field gives up.
func fieldChain(idents []string) func(reflect.Value) (reflect.Value, bool) {
	steps := make([]*fieldStep, len(idents))
	for i, id := range idents {
		steps[i] = &fieldStep{name: id, key: reflect.ValueOf(id)}
	}
	if len(steps) == 1 {
		return steps[0].eval
	}
	return func(v reflect.Value) (reflect.Value, bool) {
		for _, s := range steps {
			var ok bool
			if v, ok = s.eval(v); !ok {
				return v, false
			}
		}
		return v, true
	}
}

// fieldStep is one .Name with its resolution cached for the last type
// seen.
type fieldStep struct {
	name  string
	key   reflect.Value
	cache atomic.Pointer[resolved]
}

type resolved struct {
	typ   reflect.Type
	index []int // struct field; nil for a map key
	ok    bool  // false: give up for this type
}

var stringType = reflect.TypeFor[string]()

func (s *fieldStep) eval(v reflect.Value) (reflect.Value, bool) {
	if !v.IsValid() {
		return v, false
	}
	v, isNil := indirect(v)
	if isNil {
		return v, false
	}
	t := v.Type()
	r := s.cache.Load()
	if r == nil || r.typ != t {
		r = resolve(t, s.name)
		s.cache.Store(r)
	}
	if !r.ok {
		return v, false
	}
	if r.index == nil {
		f := v.MapIndex(s.key)
		return f, f.IsValid()
	}
	if len(r.index) == 1 {
		return v.Field(r.index[0]), true
	}
	f, err := v.FieldByIndexErr(r.index)
	return f, err == nil
}

func resolve(t reflect.Type, name string) *resolved {
	r := &resolved{typ: t}
	if t.Kind() == reflect.Interface {
		return r
	}
	// text/template looks for a method first, on *T when the value is
	// addressable: any method of that name on T or *T gives up.
	if _, ok := reflect.PointerTo(t).MethodByName(name); ok {
		return r
	}
	if _, ok := t.MethodByName(name); ok {
		return r
	}
	switch t.Kind() {
	case reflect.Struct:
		f, ok := t.FieldByName(name)
		if !ok || !f.IsExported() {
			return r
		}
		r.index, r.ok = f.Index, true
	case reflect.Map:
		if t.Key() == stringType {
			r.ok = true
		}
	}
	return r
}

// stringify is html/template's stringify for the values the escapers
// here handle: a string, bool or integer of a predeclared type, nil (""),
// one of html/template's content types (template.HTML, URL…), or an
// interface holding one. Anything else gives up.
func stringify(v reflect.Value) (string, contentType, bool) {
	for {
		if !v.IsValid() {
			return "", contentTypePlain, true
		}
		if v.Kind() != reflect.Interface {
			break
		}
		if v.IsNil() {
			return "", contentTypePlain, true
		}
		v = v.Elem()
	}
	t := v.Type()
	if t == stringType {
		return v.String(), contentTypePlain, true
	}
	if v.Kind() == reflect.String {
		if ct, ok := contentTypes[t]; ok { // html/template's types are strings
			return v.String(), ct, true
		}
	}
	if t.PkgPath() != "" || t.Name() == "" {
		return "", 0, false // other named types (maybe Stringers), composites
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), contentTypePlain, true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), contentTypePlain, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), contentTypePlain, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10), contentTypePlain, true
	}
	return "", 0, false
}

// indirect is text/template's.
func indirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

// indirectInterface is text/template's.
func indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

// isTrue is text/template's.
func isTrue(val reflect.Value) (truth, ok bool) {
	if !val.IsValid() {
		return false, true
	}
	switch val.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		truth = val.Len() > 0
	case reflect.Bool:
		truth = val.Bool()
	case reflect.Complex64, reflect.Complex128:
		truth = val.Complex() != 0
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		truth = !val.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		truth = val.Int() != 0
	case reflect.Float32, reflect.Float64:
		truth = val.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		truth = val.Uint() != 0
	case reflect.Struct:
		truth = true
	default:
		return
	}
	return truth, true
}
