package tmpl

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl/internal/compiled"
)

// Engine is the template plugin: it parses the templates of an fs.FS once
// and renders them. Install it with app.Install; parsing happens there, and
// a template that fails to parse makes Install (and so start-up) fail with
// the file and line.
//
// Layout: files under the shared directories ("layouts", "partials",
// "components") are templates every page can call by their path without
// extension ({{template "partials/task" .}}); the blocks they define are
// visible to every page. Every other file is a page, rendered by its path
// without extension ("tasks/index"). A page that only defines blocks
// ({{define "content"}}…{{end}}) is rendered in the default layout
// ("layouts/base"), whose {{block "content" .}} it fills; a page with
// content of its own is rendered as it is.
type Engine struct {
	cfg  config
	fsys fs.FS
	app  *covet.App
	dev  bool

	set    atomic.Pointer[templateSet]
	reload sync.Mutex
	// failed remembers the signature and error of a failed reparse in
	// development, so a broken file is parsed once, not on every request.
	failedSig string
	failedErr error
}

// templateSet is one parse of all templates.
type templateSet struct {
	pages map[string]*page
	files map[string]string // template name -> file path
	sig   string
}

// page is one page: a master template set, never executed (html/template
// cannot clone an executed set), and a free list of executable clones whose
// per-request functions read the slot's current request.
type page struct {
	name   string
	file   string
	root   string // the template executed for the whole page
	master *template.Template
	e      *Engine
	files  map[string]string

	mu   sync.Mutex
	free []*slot
	// progs are the compiled programs by template executed (the page's
	// root or a block); nil for a template the executor does not
	// support. Read under mu.
	progs map[string]*program
}

// slot is one executable clone of a page; one render uses it at a time.
type slot struct {
	t   *template.Template
	req request
}

// request is what per-request template functions see.
type request struct {
	c *covet.Context
	e *Engine
}

// New returns an engine for the templates in fsys (an embed.FS in
// production, os.DirFS or covet.Dir in development). Install it on the app.
func New(fsys fs.FS, opts ...Option) *Engine {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Engine{cfg: cfg, fsys: fsys}
}

// Name returns "tmpl".
func (e *Engine) Name() string { return "tmpl" }

// Install parses every template. A parse error (file:line) is returned and
// the engine is not installed.
func (e *Engine) Install(app *covet.App) error {
	if e.cfg.flashKeys != nil && len(e.cfg.flashKeys) == 0 {
		return errors.New("tmpl: WithFlashKeys: no key")
	}
	for i, k := range e.cfg.flashKeys {
		if len(k) < MinFlashKey {
			return fmt.Errorf("tmpl: WithFlashKey: key %d of %d bytes; at least %d are required", i, len(k), MinFlashKey)
		}
	}
	if e.cfg.flashKeys == nil {
		// No key: a random one of this engine, so flashes do not survive a
		// restart or cross instances (WithFlashKey).
		k := make([]byte, MinFlashKey)
		if _, err := rand.Read(k); err != nil {
			return fmt.Errorf("tmpl: flash key: %w", err)
		}
		e.cfg.flashKeys = [][]byte{k}
	}
	e.app = app
	e.dev = app.Development()
	if e.cfg.dev != nil {
		e.dev = *e.cfg.dev
	}
	s, err := e.parse()
	if err != nil {
		return err
	}
	e.set.Store(s)
	e.installVendor(app)
	return nil
}

var _ covet.Plugin = (*Engine)(nil)

// Development reports whether templates are re-parsed on change.
func (e *Engine) Development() bool { return e.dev }

// current returns the template set, re-parsing it first in development
// when a file changed.
func (e *Engine) current() (*templateSet, error) {
	s := e.set.Load()
	if s == nil {
		return nil, errors.New("tmpl: the engine is not installed (app.Install(engine))")
	}
	if !e.dev {
		return s, nil
	}
	sig, err := e.signature()
	if err != nil {
		return nil, err
	}
	if sig == s.sig {
		return s, nil
	}
	e.reload.Lock()
	defer e.reload.Unlock()
	if s = e.set.Load(); s.sig == sig {
		return s, nil
	}
	if e.failedSig == sig {
		return nil, e.failedErr
	}
	ns, err := e.parse()
	if err != nil {
		e.failedSig, e.failedErr = sig, err
		return nil, err
	}
	e.failedSig, e.failedErr = "", nil
	e.set.Store(ns)
	return ns, nil
}

func (e *Engine) isTemplate(p string) bool {
	return slices.Contains(e.cfg.exts, path.Ext(p))
}

func (e *Engine) isShared(p string) bool {
	for _, d := range e.cfg.shared {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// signature describes every template file by name, size and time, to see
// changes in development.
func (e *Engine) signature() (string, error) {
	var b strings.Builder
	err := fs.WalkDir(e.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !e.isTemplate(p) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p)
		b.WriteByte(0)
		b.WriteString(strconv.FormatInt(info.Size(), 10))
		b.WriteByte(0)
		b.WriteString(strconv.FormatInt(info.ModTime().UnixNano(), 10))
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("tmpl: reading templates: %w", err)
	}
	return b.String(), nil
}

func trimExt(p string) string { return strings.TrimSuffix(p, path.Ext(p)) }

// parse reads and parses every template.
func (e *Engine) parse() (*templateSet, error) {
	sig, err := e.signature()
	if err != nil {
		return nil, err
	}
	var shared, pages []string
	err = fs.WalkDir(e.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !e.isTemplate(p) {
			return nil
		}
		if e.isShared(p) {
			shared = append(shared, p)
		} else {
			pages = append(pages, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tmpl: reading templates: %w", err)
	}
	sort.Strings(shared)
	sort.Strings(pages)
	files := map[string]string{}
	common := template.New("").Option("missingkey=error").Funcs(e.parseFuncs())
	for _, f := range shared {
		src, err := fs.ReadFile(e.fsys, f)
		if err != nil {
			return nil, fmt.Errorf("tmpl: %w", err)
		}
		name := trimExt(f)
		files[name] = f
		if _, err := common.New(name).Parse(string(src)); err != nil {
			return nil, templateError(err, files)
		}
	}
	s := &templateSet{pages: map[string]*page{}, files: files, sig: sig}
	for _, f := range pages {
		src, err := fs.ReadFile(e.fsys, f)
		if err != nil {
			return nil, fmt.Errorf("tmpl: %w", err)
		}
		name := trimExt(f)
		if _, dup := s.pages[name]; dup {
			return nil, fmt.Errorf("tmpl: %s: a page named %q exists already (two extensions?)", f, name)
		}
		files[name] = f
		t, err := common.Clone()
		if err != nil {
			return nil, fmt.Errorf("tmpl: %s: %w", f, err)
		}
		if _, err := t.New(name).Parse(string(src)); err != nil {
			return nil, templateError(err, files)
		}
		p := &page{name: name, file: f, root: name, master: t, e: e, files: files}
		if own := t.Lookup(name); own == nil || own.Tree == nil || parse.IsEmptyTree(own.Tree.Root) {
			if e.cfg.layout == "" || t.Lookup(e.cfg.layout) == nil {
				return nil, fmt.Errorf("tmpl: %s: the page only defines blocks and there is no layout %q to render them in", f, e.cfg.layout)
			}
			p.root = e.cfg.layout
		}
		// Escape now, so a template that calls one that does not exist or
		// breaks html/template's contextual escaping fails at start-up.
		sl, err := p.newSlot()
		if err != nil {
			return nil, err
		}
		if err := sl.t.ExecuteTemplate(io.Discard, p.root, nil); err != nil {
			var te *template.Error
			if errors.As(err, &te) {
				return nil, templateError(err, files)
			}
		}
		p.compile(sl, p.root)
		p.free = append(p.free, sl)
		s.pages[name] = p
	}
	return s, nil
}

// newSlot clones the page's master and binds its per-request functions.
func (p *page) newSlot() (*slot, error) {
	t, err := p.master.Clone()
	if err != nil {
		return nil, fmt.Errorf("tmpl: %s: %w", p.file, err)
	}
	sl := &slot{t: t}
	sl.req.e = p.e
	t.Funcs(p.e.requestFuncs(&sl.req))
	return sl, nil
}

// compile compiles the template target of the slot, which html/template
// has just escaped, unless done already or the engine renders
// interpreted.
func (p *page) compile(sl *slot, target string) {
	if p.e.cfg.interpreted {
		return
	}
	p.mu.Lock()
	_, done := p.progs[target]
	p.mu.Unlock()
	if done {
		return
	}
	var prog *program
	if cp, err := compiled.Compile(sl.t, target, p.e.parseFuncs()); err == nil {
		prog = &program{Program: cp}
	} // else html/template renders it
	p.mu.Lock()
	if p.progs == nil {
		p.progs = map[string]*program{}
	}
	p.progs[target] = prog
	p.mu.Unlock()
}

// program returns the compiled program for target, or nil.
func (p *page) program(target string) *program {
	if p.e.cfg.interpreted {
		return nil
	}
	p.mu.Lock()
	prog := p.progs[target]
	p.mu.Unlock()
	if prog == nil || prog.off.Load() {
		return nil
	}
	return prog
}

// program is a compiled template with its record of give-ups: one that
// gives up maxGiveUps times in a row (its data always holds a value it
// leaves to html/template) is turned off, so such a page does not pay
// for a wasted attempt on every render.
type program struct {
	*compiled.Program
	giveUps atomic.Int32
	off     atomic.Bool
}

const maxGiveUps = 16

// execute runs the program into buf and records the outcome.
func (pr *program) execute(buf *bytes.Buffer, data any) bool {
	if pr.Execute(buf, data) {
		if pr.giveUps.Load() != 0 {
			pr.giveUps.Store(0)
		}
		return true
	}
	if pr.giveUps.Add(1) >= maxGiveUps {
		pr.off.Store(true)
	}
	return false
}

func (p *page) get() (*slot, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		sl := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return sl, nil
	}
	p.mu.Unlock()
	return p.newSlot()
}

func (p *page) put(sl *slot) {
	sl.req.c = nil
	p.mu.Lock()
	p.free = append(p.free, sl)
	p.mu.Unlock()
}

// Error is a template error with the file and line it comes from.
type Error struct {
	// File is the template file ("tasks/index.html"), when known.
	File string
	// Line is the line in File, or 0.
	Line int
	// Err is html/template's error.
	Err error
}

// Error returns "tmpl: file:line: message".
func (e *Error) Error() string {
	msg := e.Err.Error()
	if m := tmplErrRe.FindStringSubmatch(msg); m != nil {
		msg = m[4]
	}
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("tmpl: %s:%d: %s", e.File, e.Line, msg)
	case e.File != "":
		return fmt.Sprintf("tmpl: %s: %s", e.File, msg)
	}
	return "tmpl: " + msg
}

// Unwrap returns html/template's error.
func (e *Error) Unwrap() error { return e.Err }

// template: NAME:LINE[:COL]: MESSAGE (text/template and html/template).
var tmplErrRe = regexp.MustCompile(`^(?:html/)?template: ?([^:]+):(\d+):(?:(\d+):)? ?(.*)$`)

func templateError(err error, files map[string]string) *Error {
	te := &Error{Err: err}
	if m := tmplErrRe.FindStringSubmatch(err.Error()); m != nil {
		te.File = fileOf(m[1], files)
		te.Line, _ = strconv.Atoi(m[2])
		return te
	}
	var he *template.Error
	if errors.As(err, &he) && he.Name != "" {
		te.File, te.Line = fileOf(he.Name, files), he.Line
	}
	return te
}

func fileOf(name string, files map[string]string) string {
	if f, ok := files[name]; ok {
		return f
	}
	return name
}
