package orm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// Timestamps adds created_at and updated_at columns to a model that embeds
// it, kept up to date by a bun hook: both are set on insert, updated_at on
// update (list "updated_at" among the columns of an update that names its
// columns). Times are UTC, to the microsecond (to the second on MySQL, whose
// DATETIME columns bun creates without fractions). A model that defines its own BeforeAppendModel must call
// Timestamps.BeforeAppendModel from it.
//
//	type Task struct {
//		ID    int64 `bun:",pk,autoincrement"`
//		Title string
//		orm.Timestamps
//	}
type Timestamps struct {
	CreatedAt time.Time `bun:",nullzero,notnull,default:current_timestamp" json:"created_at,omitzero"`
	UpdatedAt time.Time `bun:",nullzero,notnull,default:current_timestamp" json:"updated_at,omitzero"`
}

// BeforeAppendModel implements bun's BeforeAppendModelHook.
func (t *Timestamps) BeforeAppendModel(_ context.Context, q schema.Query) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if dq, ok := q.(interface{ DB() *bun.DB }); ok && dq.DB() != nil && DialectOfDB(dq.DB()) == MySQL {
		// bun creates MySQL DATETIME columns without fractional seconds:
		// keep the model equal to what is stored.
		now = now.Truncate(time.Second)
	}
	switch q.(type) {
	case *bun.InsertQuery:
		if t.CreatedAt.IsZero() {
			t.CreatedAt = now
		}
		t.UpdatedAt = now
	case *bun.UpdateQuery:
		t.UpdatedAt = now
	}
	return nil
}

// SoftDelete adds a deleted_at column that makes bun's deletes soft: a
// NewDelete sets it instead of removing the row, and selects skip deleted
// rows. Use WhereDeleted/WhereAllWithDeleted on a select to see them,
// ForceDelete to really delete, and Restore to undelete.
type SoftDelete struct {
	DeletedAt time.Time `bun:",soft_delete,nullzero" json:"deleted_at,omitzero"`
}

// IsDeleted reports whether the row was soft-deleted.
func (s *SoftDelete) IsDeleted() bool { return !s.DeletedAt.IsZero() }

// Restore undeletes soft-deleted rows of model (a pointer to a struct with
// its primary key set, or to a slice of them). It reports how many rows it
// restored.
func Restore(ctx context.Context, db bun.IDB, model any) (int64, error) {
	res, err := db.NewUpdate().Model(model).WherePK().WhereDeleted().Set("deleted_at = NULL").Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Page is one page of a listing.
type Page[T any] struct {
	// Items are the page's rows.
	Items []T `json:"items"`
	// Total counts the rows of the whole listing, for offset pages
	// (Paginate: one count query per page; an empty listing has
	// "total": 0). Keyset pages (PaginateKeyset) take no count, the point
	// of them on large tables: Total is always 0 there and means "not
	// counted"; HasMore and NextCursor tell whether a page follows.
	Total int `json:"total"`
	// Limit is the page size asked for.
	Limit int `json:"limit"`
	// Offset is the page's offset (offset pagination only).
	Offset int `json:"offset,omitempty"`
	// NextCursor fetches the next page (keyset pagination); empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
	// HasMore reports whether rows follow this page.
	HasMore bool `json:"has_more"`
}

// MaxPageSize bounds the page size Paginate and PaginateKeyset accept.
const MaxPageSize = 1000

func checkLimit(limit int) error {
	if limit < 1 || limit > MaxPageSize {
		return covet.NewError(http.StatusUnprocessableEntity, fmt.Sprintf("page size must be between 1 and %d", MaxPageSize))
	}
	return nil
}

// Paginate runs the select q (which must not set a limit or offset) for one
// page of limit rows from offset, and counts the whole listing. A limit
// outside 1..MaxPageSize or a negative offset is a 422.
//
//	q := db.NewSelect().Model((*Task)(nil)).Order("id")
//	page, err := orm.Paginate[Task](c.Context(), q, limit, offset)
func Paginate[T any](ctx context.Context, q *bun.SelectQuery, limit, offset int) (Page[T], error) {
	p := Page[T]{Limit: limit, Offset: offset}
	if err := checkLimit(limit); err != nil {
		return p, err
	}
	if offset < 0 {
		return p, covet.NewError(http.StatusUnprocessableEntity, "offset must not be negative")
	}
	items := make([]T, 0, limit)
	total, err := q.Limit(int64(limit)).Offset(int64(offset)).ScanAndCount(ctx, scanDest(q.DB(), &items))
	if err != nil {
		return p, err
	}
	p.Items, p.Total = items, int(total)
	p.HasMore = offset+len(items) < int(total)
	return p, nil
}

// Keyset describes the order of a keyset (cursor) listing: columns that
// together identify a row (end with the primary key), all ascending or all
// descending.
type Keyset struct {
	// Columns are the model's column names, for example {"created_at", "id"}.
	Columns []string
	// Desc orders the listing newest or largest first.
	Desc bool
}

// PaginateKeyset runs the select q (which must not set an order or limit)
// for the page of limit rows after cursor, in the keyset's order: each page
// costs the same however deep it is, and rows inserted meanwhile do not shift
// pages. Pass "" for the first page, then Page.NextCursor. The cursor is
// opaque to clients; one that does not decode is a 400.
func PaginateKeyset[T any](ctx context.Context, q *bun.SelectQuery, ks Keyset, cursor string, limit int) (Page[T], error) {
	p := Page[T]{Limit: limit}
	if err := checkLimit(limit); err != nil {
		return p, err
	}
	if len(ks.Columns) == 0 {
		return p, fmt.Errorf("orm: PaginateKeyset: no keyset columns")
	}
	typ := reflect.TypeFor[T]()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	table := q.DB().Table(typ)
	fields := make([]*schema.Field, len(ks.Columns))
	for i, col := range ks.Columns {
		f, ok := table.FieldMap[col]
		if !ok {
			return p, fmt.Errorf("orm: PaginateKeyset: %s has no column %q", typ, col)
		}
		fields[i] = f
	}
	dir, cmp := " ASC", ">"
	if ks.Desc {
		dir, cmp = " DESC", "<"
	}
	for _, f := range fields {
		q = q.OrderExpr("?TableAlias.?"+dir, bun.Ident(f.Name))
	}
	if cursor != "" {
		vals, err := decodeCursor(cursor, fields)
		if err != nil {
			return p, err
		}
		cols := make([]string, len(fields))
		marks := make([]string, len(fields))
		args := make([]any, 0, 2*len(fields))
		for i, f := range fields {
			cols[i] = "?TableAlias." + string(f.SQLName)
			marks[i] = "?"
		}
		args = append(args, vals...)
		if len(fields) == 1 {
			q = q.Where(cols[0]+" "+cmp+" ?", args...)
		} else {
			q = q.Where("("+strings.Join(cols, ", ")+") "+cmp+" ("+strings.Join(marks, ", ")+")", args...)
		}
	}
	items := make([]T, 0, limit+1)
	if err := q.Limit(int64(limit+1)).Scan(ctx, scanDest(q.DB(), &items)); err != nil {
		return p, err
	}
	if len(items) > limit {
		items = items[:limit]
		p.HasMore = true
		last := reflect.ValueOf(&items[len(items)-1]).Elem()
		for last.Kind() == reflect.Pointer {
			last = last.Elem()
		}
		next, err := encodeCursor(last, fields)
		if err != nil {
			return p, err
		}
		p.NextCursor = next
	}
	p.Items = items
	return p, nil
}

func encodeCursor(row reflect.Value, fields []*schema.Field) (string, error) {
	vals := make([]any, len(fields))
	for i, f := range fields {
		vals[i] = f.Value(row).Interface()
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return "", fmt.Errorf("orm: encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor turns a cursor back into typed values, one per keyset field:
// each value is decoded into its field's Go type, so it is passed to the
// database as a typed argument (never as SQL text).
func decodeCursor(cursor string, fields []*schema.Field) ([]any, error) {
	bad := covet.NewError(http.StatusBadRequest, "invalid pagination cursor")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad.WithCause(err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(fields) {
		return nil, bad
	}
	out := make([]any, len(fields))
	for i, f := range fields {
		v := reflect.New(f.StructField.Type)
		if err := json.Unmarshal(raw[i], v.Interface()); err != nil {
			return nil, bad.WithCause(err)
		}
		out[i] = v.Elem().Interface()
	}
	return out, nil
}
