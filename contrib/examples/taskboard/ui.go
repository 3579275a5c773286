package main

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/tmpl"
	"golang.org/x/text/language"
)

// The browser UI: server-rendered pages (plugins/tmpl) made interactive
// with htmx, signed in with a session (plugins/auth), in English and German.
//
// web/dist holds the bundled, hashed assets and their manifest, built from
// web/assets with esbuild (tmpl.NewAssets) and embedded, so production runs
// no build. Rebuild after changing web/assets:
//
//go:generate env TASKBOARD_UPDATE_ASSETS=1 go test -run TestAssetsUpToDate .
//go:embed web/templates web/locales web/dist
var webFiles embed.FS

// contentSecurityPolicy is the UI's policy: nothing inline, nothing from
// another origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

var statuses = []string{"todo", "doing", "done"}

// installUI adds the template engine, the assets and the UI's routes.
// secret (Config.Secret) derives the flash cookie's key, so a flash set by
// one instance shows on another; empty, tmpl signs with a per-process key.
func installUI(app *covet.App, a *auth.Auth, providers []string, secret []byte) error {
	sub := func(dir string) fs.FS { s, _ := fs.Sub(webFiles, dir); return s }
	assets, err := tmpl.LoadAssets(sub("web/dist"))
	if err != nil {
		return err
	}
	if err := app.Install(assets); err != nil {
		return err
	}
	i18n, err := tmpl.NewI18n(sub("web/locales"), language.English)
	if err != nil {
		return err
	}
	opts := []tmpl.Option{
		tmpl.WithCSRF(auth.CSRFToken, ""),
		tmpl.WithAssets(assets),
		tmpl.WithI18n(i18n),
		tmpl.WithGlobal("user", currentUser),
		tmpl.WithFuncs(template.FuncMap{"deref": func(p *int64) int64 { return *p }}),
		// A flash is signed for the browser's session: one planted by a
		// sibling subdomain or replayed into another session is ignored.
		tmpl.WithFlashBinding(auth.SessionBinding),
	}
	if len(secret) > 0 {
		opts = append(opts, tmpl.WithFlashKey(deriveKey(secret, "flash")))
	}
	engine := tmpl.New(sub("web/templates"), opts...)
	if err := app.Install(engine); err != nil {
		return err
	}
	app.WrapErrorHandler(htmlErrors(engine))

	ui := app.Group("")
	ui.With(covet.UseMiddleware(csp), auth.Optional(auth.SchemeSession))
	ui.GET("/login", func(c *covet.Context) error {
		return tmpl.Render(c, http.StatusOK, "login", loginView{Next: c.Query("next"), Providers: providers})
	}).Name("ui.login").Hidden()
	ui.POST("/login", login(a, providers)).Name("ui.login.post").Hidden().With(covet.UseMiddleware(auth.CSRF()))
	ui.POST("/logout", func(c *covet.Context) error {
		if err := a.EndSession(c); err != nil {
			return err
		}
		return tmpl.SeeOther(c, "/login")
	}).Name("ui.logout").Hidden().With(covet.UseMiddleware(auth.CSRF()))
	ui.GET("/lang/{code}", setLanguage).Name("ui.lang").Hidden()

	board := app.Group("/board")
	board.With(covet.UseMiddleware(csp, signInFirst), auth.Required(auth.SchemeSession))
	board.GET("", showBoard).Name("ui.board").Hidden()
	board.GET("/tasks", listRows).Name("ui.tasks").Hidden()
	board.POST("/tasks", createFromForm).Name("ui.tasks.create").Hidden()
	board.GET("/tasks/{id:int}", showRow).Name("ui.task").Hidden()
	board.GET("/tasks/{id:int}/edit", editRow).Name("ui.task.edit").Hidden()
	board.PUT("/tasks/{id:int}", updateFromForm).Name("ui.task.update").Hidden()
	board.DELETE("/tasks/{id:int}", deleteFromBoard).Name("ui.task.delete").Hidden()
	return nil
}

func csp(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		c.SetHeader("Content-Security-Policy", contentSecurityPolicy)
		return next(c)
	}
}

// signInFirst sends browsers without a session to the sign-in page
// (htmx requests: a full-page redirect) instead of a bare 401.
func signInFirst(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		err := next(c)
		var ce *covet.Error
		if errors.As(err, &ce) && ce.Status == http.StatusUnauthorized {
			to := "/login?next=" + c.Request().URL.EscapedPath()
			if tmpl.IsHX(c) {
				tmpl.HXRedirect(c, to)
				return c.NoContent(http.StatusOK)
			}
			return c.Redirect(http.StatusSeeOther, to)
		}
		return err
	}
}

// currentUser is the template global "user": the signed-in user or nil.
func currentUser(c *covet.Context) any {
	id := auth.UserID(c)
	if id == "" {
		return nil
	}
	db, err := orm.DB(c)
	if err != nil {
		return nil
	}
	var u User
	if err := db.NewSelect().Model(&u).Where("id = ?", id).Scan(c.Context()); err != nil {
		return nil
	}
	return &u
}

// htmlErrors renders errors as HTML pages for browsers (404, 500...) and
// leaves problem+json to API clients and htmx requests.
func htmlErrors(e *tmpl.Engine) covet.ErrorHandlerWrapper {
	return func(next covet.ErrorHandler) covet.ErrorHandler {
		return func(c *covet.Context, err error) {
			r := c.Request()
			if !strings.Contains(r.Header.Get("Accept"), "text/html") || tmpl.IsHX(c) || c.Response().Written() ||
				strings.HasPrefix(r.URL.Path, "/api/") || c.App().Development() {
				next(c, err)
				return
			}
			p, hdr := covet.ProblemFor(c, err)
			if p.Status == http.StatusUnauthorized || p.Status == http.StatusTooManyRequests || p.Status == http.StatusMethodNotAllowed {
				next(c, err) // their headers (WWW-Authenticate, Retry-After, Allow) matter more than a page
				return
			}
			if p.Status >= 500 {
				c.App().Logger().ErrorContext(r.Context(), "taskboard: request failed", "error", err, "path", r.URL.Path)
			}
			for k, v := range hdr {
				c.Response().Header()[k] = v
			}
			c.SetHeader("Content-Security-Policy", contentSecurityPolicy)
			if rerr := e.Render(c, p.Status, "errors/page", errorView{Status: p.Status, Title: http.StatusText(p.Status)}); rerr != nil {
				next(c, err)
			}
		}
	}
}

type errorView struct {
	Status int
	Title  string
}

type loginView struct {
	Next      string
	Email     string
	Error     string
	Providers []string
}

// login checks a local account's password and starts a session.
func login(a *auth.Auth, providers []string) covet.HandlerFunc {
	return func(c *covet.Context) error {
		r := c.Request()
		r.Body = http.MaxBytesReader(c.Response(), r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			return covet.NewError(http.StatusBadRequest, "the body is not a form")
		}
		email, next := r.PostForm.Get("email"), auth.SafeRedirect(r.PostForm.Get("next"), "/board")
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		u, err := checkPassword(c.Context(), db, email, r.PostForm.Get("password"))
		if err != nil {
			return err
		}
		if u == nil {
			return tmpl.Render(c, http.StatusUnprocessableEntity, "login",
				loginView{Next: next, Email: email, Error: "login.bad", Providers: providers})
		}
		if _, err := a.StartSession(c, strconv.FormatInt(u.ID, 10)); err != nil {
			return err
		}
		if err := a.SaveSession(c); err != nil {
			return err
		}
		return tmpl.SeeOther(c, next)
	}
}

// setLanguage remembers the language in the cookie the i18n engine reads.
func setLanguage(c *covet.Context) error {
	code := c.Param("code")
	if code != "en" && code != "de" {
		return covet.NewError(http.StatusNotFound, "no such language")
	}
	c.SetHTTPCookie(&http.Cookie{Name: "lang", Value: code, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: c.Scheme() == "https"}) // #nosec G124 -- HttpOnly, SameSite=Lax; Secure when the client used HTTPS (browsers drop a Secure cookie set over plain HTTP, so it cannot be constant)
	back := "/board"
	if ref := c.Request().Referer(); ref != "" {
		if i := strings.Index(ref, "://"); i >= 0 {
			if j := strings.IndexByte(ref[i+3:], '/'); j >= 0 {
				back = auth.SafeRedirect(ref[i+3+j:], "/board")
			}
		}
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// boardFilter filters the board's list.
type boardFilter struct {
	Status string
	Search string
}

type boardView struct {
	Tasks    []Task
	Form     *tmpl.Form
	Filter   boardFilter
	Statuses []string
	Me       int64
}

// TaskForm is the board's new-task form.
type TaskForm struct {
	Title    string `form:"title" minLength:"3" maxLength:"200"`
	Priority int    `form:"priority" minimum:"1" maximum:"5" default:"3"`
}

// EditForm is the inline edit form of a row.
type EditForm struct {
	Title    string `form:"title" minLength:"3" maxLength:"200"`
	Status   string `form:"status" enum:"todo,doing,done"`
	Priority int    `form:"priority" minimum:"1" maximum:"5"`
}

func boardData(c *covet.Context) (boardView, error) {
	me, err := principalID(c)
	if err != nil {
		return boardView{}, err
	}
	f := boardFilter{Status: c.Query("status"), Search: c.Query("q")}
	in := &ListTasksIn{Limit: 100, Search: f.Search}
	for _, s := range statuses {
		if s == f.Status {
			in.Status = s
		}
	}
	if len(f.Search) > 100 {
		in.Search = f.Search[:100]
	}
	page, err := listTasks(c, in)
	if err != nil {
		return boardView{}, err
	}
	return boardView{Tasks: page.Items, Filter: f, Statuses: statuses, Me: me}, nil
}

func showBoard(c *covet.Context) error {
	v, err := boardData(c)
	if err != nil {
		return err
	}
	return tmpl.Render(c, http.StatusOK, "board", v)
}

func listRows(c *covet.Context) error {
	v, err := boardData(c)
	if err != nil {
		return err
	}
	return tmpl.RenderHX(c, http.StatusOK, "board", "list", v)
}

func createFromForm(c *covet.Context) error {
	var in TaskForm
	form, err := tmpl.Bind(c, &in)
	if err != nil {
		return err
	}
	if !form.Valid() {
		return tmpl.RenderHX(c, http.StatusUnprocessableEntity, "board", "form", boardView{Form: form})
	}
	if _, err := insertTask(c, &CreateTaskIn{Body: TaskFields{Title: in.Title, Priority: in.Priority, Status: "todo"}}); err != nil {
		return err
	}
	if !tmpl.IsHX(c) {
		tmpl.AddFlash(c, "success", "task.created")
		return tmpl.SeeOther(c, "/board")
	}
	// A fresh form; the list reloads itself on the event.
	if err := tmpl.HXTrigger(c, "tasks-changed", nil); err != nil {
		return err
	}
	return tmpl.RenderHX(c, http.StatusOK, "board", "form", boardView{})
}

type rowView struct {
	Task     *Task
	Me       int64
	Form     *tmpl.Form
	Statuses []string
}

func rowID(c *covet.Context) int64 {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	return id
}

func showRow(c *covet.Context) error {
	me, err := principalID(c)
	if err != nil {
		return err
	}
	t, err := getTask(c, &ByID{ID: rowID(c)})
	if err != nil {
		return err
	}
	return tmpl.Render(c, http.StatusOK, "task_row", map[string]any{"Task": t, "Me": me})
}

func editRow(c *covet.Context) error {
	t, err := ownTask(c, rowID(c))
	if err != nil {
		return err
	}
	return tmpl.Render(c, http.StatusOK, "task_edit", rowView{Task: t, Statuses: statuses})
}

func updateFromForm(c *covet.Context) error {
	t, err := ownTask(c, rowID(c))
	if err != nil {
		return err
	}
	var in EditForm
	form, err := tmpl.Bind(c, &in)
	if err != nil {
		return err
	}
	if !form.Valid() {
		return tmpl.Render(c, http.StatusUnprocessableEntity, "task_edit", rowView{Task: t, Form: form, Statuses: statuses})
	}
	t.Title, t.Status, t.Priority = in.Title, in.Status, in.Priority
	db, err := orm.DB(c)
	if err != nil {
		return err
	}
	if _, err := db.NewUpdate().Model(t).WherePK().Exec(c.Context()); err != nil {
		return err
	}
	noteChange(c, TaskEvent{Op: "updated", ID: t.ID, Title: t.Title})
	return tmpl.Render(c, http.StatusOK, "task_row", map[string]any{"Task": t, "Me": *t.OwnerID})
}

func deleteFromBoard(c *covet.Context) error {
	if _, err := deleteTask(c, &ByID{ID: rowID(c)}); err != nil {
		return err
	}
	if err := tmpl.HXTrigger(c, "tasks-changed", nil); err != nil {
		return err
	}
	return c.HTML(http.StatusOK, "") // htmx swaps the row out for nothing
}
