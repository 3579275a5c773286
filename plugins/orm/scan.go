package orm

import (
	"context"
	"database/sql"
	"reflect"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// pageModel is the bun model (schema.Model) Paginate and PaginateKeyset
// scan a page into: a *[]T of a plain struct type. bun's own slice model
// looks each column's field up by name in a map for every column of every
// row (Table.LookupField) and goes through its struct model per value; this
// one looks the fields up once per query and hands each value to the same
// field scanner bun uses (schema.Field.ScanValue), so the values it stores are
// bun's. A page whose columns are not all the model's own (a join's
// "rel__col", an expression bun would refuse or skip) is scanned by bun's
// own model, as is any type with scan-row hooks (usePageModel).
type pageModel[T any] struct {
	db    *bun.DB
	table *schema.Table
	dest  *[]T
}

// usePageModel reports whether pageModel may scan T: a struct whose bun
// table has no BeforeScanRow or AfterScanRow hook (bun's struct model calls
// them per row; pageModel does not).
func usePageModel(typ reflect.Type, table *schema.Table) bool {
	return typ.Kind() == reflect.Struct && !table.HasBeforeScanRowHook() && !table.HasAfterScanRowHook()
}

// scanDest returns what to give bun's Scan for items: a pageModel when it
// can scan T, else items itself (bun's slice model).
func scanDest[T any](db *bun.DB, items *[]T) any {
	typ := reflect.TypeFor[T]()
	if typ.Kind() != reflect.Struct {
		return items
	}
	table := db.Table(typ)
	if !usePageModel(typ, table) {
		return items
	}
	return &pageModel[T]{db: db, table: table, dest: items}
}

// Value implements schema.Model.
func (m *pageModel[T]) Value() any { return m.dest }

// ScanRows implements schema.Model: it appends one T per row to the slice.
func (m *pageModel[T]) ScanRows(ctx context.Context, rows *sql.Rows) (int, error) {
	columns, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	cols := make([]pageColumn, len(columns))
	dest := make([]any, len(columns))
	var row reflect.Value
	for i, name := range columns {
		f := m.table.LookupField(unquote(name))
		if f == nil {
			// Not one of the model's columns: bun decides (it knows
			// joins, skips "_" columns, or says which column is unknown).
			return m.db.NewSelect().Model(m.dest).GetModel().ScanRows(ctx, rows)
		}
		cols[i] = pageColumn{field: f, row: &row, jsonStrings: jsonStrings(f)}
		dest[i] = &cols[i]
	}
	*m.dest = (*m.dest)[:0]
	var zero T
	n := 0
	for rows.Next() {
		*m.dest = append(*m.dest, zero)
		row = reflect.ValueOf(&(*m.dest)[len(*m.dest)-1]).Elem()
		if err := rows.Scan(dest...); err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return n, nil
}

// pageColumn scans one column of the current row into its field.
type pageColumn struct {
	field *schema.Field
	row   *reflect.Value
	// jsonStrings: the field is a []string bun stores as JSON (jsonStrings).
	jsonStrings bool
}

// Scan implements sql.Scanner with bun's scanner for the field, except for
// a []string stored as JSON whose text is a plain list of plain strings
// (the common case: tags), read directly into the same []string
// encoding/json would make.
func (c *pageColumn) Scan(src any) error {
	if c.jsonStrings {
		var b []byte
		switch v := src.(type) {
		case string:
			b = []byte(v)
		case []byte:
			b = v
		}
		if b != nil {
			if strs, ok := plainJSONStrings(b); ok {
				c.field.Value(*c.row).Set(reflect.ValueOf(strs))
				return nil
			}
		}
	}
	return c.field.ScanValue(*c.row, src)
}

var (
	stringsT        = reflect.TypeFor[[]string]()
	jsonStringsSeen sync.Map // *schema.Field -> bool
)

// jsonStrings reports whether bun scans f, a []string, as JSON (a column
// without the array option): its scanner is asked once, on a scratch
// value, to read a JSON list.
func jsonStrings(f *schema.Field) bool {
	if f.IndirectType != stringsT || f.StructField.Type != stringsT || f.Scan == nil {
		return false
	}
	if v, ok := jsonStringsSeen.Load(f); ok {
		return v.(bool)
	}
	ok := true
	for _, probe := range []struct {
		src  string
		want []string
	}{{`["a","b"]`, []string{"a", "b"}}, {`[]`, []string{}}} {
		v := reflect.New(stringsT).Elem()
		err := f.Scan(v, probe.src)
		got, _ := v.Interface().([]string)
		if err != nil || got == nil || !slices.Equal(got, probe.want) {
			ok = false
		}
	}
	jsonStringsSeen.Store(f, ok)
	return ok
}

// plainJSONStrings decodes a JSON list of strings without escapes, control
// characters or spaces, in valid UTF-8, as encoding/json would; ok is false
// for any other text (encoding/json decodes it then).
func plainJSONStrings(b []byte) (strs []string, ok bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	b = b[1 : len(b)-1]
	out := []string{}
	if len(b) == 0 {
		return out, true
	}
	for {
		if len(b) < 2 || b[0] != '"' {
			return nil, false
		}
		end := 1
		for end < len(b) && b[end] != '"' {
			if c := b[end]; c < 0x20 || c == '\\' {
				return nil, false
			}
			end++
		}
		if end == len(b) || !utf8.Valid(b[1:end]) {
			return nil, false
		}
		out = append(out, string(b[1:end]))
		b = b[end+1:]
		if len(b) == 0 {
			return out, true
		}
		if b[0] != ',' {
			return nil, false
		}
		b = b[1:]
	}
}

// unquote is bun's: SQLite sometimes leaves a column name quoted.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

var _ schema.Model = (*pageModel[struct{}])(nil)
