package main

import (
	"context"
	"embed"
	"io"
	"io/fs"
	"net/http"
	"sync"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/cors"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/covetgo/covet/plugins/tmpl"
	"github.com/uptrace/bun"
)

//go:embed templates
var templateFiles embed.FS

// Config is what NewApp needs.
type Config struct {
	DSN    string            // the database: sqlite://items.db, :memory:
	Secret []byte            // signs access tokens; at least 32 bytes
	Users  map[string]string // user name -> password hash (auth.HashPassword): FastAPI's fake_users_db
	Origin string            // the browser front end allowed by CORS
	Events *Events           // what background tasks did
}

// Item is a stored item (FastAPI's SQLAlchemy model).
type Item struct {
	bun.BaseModel `bun:"table:items" json:"-"`
	ID            int64    `bun:",pk,autoincrement" json:"id"`
	Name          string   `bun:",notnull" json:"name"`
	Description   *string  `json:"description"`
	Price         float64  `bun:",notnull" json:"price"`
	Tax           *float64 `json:"tax"`
	Owner         string   `bun:",notnull" json:"owner"`
}

// ItemBody is what a client sends to create or replace an item (FastAPI's
// Pydantic model): the tags are the validation and the schema.
type ItemBody struct {
	Name        string   `json:"name" minLength:"1" maxLength:"50" example:"Foo"`
	Description *string  `json:"description" maxLength:"300"`
	Price       float64  `json:"price" exclusiveMinimum:"0" example:"35.4"`
	Tax         *float64 `json:"tax" minimum:"0"`
}

// Page is the pagination lists take: a provided value (FastAPI's Depends).
type Page struct{ Skip, Limit int }

// PageIn is where Page comes from; the provider's query parameters are
// validated and documented on every route that takes a Page.
type PageIn struct {
	Skip  int `query:"skip" minimum:"0" default:"0"`
	Limit int `query:"limit" minimum:"1" maximum:"100" default:"10"`
}

// ListItemsIn is GET /items: a page, an optional search and the database.
type ListItemsIn struct {
	DB   bun.IDB
	Page Page
	Q    string `query:"q" maxLength:"50" doc:"part of the name"`
}

// ItemIDIn is GET /items/{item_id}.
type ItemIDIn struct {
	DB bun.IDB
	ID int64 `path:"item_id" minimum:"1"`
}

// CreateItemIn is POST /items (signed in).
type CreateItemIn struct {
	DB   bun.IDB
	User *auth.User
	Body ItemBody
}

// UpdateItemIn is PUT /items/{item_id} (the owner only).
type UpdateItemIn struct {
	DB   bun.IDB
	User *auth.User
	ID   int64 `path:"item_id" minimum:"1"`
	Body ItemBody
}

// DeleteItemIn is DELETE /items/{item_id} (the owner only).
type DeleteItemIn struct {
	DB   bun.IDB
	User *auth.User
	ID   int64 `path:"item_id" minimum:"1"`
}

// UploadIn is POST /items/{item_id}/image: a multipart file (FastAPI's UploadFile).
type UploadIn struct {
	User *auth.User
	ID   int64       `path:"item_id" minimum:"1"`
	File *covet.File `form:"file" required:"true"`
}

// UploadOut describes an uploaded file.
type UploadOut struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// MeIn is GET /users/me.
type MeIn struct{ User *auth.User }

// Me is the signed-in user.
type Me struct {
	Username string   `json:"username"`
	Scopes   []string `json:"scopes"`
}

// Events records what background tasks did (a stand-in for sending mail).
type Events struct {
	mu  sync.Mutex
	log []string
}

func (e *Events) add(s string) { e.mu.Lock(); e.log = append(e.log, s); e.mu.Unlock() }

// List returns the events so far.
func (e *Events) List() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

// Security scheme and scope names.
const (
	schemePassword = "oauth2Password"
	scopeWrite     = "items:write"
)

// migrations creates the table (FastAPI's Base.metadata.create_all), as a
// Go migration applied at start.
func migrations() (*orm.Migrations, error) {
	ms, err := orm.NewMigrations(nil)
	if err != nil {
		return nil, err
	}
	err = ms.Add("001_items", func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewCreateTable().Model((*Item)(nil)).IfNotExists().Exec(ctx)
		return err
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewDropTable().Model((*Item)(nil)).IfExists().Exec(ctx)
		return err
	})
	return ms, err
}

// NewApp builds the app of FastAPI's tutorial.
func NewApp(cfg Config) (*covet.App, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	templates, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	events := cfg.Events
	if events == nil {
		events = &Events{}
	}
	app := covet.New(covet.WithHealth())
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", cfg.Secret)))
	for _, p := range []covet.Plugin{
		orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN(cfg.DSN), orm.WithMigrations(ms), orm.WithMigrateOnStart()),
		a,
		cors.New(cors.WithOrigins(cfg.Origin), cors.WithHeaders("Content-Type", "Authorization")),
		openapi.New(openapi.WithInfo("Items", "1.0.0")),
		tmpl.New(templates),
	} {
		if err := app.Install(p); err != nil {
			return nil, err
		}
	}
	// Providers, before the routes that take their types.
	auth.Provide(app)
	covet.ProvideIn(app, func(c *covet.Context, in *PageIn) (Page, error) {
		return Page{Skip: in.Skip, Limit: in.Limit}, nil
	})

	// OAuth2 with password and bearer: Swagger UI's Authorize asks for a
	// user name and password.
	app.SecurityScheme(schemePassword, covet.SecurityScheme{Type: "oauth2",
		Flows: &covet.OAuthFlows{Password: &covet.OAuthFlow{TokenURL: "/token",
			Scopes: map[string]string{scopeWrite: "create and change your items"}}}})
	signedIn := []covet.RouteOption{auth.Required(), covet.Secured(schemePassword)}
	writer := []covet.RouteOption{auth.Scopes(scopeWrite), covet.Secured(schemePassword, scopeWrite)}

	covet.Post(app, "/token", a.PasswordGrant(func(_ context.Context, r *auth.TokenRequest) (string, []auth.TokenOption, error) {
		hash, ok := cfg.Users[r.Username]
		if !ok {
			auth.VerifyDummyPassword(r.Password)
			return "", nil, auth.ErrBadCredentials
		}
		if ok, _, err := auth.VerifyPassword(hash, r.Password); err != nil || !ok {
			return "", nil, auth.ErrBadCredentials
		}
		return r.Username, []auth.TokenOption{auth.WithScopes(scopeWrite)}, nil
	})).Summary("Sign in (OAuth2 password grant)").Tags("auth")

	covet.Get(app, "/users/me", func(_ *covet.Context, in *MeIn) (*Me, error) {
		return &Me{Username: in.User.ID, Scopes: in.User.Scopes}, nil
	}).With(signedIn...).Tags("auth")

	covet.Get(app, "/items", func(c *covet.Context, in *ListItemsIn) (*[]Item, error) {
		items := []Item{}
		q := in.DB.NewSelect().Model(&items).Order("id").Offset(int64(in.Page.Skip)).Limit(int64(in.Page.Limit))
		if in.Q != "" {
			q = q.Where("name LIKE ?", "%"+in.Q+"%")
		}
		return &items, q.Scan(c.Context())
	}).Summary("List items").Tags("items")

	covet.Get(app, "/items/{item_id:int}", func(c *covet.Context, in *ItemIDIn) (*Item, error) {
		var it Item
		err := in.DB.NewSelect().Model(&it).Where("id = ?", in.ID).Scan(c.Context())
		return &it, err // sql.ErrNoRows answers 404
	}).Name("item").Summary("Read an item").Tags("items")

	covet.Post(app, "/items", func(c *covet.Context, in *CreateItemIn) (*Item, error) {
		it := Item{Name: in.Body.Name, Description: in.Body.Description, Price: in.Body.Price, Tax: in.Body.Tax, Owner: in.User.ID}
		if _, err := in.DB.NewInsert().Model(&it).Exec(c.Context()); err != nil {
			return nil, err
		}
		// A background task (FastAPI's BackgroundTasks): runs after the
		// response, with its own context; copy what it needs.
		name, owner := it.Name, it.Owner
		if err := c.After(func(ctx context.Context) { events.add("created " + name + " for " + owner) }); err != nil {
			return nil, err
		}
		return &it, nil
	}).Status(http.StatusCreated).With(signedIn...).With(writer...).Summary("Create an item").Tags("items")

	covet.Put(app, "/items/{item_id:int}", func(c *covet.Context, in *UpdateItemIn) (*Item, error) {
		it := Item{ID: in.ID, Name: in.Body.Name, Description: in.Body.Description, Price: in.Body.Price, Tax: in.Body.Tax, Owner: in.User.ID}
		res, err := in.DB.NewUpdate().Model(&it).WherePK().Where("owner = ?", in.User.ID).Exec(c.Context())
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, covet.NewError(http.StatusNotFound, "no such item of yours")
		}
		return &it, nil
	}).With(signedIn...).With(writer...).Summary("Replace an item").Tags("items")

	covet.Delete(app, "/items/{item_id:int}", func(c *covet.Context, in *DeleteItemIn) (*struct{}, error) {
		res, err := in.DB.NewDelete().Model((*Item)(nil)).Where("id = ? AND owner = ?", in.ID, in.User.ID).Exec(c.Context())
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, covet.NewError(http.StatusNotFound, "no such item of yours")
		}
		return nil, nil // 204
	}).With(signedIn...).With(writer...).Summary("Delete an item").Tags("items")

	covet.Post(app, "/items/{item_id:int}/image", func(_ *covet.Context, in *UploadIn) (*UploadOut, error) {
		f, err := in.File.Open()
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }()
		n, err := io.Copy(io.Discard, f) // store it somewhere real
		return &UploadOut{Filename: in.File.Filename, ContentType: in.File.ContentType, Size: n}, err
	}).With(signedIn...).With(writer...).Summary("Upload an item's image").Tags("items")

	// An HTML page (Flask's render_template).
	app.GET("/", func(c *covet.Context) error {
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		var items []Item
		if err := db.NewSelect().Model(&items).Order("id").Limit(100).Scan(c.Context()); err != nil {
			return err
		}
		return tmpl.Render(c, http.StatusOK, "items/index", map[string]any{"Items": items})
	})
	return app, nil
}
